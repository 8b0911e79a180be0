"""The scheduling services refuse what their rules forbid, whoever calls them; and
next_free_slot offers only what booking accepts.

The clock stands at 10:07 on a Wednesday (tests/scheduling/conftest.py); the
clinic opens Monday to Friday, 09:00-17:00 (its data migration).
"""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.models import Patient
from intake.services import ChartArchived, patient_archive
from scheduling import notices
from scheduling.models import Appointment, Closure, OpeningHours, PractitionerHours
from scheduling.selectors import next_free_slot
from scheduling.services import (
    BookingError,
    appointment_arrived,
    appointment_book,
    appointment_cancel,
    appointment_set_status,
)
from tests.factories import AppointmentFactory, PatientFactory, PractitionerProfileFactory

pytestmark = pytest.mark.django_db

THURSDAY, FRIDAY, SATURDAY, MONDAY = 1, 2, 3, 5  # days from the clock's Wednesday


@pytest.fixture
def sent(monkeypatch):
    """The notices the services asked for, instead of queueing them."""
    asked = []
    monkeypatch.setattr(notices, "appointment_booked", lambda a: asked.append(("booked", a.pk)))
    monkeypatch.setattr(
        notices, "appointment_cancelled", lambda a: asked.append(("cancelled", a.pk))
    )
    return asked


def _book(patient, practitioner, starts_at, user, length_minutes=45):
    return appointment_book(
        patient=patient,
        practitioner=practitioner,
        starts_at=starts_at,
        length_minutes=length_minutes,
        user=user,
    )


def _refusal(patient, practitioner, starts_at, user, length_minutes=45) -> BookingError:
    with pytest.raises(BookingError) as refused:
        _book(patient, practitioner, starts_at, user, length_minutes)
    return refused.value


# --- booking ------------------------------------------------------------------------


def test_booking_on_a_chart_archived_after_the_caller_read_it_is_refused(
    clock, patient, acupuncturist, front_desk
):
    read_before = Patient.objects.get(pk=patient.pk)
    patient_archive(patient=patient, reason="Moved abroad", archived_by=front_desk)

    with pytest.raises(ChartArchived, match="^This chart is archived. Restore it before booking.$"):
        _book(read_before, acupuncturist, clock.at(THURSDAY, 10), front_desk)

    assert not Appointment.objects.exists()


def test_booking_a_time_earlier_today_is_refused_on_the_time(
    clock, patient, acupuncturist, front_desk
):
    refused = _refusal(patient, acupuncturist, clock.at(0, 10), front_desk)

    assert (str(refused), refused.field) == ("That time has already passed.", "time")
    assert not Appointment.objects.exists()


def test_booking_a_day_that_has_passed_is_refused_on_the_date(
    clock, patient, acupuncturist, front_desk
):
    refused = _refusal(patient, acupuncturist, clock.at(-1, 14), front_desk)

    assert (str(refused), refused.field) == ("That time has already passed.", "date")
    assert not Appointment.objects.exists()


def test_booking_a_weekday_the_clinic_is_closed_is_refused_on_the_date(
    clock, patient, acupuncturist, front_desk
):
    refused = _refusal(patient, acupuncturist, clock.at(SATURDAY, 10), front_desk)

    assert (str(refused), refused.field) == ("The clinic is closed on Saturdays.", "date")
    assert not Appointment.objects.exists()


def test_booking_on_a_closure_is_refused_on_the_date_with_its_reason(
    clock, patient, acupuncturist, front_desk
):
    Closure.objects.create(
        first_day=clock.day(THURSDAY), last_day=clock.day(FRIDAY), reason="Staff training"
    )

    for day in (THURSDAY, FRIDAY):
        refused = _refusal(patient, acupuncturist, clock.at(day, 10), front_desk)
        assert str(refused) == (
            f"The clinic is closed on {clock.day(day):%A %-d %B}: Staff training."
        )
        assert refused.field == "date"
    assert not Appointment.objects.exists()


def test_a_one_day_closure_closes_only_that_day(clock, patient, acupuncturist, front_desk):
    Closure.objects.create(first_day=clock.day(THURSDAY), reason="Public holiday")

    assert _refusal(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk).field == "date"
    _appointment, created = _book(patient, acupuncturist, clock.at(FRIDAY, 10), front_desk)
    assert created


@pytest.mark.parametrize(
    "hour, minute, length",
    [(8, 30, 45), (8, 45, 30), (16, 30, 45), (17, 0, 30), (16, 0, 90)],
    ids=["before opening", "ending at opening", "running past closing", "at closing", "long"],
)
def test_booking_outside_the_opening_hours_is_refused_on_the_time(
    clock, patient, acupuncturist, front_desk, hour, minute, length
):
    refused = _refusal(patient, acupuncturist, clock.at(THURSDAY, hour, minute), front_desk, length)

    assert str(refused) == (
        "The clinic is open 09:00–17:00 on Thursdays: the visit must start and end within "
        "those hours."
    )
    assert refused.field == "time"
    assert not Appointment.objects.exists()


def test_the_first_and_last_visits_of_the_day_fit_the_opening_hours(
    clock, patient, acupuncturist, front_desk
):
    _first, created_first = _book(patient, acupuncturist, clock.at(THURSDAY, 9), front_desk)
    _last, created_last = _book(patient, acupuncturist, clock.at(THURSDAY, 16, 15), front_desk)

    assert created_first and created_last


def test_opening_hours_changed_by_the_clinic_admin_apply_at_once(
    clock, patient, acupuncturist, front_desk
):
    OpeningHours.objects.create(weekday=5, starts=datetime.time(9), ends=datetime.time(13))

    _appointment, created = _book(patient, acupuncturist, clock.at(SATURDAY, 10), front_desk)

    assert created
    assert _refusal(patient, acupuncturist, clock.at(SATURDAY, 12, 30), front_desk).field == "time"


def test_booking_a_day_the_practitioner_does_not_work_is_refused_on_the_date(
    clock, patient, acupuncturist, front_desk
):
    PractitionerHours.objects.create(
        practitioner=acupuncturist, weekday=0, starts=datetime.time(9), ends=datetime.time(17)
    )

    refused = _refusal(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)

    assert (str(refused), refused.field) == (f"{acupuncturist} does not work on Thursdays.", "date")
    assert not Appointment.objects.exists()


def test_booking_outside_the_practitioners_hours_is_refused_on_the_time(
    clock, patient, acupuncturist, front_desk
):
    PractitionerHours.objects.create(
        practitioner=acupuncturist, weekday=3, starts=datetime.time(13), ends=datetime.time(17)
    )

    refused = _refusal(patient, acupuncturist, clock.at(THURSDAY, 12, 30), front_desk)

    assert str(refused) == (
        f"{acupuncturist} works 13:00–17:00 on Thursdays: the visit must start and end "
        "within those hours."
    )
    assert refused.field == "time"
    _appointment, created = _book(patient, acupuncturist, clock.at(THURSDAY, 13), front_desk)
    assert created


def test_another_practitioners_hours_do_not_limit_this_one(
    clock, patient, acupuncturist, front_desk
):
    colleague = PractitionerProfileFactory().user
    PractitionerHours.objects.create(
        practitioner=colleague, weekday=3, starts=datetime.time(13), ends=datetime.time(17)
    )

    _appointment, created = _book(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)

    assert created


def test_booking_a_practitioner_already_seeing_someone_then_is_refused_on_the_time(
    clock, patient, acupuncturist, front_desk
):
    other = AppointmentFactory(practitioner=acupuncturist, starts_at=clock.at(THURSDAY, 10))

    refused = _refusal(patient, acupuncturist, clock.at(THURSDAY, 10, 30), front_desk)

    assert str(refused) == f"{acupuncturist} already has a visit from 10:00 to 10:45 that day."
    assert refused.field == "time"
    assert list(Appointment.objects.all()) == [other]


def test_a_patient_checked_in_still_holds_the_practitioners_time(
    clock, patient, acupuncturist, front_desk
):
    AppointmentFactory(
        practitioner=acupuncturist,
        starts_at=clock.at(0, 10),
        status=Appointment.Status.ARRIVED,
    )

    refused = _refusal(patient, acupuncturist, clock.at(0, 10, 30), front_desk)

    assert refused.field == "time"
    assert "already has a visit from 10:00 to 10:45" in str(refused)


def test_booking_a_patient_already_booked_with_another_practitioner_then_is_refused_on_the_time(
    clock, patient, acupuncturist, front_desk
):
    colleague = PractitionerProfileFactory().user
    other = AppointmentFactory(
        patient=patient, practitioner=colleague, starts_at=clock.at(THURSDAY, 10)
    )

    refused = _refusal(patient, acupuncturist, clock.at(THURSDAY, 9, 30), front_desk)

    assert str(refused) == "The patient already has a visit booked at 10:00 that day."
    assert refused.field == "time"
    assert list(Appointment.objects.all()) == [other]


def test_a_visit_ending_as_the_next_begins_is_no_overlap(clock, patient, acupuncturist, front_desk):
    AppointmentFactory(practitioner=acupuncturist, starts_at=clock.at(THURSDAY, 10))
    AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 11, 30))

    _appointment, created = _book(patient, acupuncturist, clock.at(THURSDAY, 10, 45), front_desk)

    assert created


def test_a_booking_asks_for_the_confirmation_once(clock, patient, acupuncturist, front_desk, sent):
    appointment, _created = _book(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)
    again, created = _book(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)

    assert (again, created) == (appointment, False)
    assert sent == [("booked", appointment.pk)]


def test_a_refused_booking_sends_nothing(clock, patient, acupuncturist, front_desk, sent):
    _refusal(patient, acupuncturist, clock.at(SATURDAY, 10), front_desk)

    assert sent == []


def test_a_booking_whose_confirmation_fails_is_not_kept(
    clock, patient, acupuncturist, front_desk, monkeypatch
):
    def fails(appointment):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(notices, "appointment_booked", fails)

    with pytest.raises(RuntimeError):
        _book(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)

    assert not Appointment.objects.exists()


# --- cancelling ---------------------------------------------------------------------


def test_cancelling_keeps_the_reason_who_and_when_and_tells_the_patient(
    clock, patient, front_desk, sent
):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 10))

    cancelled = appointment_cancel(appointment=visit, reason="Patient has flu", user=front_desk)

    stored = Appointment.objects.get(pk=visit.pk)
    assert stored.status == cancelled.status == Appointment.Status.CANCELLED
    assert stored.status_reason == "Patient has flu"
    assert (stored.status_changed_by, stored.status_changed_at) == (front_desk, clock.now)
    assert sent == [("cancelled", visit.pk)]


def test_cancelling_twice_changes_nothing_and_tells_the_patient_once(
    clock, patient, front_desk, clinic_admin, sent
):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 10))
    appointment_cancel(appointment=visit, reason="Patient has flu", user=front_desk)
    clock.set(clock.now + datetime.timedelta(minutes=5))

    appointment_cancel(appointment=visit, reason="Sent twice", user=clinic_admin)

    stored = Appointment.objects.get(pk=visit.pk)
    assert (stored.status_reason, stored.status_changed_by) == ("Patient has flu", front_desk)
    assert sent == [("cancelled", visit.pk)]


@pytest.mark.parametrize("status", [Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW])
def test_a_visit_attended_or_missed_cannot_be_cancelled(clock, patient, front_desk, sent, status):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(-1, 10), status=status)

    with pytest.raises(BookingError, match="it cannot be cancelled.$"):
        appointment_cancel(appointment=visit, reason="Mistake", user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).status == status
    assert sent == []


def test_a_patient_checked_in_by_mistake_can_still_be_cancelled(clock, patient, front_desk):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(0, 10, 30))
    appointment_arrived(appointment=visit, user=front_desk)

    appointment_cancel(appointment=visit, reason="Wrong patient checked in", user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).status == Appointment.Status.CANCELLED


def test_a_cancelled_visit_is_undone_by_booking_it_again(clock, patient, acupuncturist, front_desk):
    visit, _created = _book(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)
    appointment_cancel(appointment=visit, reason="Called to cancel", user=front_desk)

    again, created = _book(patient, acupuncturist, clock.at(THURSDAY, 10), front_desk)

    assert created and again.pk != visit.pk
    assert again.status == Appointment.Status.BOOKED


def test_marking_a_visit_cancelled_on_the_chart_also_tells_the_patient(
    clock, patient, front_desk, sent
):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 10))

    changed = appointment_set_status(
        appointment=visit, status=Appointment.Status.CANCELLED, reason="", user=front_desk
    )

    assert changed.status == Appointment.Status.CANCELLED
    assert sent == [("cancelled", visit.pk)]


# --- a visit's status ---------------------------------------------------------------


def test_a_visit_already_marked_cannot_be_marked_otherwise(clock, patient, front_desk):
    visit = AppointmentFactory(patient=patient, starts_at=clock.now - datetime.timedelta(hours=1))
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
    clock, patient, front_desk, status
):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 10))

    with pytest.raises(
        BookingError, match="^A visit that has not started yet cannot be marked that way.$"
    ):
        appointment_set_status(appointment=visit, status=status, reason="", user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).is_booked


@pytest.mark.parametrize("status", ["", "moved"], ids=["no status", "unknown status"])
def test_a_visit_can_only_be_marked_attended_cancelled_or_no_show(
    clock, patient, front_desk, status
):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 10))

    with pytest.raises(BookingError, match="^Choose attended, cancelled or no-show.$"):
        appointment_set_status(appointment=visit, status=status, reason="", user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).is_booked


# --- checking in --------------------------------------------------------------------


def test_checking_in_records_the_time_and_twice_changes_nothing(clock, patient, front_desk):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(0, 10, 30))

    appointment_arrived(appointment=visit, user=front_desk)
    first = Appointment.objects.get(pk=visit.pk)
    clock.set(clock.now + datetime.timedelta(minutes=3))
    appointment_arrived(appointment=visit, user=front_desk)

    stored = Appointment.objects.get(pk=visit.pk)
    assert stored.status == Appointment.Status.ARRIVED
    assert stored.arrived_at == first.arrived_at == clock.now - datetime.timedelta(minutes=3)


def test_a_visit_on_a_later_day_cannot_be_checked_in(clock, patient, front_desk):
    visit = AppointmentFactory(patient=patient, starts_at=clock.at(THURSDAY, 10))

    with pytest.raises(BookingError, match="later day"):
        appointment_arrived(appointment=visit, user=front_desk)

    assert Appointment.objects.get(pk=visit.pk).is_booked


def test_a_cancelled_visit_cannot_be_checked_in(clock, patient, front_desk):
    visit = AppointmentFactory(
        patient=patient, starts_at=clock.at(0, 10, 30), status=Appointment.Status.CANCELLED
    )

    with pytest.raises(BookingError, match="only a booked visit can be checked in"):
        appointment_arrived(appointment=visit, user=front_desk)


# --- the next free time -------------------------------------------------------------


def test_the_next_free_time_today_is_the_next_quarter_hour(clock, acupuncturist):
    assert next_free_slot(acupuncturist, clock.today, 45) == clock.at(0, 10, 15)


def test_the_next_free_time_skips_the_practitioners_visits(clock, acupuncturist):
    AppointmentFactory(practitioner=acupuncturist, starts_at=clock.at(0, 10, 15))
    AppointmentFactory(practitioner=acupuncturist, starts_at=clock.at(0, 11), length_minutes=30)

    assert next_free_slot(acupuncturist, clock.today, 45) == clock.at(0, 11, 30)
    assert next_free_slot(acupuncturist, clock.today, 30) == clock.at(0, 11, 30)


def test_the_next_free_time_skips_visits_checked_in_but_not_cancelled_ones(clock, acupuncturist):
    AppointmentFactory(
        practitioner=acupuncturist,
        starts_at=clock.at(0, 10, 15),
        status=Appointment.Status.ARRIVED,
    )
    AppointmentFactory(
        practitioner=acupuncturist,
        starts_at=clock.at(0, 11),
        status=Appointment.Status.CANCELLED,
    )

    assert next_free_slot(acupuncturist, clock.today, 45) == clock.at(0, 11)


def test_the_next_free_time_for_a_patient_skips_their_visits_with_others(
    clock, acupuncturist, patient
):
    colleague = PractitionerProfileFactory().user
    AppointmentFactory(patient=patient, practitioner=colleague, starts_at=clock.at(0, 10, 30))

    assert next_free_slot(acupuncturist, clock.today, 45) == clock.at(0, 10, 15)
    assert next_free_slot(acupuncturist, clock.today, 45, patient=patient) == clock.at(0, 11, 15)


def test_the_next_free_time_starts_from_the_time_asked(clock, acupuncturist):
    asked = next_free_slot(acupuncturist, clock.day(THURSDAY), 45, not_before=datetime.time(14))

    assert asked == clock.at(THURSDAY, 14)


def test_the_next_free_time_never_offers_a_time_that_has_passed(clock, acupuncturist):
    assert next_free_slot(acupuncturist, clock.day(-2), 45) == clock.at(0, 10, 15)
    assert next_free_slot(acupuncturist, clock.today, 45, not_before=datetime.time(9)) == (
        clock.at(0, 10, 15)
    )


def test_after_closing_the_next_free_time_is_the_next_open_day(clock, acupuncturist):
    monday = clock.at(MONDAY, 9)
    clock.set(clock.at(FRIDAY, 16, 20))

    assert next_free_slot(acupuncturist, clock.today, 45) == monday


def test_the_next_free_time_skips_weekdays_the_clinic_is_closed(clock, acupuncturist):
    assert next_free_slot(acupuncturist, clock.day(SATURDAY), 45) == clock.at(MONDAY, 9)


def test_the_next_free_time_skips_closures(clock, acupuncturist):
    Closure.objects.create(
        first_day=clock.day(THURSDAY), last_day=clock.day(MONDAY), reason="Holiday"
    )

    assert next_free_slot(acupuncturist, clock.day(THURSDAY), 45) == clock.at(MONDAY + 1, 9)


def test_the_next_free_time_keeps_to_the_practitioners_hours(clock, acupuncturist):
    PractitionerHours.objects.create(
        practitioner=acupuncturist, weekday=4, starts=datetime.time(13), ends=datetime.time(16)
    )

    assert next_free_slot(acupuncturist, clock.today, 45) == clock.at(FRIDAY, 13)


def test_when_the_day_is_full_the_next_free_time_is_the_next_day(clock, acupuncturist):
    for hour in range(9, 17):
        AppointmentFactory(
            practitioner=acupuncturist, starts_at=clock.at(THURSDAY, hour), length_minutes=60
        )

    assert next_free_slot(acupuncturist, clock.day(THURSDAY), 45) == clock.at(FRIDAY, 9)


def test_there_is_no_next_free_time_when_the_clinic_never_opens(clock, acupuncturist):
    OpeningHours.objects.all().delete()

    assert next_free_slot(acupuncturist, clock.today, 45) is None


def test_the_next_free_time_takes_the_same_queries_however_full_the_weeks(
    clock, acupuncturist, front_desk
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            next_free_slot(acupuncturist, clock.today, 45)
        return len(captured)

    few = queries()
    for day in range(1, 30):
        AppointmentFactory(practitioner=acupuncturist, starts_at=clock.at(day, 9))
    assert queries() == few == 4


# Each example books through the database: a bounded number keeps it quick.
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    visits=st.lists(
        st.tuples(st.integers(0, 4), st.integers(36, 67), st.sampled_from([30, 45, 60, 90])),
        max_size=12,
    ),
    own_hours=st.none() | st.tuples(st.integers(36, 52), st.integers(4, 24)),
    closed_day=st.none() | st.integers(0, 6),
    asked_day=st.integers(-1, 6),
    not_before=st.none() | st.integers(32, 72),
    length=st.sampled_from([30, 45, 60, 90]),
)
def test_the_next_free_time_is_the_first_one_booking_accepts(
    clock, acupuncturist, front_desk, visits, own_hours, closed_day, asked_day, not_before, length
):
    saved = transaction.savepoint()
    try:
        _check_the_next_free_time(
            clock,
            acupuncturist,
            front_desk,
            visits,
            own_hours,
            closed_day,
            asked_day,
            not_before,
            length,
        )
    finally:
        # Each example leaves nothing behind for the next, even when it fails.
        transaction.savepoint_rollback(saved)


def _check_the_next_free_time(
    clock, acupuncturist, front_desk, visits, own_hours, closed_day, asked_day, not_before, length
):
    def quarter(n):
        return datetime.time(n // 4, n % 4 * 15)

    patient = PatientFactory(created_by=front_desk)
    for day, start, minutes in visits:
        AppointmentFactory(
            practitioner=acupuncturist,
            starts_at=clock.at(day, *divmod(start * 15, 60)),
            length_minutes=minutes,
        )
    if own_hours is not None:
        start, span = own_hours
        for weekday in range(5):
            PractitionerHours.objects.create(
                practitioner=acupuncturist,
                weekday=weekday,
                starts=quarter(start),
                ends=quarter(min(start + span, 95)),
            )
    if closed_day is not None:
        Closure.objects.create(first_day=clock.day(closed_day), reason="Closed")
    day = clock.day(asked_day)
    after = quarter(not_before) if not_before is not None else None

    slot = next_free_slot(acupuncturist, day, length, not_before=after, patient=patient)

    if own_hours is not None:
        start, span = own_hours
        # The practitioner works within the clinic's 09:00-17:00 (quarters 36-68) only.
        working = min(start + span, 95, 68) - max(start, 36)
        if working * 15 < length:
            assert slot is None  # no day is long enough for this visit
            return
    assert slot is not None  # some weekday in the next weeks has room
    local = timezone.localtime(slot)
    assert local.minute % 15 == 0 and local.second == 0
    assert slot > clock.now
    # Every earlier quarter hour of that day, from the time asked, is refused...
    first = after if day == local.date() and after is not None else datetime.time(0)
    moment = timezone.make_aware(datetime.datetime.combine(local.date(), first))
    while moment < slot:
        if moment > clock.now:
            inner = transaction.savepoint()
            with pytest.raises(BookingError):
                _book(patient, acupuncturist, moment, front_desk, length)
            transaction.savepoint_rollback(inner)
        moment += datetime.timedelta(minutes=15)
    # ... and the one offered is accepted.
    _appointment, created = _book(patient, acupuncturist, slot, front_desk, length)
    assert created
