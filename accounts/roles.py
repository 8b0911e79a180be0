"""Staff roles.

Each role is a Django group whose permissions are set by data migrations
(accounts/migrations/0002_roles.py and each app's role permission migrations, with
core.permissions.grant_operation). Views check permissions,
never group names, so a clinic can adjust a role in the admin.
"""

FRONT_DESK = "Front desk"
ACUPUNCTURIST = "Acupuncturist"
CLINIC_ADMIN = "Clinic admin"

ALL_ROLES = (FRONT_DESK, ACUPUNCTURIST, CLINIC_ADMIN)
