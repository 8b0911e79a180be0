"""The scheduling services refuse what their rules forbid, whoever calls them."""

import datetime

import pytest
from django.utils import timezone

from intake.models import Patient
from intake.services import ChartArchived, patient_archive
from scheduling.models import Appointment
from scheduling.services import BookingError, appointment_book, appointment_set_status
from tests.factories import AppointmentFactory, PractitionerProfileFactory

pytestmark = pytest.mark.django_db


def _tomorrow_at(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


# --- booking ------------------------------------------------------------------------


def test_booking_on_a_chart_archived_after_the_caller_read_it_is_refused(
    patient, acupuncturist, front_desk
):
    read_before = Patient.objects.get(pk=patient.pk)
    patient_archive(patient=patient, reason="Moved abroad", archived_by=front_desk)

    with pytest.raises(ChartArchived, match="^This chart is archived. Restore it before booking.$"):
        appointment_book(
            patient=read_before,
            practitioner=acupuncturist,
            starts_at=_tomorrow_at(10),
            length_minutes=45,
            user=front_desk,
        )

    assert not Appointment.objects.exists()


def test_booking_a_time_that_has_passed_is_refused_on_the_date(patient, acupuncturist, front_desk):
    with pytest.raises(BookingError, match="^That time has already passed.$") as refused:
        appointment_book(
            patient=patient,
            practitioner=acupuncturist,
            starts_at=timezone.now() - datetime.timedelta(minutes=1),
            length_minutes=45,
            user=front_desk,
        )

    assert refused.value.field == "date"
    assert not Appointment.objects.exists()


def test_booking_a_practitioner_already_seeing_someone_then_is_refused_on_the_time(
    patient, acupuncturist, front_desk
):
    other = AppointmentFactory(practitioner=acupuncturist, starts_at=_tomorrow_at(10))

    with pytest.raises(BookingError) as refused:
        appointment_book(
            patient=patient,
            practitioner=acupuncturist,
            starts_at=_tomorrow_at(10, 30),
            length_minutes=45,
            user=front_desk,
        )

    assert (
        str(refused.value) == f"{acupuncturist} already has a visit from 10:00 to 10:45 that day."
    )
    assert refused.value.field == "time"
    assert list(Appointment.objects.all()) == [other]


def test_booking_a_patient_already_booked_with_another_practitioner_then_is_refused_on_the_time(
    patient, acupuncturist, front_desk
):
    colleague = PractitionerProfileFactory().user
    other = AppointmentFactory(patient=patient, practitioner=colleague, starts_at=_tomorrow_at(10))

    with pytest.raises(BookingError) as refused:
        appointment_book(
            patient=patient,
            practitioner=acupuncturist,
            starts_at=_tomorrow_at(9, 30),
            length_minutes=45,
            user=front_desk,
        )

    assert str(refused.value) == "The patient already has a visit booked at 10:00 that day."
    assert refused.value.field == "time"
    assert list(Appointment.objects.all()) == [other]


def test_a_visit_ending_as_the_next_begins_is_no_overlap(patient, acupuncturist, front_desk):
    AppointmentFactory(practitioner=acupuncturist, starts_at=_tomorrow_at(10))
    AppointmentFactory(patient=patient, starts_at=_tomorrow_at(11, 30))

    _appointment, created = appointment_book(
        patient=patient,
        practitioner=acupuncturist,
        starts_at=_tomorrow_at(10, 45),
        length_minutes=45,
        user=front_desk,
    )

    assert created


# --- a visit's status ---------------------------------------------------------------


def test_a_visit_already_marked_cannot_be_marked_otherwise(patient, front_desk):
    visit = AppointmentFactory(
        patient=patient, starts_at=timezone.now() - datetime.timedelta(hours=1)
    )
    appointment_set_status(
        appointment=visit, status=Appointment.Status.ATTENDED, reason="", user=front_desk
    )

    with pytest.raises(BookingError, match="^This visit is already marked attended.$"):
        appointment_set_status(
            appointment=visit, status=Appointment.Status.CANCELLED, reason="", user=front_desk
        )

    assert Appointment.objects.get(pk=visit.pk).status == Appointment.Status.ATTENDED


@pytest.mark.parametrize("status", [Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW])
def test_a_visit_that_has_not_started_cannot_be_marked_attended_or_no_show(
    patient, front_desk, status
):
    visit = AppointmentFactory(patient=patient, starts_at=_tomorrow_at(10))

    with pytest.raises(
        BookingError, match="^A visit that has not started yet cannot be marked that way.$"
    ):
        appointment_set_status(appointment=visit, status=status, reason="", user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).is_booked


@pytest.mark.parametrize("status", ["", "moved"], ids=["no status", "unknown status"])
def test_a_visit_can_only_be_marked_attended_cancelled_or_no_show(patient, front_desk, status):
    visit = AppointmentFactory(patient=patient, starts_at=_tomorrow_at(10))

    with pytest.raises(BookingError, match="^Choose attended, cancelled or no-show.$"):
        appointment_set_status(appointment=visit, status=status, reason="", user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).is_booked
