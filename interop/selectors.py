"""What the FHIR and CSV exports read, in a fixed number of queries whatever the size
of the records (and, for a chunk of patients, whatever the size of the chunk)."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from checkins.models import CheckIn
from intake.models import Intake, Patient
from plans.models import Plan, PlanEvent
from scheduling.models import Appointment
from sessions.models import SessionAddendum, SessionPoint, TreatmentSession


def _signed_sessions() -> QuerySet:
    """Signed notes only: a draft is unfinished and a discarded one never happened."""
    return (
        TreatmentSession.objects.filter(status=TreatmentSession.Status.SIGNED)
        .select_related("appointment")
        .prefetch_related(
            Prefetch("needled_points", queryset=SessionPoint.objects.select_related("point")),
            "adverse_events",
            "addenda",
        )
        .order_by("date", "created_at", "pk")
    )


def load_records(patients: QuerySet) -> list[Patient]:
    """The patients with everything the FHIR export reads, as lists on each:
    fhir_intakes (submitted ones), fhir_sessions (signed ones), fhir_check_ins
    (answered ones), fhir_plans, fhir_appointments."""
    return list(
        patients.order_by("pk").prefetch_related(
            Prefetch(
                "intakes",
                queryset=Intake.objects.submitted()
                .prefetch_related("medications", "regions")
                .order_by("submitted_at", "pk"),
                to_attr="fhir_intakes",
            ),
            Prefetch("treatment_sessions", queryset=_signed_sessions(), to_attr="fhir_sessions"),
            Prefetch(
                "check_ins",
                queryset=CheckIn.objects.filter(submitted_at__isnull=False).order_by(
                    "submitted_at", "pk"
                ),
                to_attr="fhir_check_ins",
            ),
            Prefetch(
                "plans",
                queryset=Plan.objects.prefetch_related(
                    "referrals", "protocols", "plan_sessions"
                ).order_by("start_date", "pk"),
                to_attr="fhir_plans",
            ),
            Prefetch(
                "appointments",
                queryset=Appointment.objects.order_by("starts_at", "pk"),
                to_attr="fhir_appointments",
            ),
        )
    )


def practitioners(user_ids) -> list[User]:
    """The staff a record refers to, with their licences. One query."""
    return list(
        User.objects.filter(pk__in=user_ids).select_related("practitioner_profile").order_by("pk")
    )


def changed_since(moment: datetime.datetime) -> QuerySet:
    """Patients whose record changed at or after `moment`: the chart's demographics, an
    intake, a session (written, signed, discarded, or an addendum), a plan (its
    details or an event of its cadence), a check-in answered, an appointment booked
    or changed (docs/product-rules.md#fhir-export)."""
    patient = OuterRef("pk")
    return Patient.objects.filter(
        Q(created_at__gte=moment)
        | Q(updated_at__gte=moment)
        | Exists(Intake.objects.filter(patient=patient, updated_at__gte=moment))
        | Exists(TreatmentSession.objects.filter(patient=patient, updated_at__gte=moment))
        | Exists(SessionAddendum.objects.filter(session__patient=patient, created_at__gte=moment))
        | Exists(Plan.objects.filter(patient=patient, updated_at__gte=moment))
        | Exists(PlanEvent.objects.filter(plan__patient=patient, created_at__gte=moment))
        | Exists(CheckIn.objects.filter(patient=patient, submitted_at__gte=moment))
        | Exists(
            Appointment.objects.filter(patient=patient).filter(
                Q(created_at__gte=moment) | Q(status_changed_at__gte=moment)
            )
        )
    )


def signed_sessions_for_csv(patient: Patient) -> list[TreatmentSession]:
    """The patient's signed sessions, oldest first, with their practitioner, points
    and adverse events. Four queries."""
    return list(
        TreatmentSession.objects.filter(patient=patient, status=TreatmentSession.Status.SIGNED)
        .select_related("signed_by", "created_by")
        .prefetch_related(
            Prefetch("needled_points", queryset=SessionPoint.objects.select_related("point")),
            "adverse_events",
        )
        .order_by("date", "created_at", "pk")
    )
