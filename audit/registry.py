"""Which models django-auditlog records, and which patient each entry is about.

Every model holding a patient's record or the clinic's configuration is
registered. Derived rows (a plan's events, its session links) are left out: they
are themselves a history, rebuilt from the registered rows. Child rows the app
replaces in bulk (intake regions and medicines, needled points, adverse events)
are recorded on their parent by audit.trail.record_children.
"""

from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth.models import Group

# model label -> how to find the patient's id from an instance, without a query
PATIENT_OF = {
    "intake.Patient": lambda obj: obj.pk,
    "intake.Intake": lambda obj: obj.patient_id,
    "intake.IntakeInvitation": lambda obj: obj.patient_id,
    "checkins.CheckIn": lambda obj: obj.patient_id,
    "treatment_sessions.TreatmentSession": lambda obj: obj.patient_id,
    "treatment_sessions.SessionAddendum": lambda obj: obj.session.patient_id,
    "plans.Plan": lambda obj: obj.patient_id,
    "plans.PlanDecision": lambda obj: obj.plan.patient_id,
    "scheduling.Appointment": lambda obj: obj.patient_id,
}

# model label -> register() options
TRACKED = {
    "acuclinic.User": {
        "exclude_fields": ["last_login"],
        # That the password changed, never any part of its hash.
        "mask_fields": ["password"],
        "mask_callable": "audit.registry.hidden",
        "m2m_fields": {"groups", "user_permissions"},
    },
    "acuclinic.PractitionerProfile": {},
    # search_name is derived from the names, which are recorded themselves.
    "intake.Patient": {"exclude_fields": ["search_name"]},
    "intake.Intake": {},
    "intake.IntakeInvitation": {"exclude_fields": ["token_hash"]},
    "checkins.CheckIn": {"exclude_fields": ["token_hash"]},
    "treatment_sessions.Protocol": {},
    "treatment_sessions.TreatmentSession": {"exclude_fields": ["form_token"]},
    "treatment_sessions.SessionAddendum": {},
    "plans.ReferralContact": {},
    # The kept figures (plans.figures) follow from the signed sessions, recorded themselves.
    "plans.Plan": {
        "m2m_fields": {"protocols", "referrals"},
        "exclude_fields": [
            "latest_pain",
            "first_important_visit",
            "first_visit_date",
            "first_doses",
            "first_doses_date",
            "last_doses",
            "last_doses_date",
            "dosed_visits",
        ],
    },
    "plans.PlanDecision": {},
    "scheduling.Appointment": {},
    # The clinic's hours and closures decide which times can be booked.
    "scheduling.OpeningHours": {},
    "scheduling.Closure": {},
    "scheduling.PractitionerHours": {},
    "core.Clinic": {},
    # Two-factor devices: that one was added, confirmed or removed, never its secret.
    "otp_totp.TOTPDevice": {
        "include_fields": ["name", "confirmed", "user"],
    },
    "acuclinic.BackupCodeDevice": {"include_fields": ["name", "confirmed", "user"]},
}


def hidden(value) -> str:
    return "(hidden)"


def _additional_data(patient_of):
    def get_additional_data(self):
        patient_id = patient_of(self)
        return {"patient_id": patient_id} if patient_id else None

    return get_additional_data


def register_models():
    auditlog.register(Group, m2m_fields={"permissions"})
    for label, options in TRACKED.items():
        model = apps.get_model(label)
        auditlog.register(model, **options)
        if label in PATIENT_OF:
            # auditlog asks each instance for get_additional_data(); audit.models
            # moves the patient's id from it into the entry's own indexed column.
            model.get_additional_data = _additional_data(PATIENT_OF[label])
