"""Every staff role may make a check-in link (and revoke it); reading the answers
needs intake.view_clinical_record, which the front desk does not have."""

from django.db import migrations

from core.permissions import grant_operation

ROLE_PERMISSIONS = {
    "Front desk": ["checkins.add_checkin"],
    "Acupuncturist": ["checkins.add_checkin"],
    "Clinic admin": ["checkins.add_checkin"],
}


class Migration(migrations.Migration):
    dependencies = [("checkins", "0001_initial"), ("acuclinic", "0002_roles")]

    operations = [grant_operation(ROLE_PERMISSIONS)]
