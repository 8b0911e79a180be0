"""Checking a patient in from the schedule (/appointments/<code>/arrived/), and
cancelling a visit with a reason (/appointments/<code>/cancel/).

The clock stands at 10:07 on a Wednesday (tests/scheduling/conftest.py).
"""

import html
import re

import pytest

from scheduling import notices
from scheduling.models import Appointment
from tests.factories import AppointmentFactory, PatientFactory, PractitionerProfileFactory

pytestmark = pytest.mark.django_db

FRIDAY = 2


@pytest.fixture
def mei(db):
    return PractitionerProfileFactory(user__first_name="Mei", user__last_name="Okafor").user


@pytest.fixture
def jane(front_desk):
    return PatientFactory(
        first_name="Jane", preferred_name="Janie", last_name="Doe", created_by=front_desk
    )


@pytest.fixture
def today(clock, jane, mei):
    """Jane's visit with Mei today at 10:30, booked."""
    return AppointmentFactory(patient=jane, practitioner=mei, starts_at=clock.at(0, 10, 30))


@pytest.fixture
def friday(clock, jane, mei):
    return AppointmentFactory(patient=jane, practitioner=mei, starts_at=clock.at(FRIDAY, 11))


@pytest.fixture
def desk(client, front_desk, clock):
    client.force_login(front_desk)
    return client


@pytest.fixture
def sent(monkeypatch):
    asked = []
    monkeypatch.setattr(
        notices, "appointment_cancelled", lambda a: asked.append(("cancelled", a.pk))
    )
    return asked


def _arrived(visit) -> str:
    return f"/appointments/{visit.code}/arrived/"


def _cancel(visit) -> str:
    return f"/appointments/{visit.code}/cancel/"


def _messages(response) -> list[str]:
    found = re.findall(
        r'<div class="alert [^"]*" role="[^"]*">(.*?)</div>', response.content.decode()
    )
    return [html.unescape(message) for message in found]


def _stored(visit) -> Appointment:
    return Appointment.objects.get(pk=visit.pk)


# --- checking in ---------------------------------------------------------------------


def test_checking_in_marks_the_visit_arrived_and_returns_to_the_schedules_day(
    desk, clock, today, front_desk
):
    response = desk.post(_arrived(today), follow=True)

    assert response.redirect_chain == [(f"/schedule/?date={clock.today}", 302)]
    assert _messages(response) == ["Jane “Janie” Doe is checked in (10:07)."]
    stored = _stored(today)
    assert (stored.status, stored.arrived_at, stored.status_changed_by) == (
        "arrived",
        clock.now,
        front_desk,
    )
    shown = re.search(
        rf'data-appointment="{today.code}" data-status="(\w+)"', response.content.decode()
    )
    assert shown[1] == "arrived"


def test_checking_in_twice_keeps_the_first_time_and_says_so(desk, clock, today):
    desk.post(_arrived(today), follow=True)
    first = _stored(today).arrived_at
    clock.set(clock.at(0, 10, 12))

    response = desk.post(_arrived(today), follow=True)

    assert _messages(response) == ["Jane “Janie” Doe was already checked in, at 10:07."]
    assert _stored(today).arrived_at == first


def test_a_visit_on_a_later_day_is_not_checked_in(desk, clock, friday):
    response = desk.post(_arrived(friday), follow=True)

    assert response.redirect_chain == [(f"/schedule/?date={clock.day(FRIDAY)}", 302)]
    assert _messages(response) == ["This visit is on a later day: check the patient in on the day."]
    assert _stored(friday).status == Appointment.Status.BOOKED


def test_a_cancelled_visit_is_not_checked_in(desk, today):
    today.status = Appointment.Status.CANCELLED
    today.save()

    response = desk.post(_arrived(today), follow=True)

    assert "only a booked visit can be checked in" in _messages(response)[0]
    assert _stored(today).arrived_at is None


def test_checking_in_only_answers_post(desk, today):
    assert desk.get(_arrived(today)).status_code == 405
    assert _stored(today).status == Appointment.Status.BOOKED


@pytest.mark.parametrize("role", ["acupuncturist", "no_role"])
def test_only_the_front_desk_and_clinic_admin_check_patients_in(client, users, clock, today, role):
    client.force_login(users[role])

    assert client.post(_arrived(today)).status_code == 403
    assert _stored(today).status == Appointment.Status.BOOKED


def test_the_clinic_admin_checks_patients_in_too(client, clinic_admin, clock, today):
    client.force_login(clinic_admin)

    assert client.post(_arrived(today)).status_code == 302
    assert _stored(today).status == Appointment.Status.ARRIVED


def test_an_unknown_visit_is_not_found(desk):
    code = "00000000-0000-4000-8000-000000000000"
    assert desk.post(f"/appointments/{code}/arrived/").status_code == 404
    assert desk.get(f"/appointments/{code}/cancel/").status_code == 404


# --- cancelling ----------------------------------------------------------------------


def test_cancelling_first_shows_what_is_cancelled_and_asks_why(desk, clock, friday):
    response = desk.get(_cancel(friday))

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "Cancel this visit?" in text
    assert "Jane “Janie” Doe" in text
    assert f"{clock.day(FRIDAY):%A %-d %B %Y}, 11:00–11:45 (45 min)" in text
    assert "Mei Okafor" in text
    assert re.search(r'<textarea[^>]*name="reason"|<input[^>]*name="reason"', text)
    assert _stored(friday).status == Appointment.Status.BOOKED


def test_cancelling_needs_a_reason(desk, friday, sent):
    response = desk.post(_cancel(friday), {"reason": "  "})

    assert response.status_code == 200
    assert re.search(
        r'id="error_1_id_reason"><strong>Give a reason.</strong>', response.content.decode()
    )
    assert _stored(friday).status == Appointment.Status.BOOKED
    assert sent == []


def test_cancelling_says_cancelled_keeps_the_reason_and_tells_the_patient(
    desk, clock, friday, front_desk, sent
):
    response = desk.post(_cancel(friday), {"reason": "Patient has flu"}, follow=True)

    assert response.redirect_chain == [(f"/schedule/?date={clock.day(FRIDAY)}", 302)]
    assert _messages(response) == [
        f"Cancelled: Jane “Janie” Doe's visit on {clock.day(FRIDAY):%A %-d %B} at 11:00 with "
        "Mei Okafor. To undo this, book the visit again."
    ]
    stored = _stored(friday)
    assert (stored.status, stored.status_reason, stored.status_changed_by) == (
        "cancelled",
        "Patient has flu",
        front_desk,
    )
    assert sent == [("cancelled", friday.pk)]
    assert re.search(
        rf'data-appointment="{friday.code}" data-status="cancelled"', response.content.decode()
    )


def test_cancelling_from_the_chart_returns_to_the_chart(desk, friday, jane):
    response = desk.post(_cancel(friday) + "?from=chart", {"reason": "Moved away"})

    assert response["Location"] == f"/patients/{jane.code}/"
    assert _stored(friday).status == Appointment.Status.CANCELLED


def test_cancelling_twice_changes_nothing_and_says_it_is_cancelled(
    desk, clock, friday, front_desk, sent
):
    desk.post(_cancel(friday), {"reason": "Patient has flu"}, follow=True)

    again = desk.post(_cancel(friday), {"reason": "Sent twice"}, follow=True)
    page = desk.get(_cancel(friday), follow=True)

    for response in (again, page):
        assert response.redirect_chain == [(f"/schedule/?date={clock.day(FRIDAY)}", 302)]
        assert _messages(response) == ["This visit is already cancelled."]
    stored = _stored(friday)
    assert (stored.status_reason, stored.status_changed_by) == ("Patient has flu", front_desk)
    assert sent == [("cancelled", friday.pk)]


@pytest.mark.parametrize("status, word", [("attended", "attended"), ("no_show", "no-show")])
def test_a_visit_attended_or_missed_is_not_cancelled(desk, clock, jane, mei, status, word):
    visit = AppointmentFactory(
        patient=jane, practitioner=mei, starts_at=clock.at(0, 9), status=status
    )

    for response in (
        desk.get(_cancel(visit), follow=True),
        desk.post(_cancel(visit), {"reason": "x"}, follow=True),
    ):
        assert _messages(response) == [
            f"This visit is already marked {word}: it cannot be cancelled."
        ]
    assert _stored(visit).status == status


@pytest.mark.parametrize("role", ["acupuncturist", "no_role"])
def test_only_the_front_desk_and_clinic_admin_cancel_visits(client, users, clock, friday, role):
    client.force_login(users[role])

    assert client.get(_cancel(friday)).status_code == 403
    assert client.post(_cancel(friday), {"reason": "Unwell"}).status_code == 403
    assert _stored(friday).status == Appointment.Status.BOOKED


def test_the_schedule_and_the_chart_offer_cancel_for_a_booked_visit(desk, clock, friday, jane):
    schedule = desk.get("/schedule/", {"date": clock.day(FRIDAY).isoformat()}).content.decode()
    chart = desk.get(f"/patients/{jane.code}/").content.decode()

    assert f'href="{_cancel(friday)}">Cancel…' in schedule
    assert f'href="{_cancel(friday)}?from=chart">Cancel…</a>' in chart


def test_a_cancelled_visit_is_undone_by_booking_it_again(desk, clock, friday, jane, mei):
    desk.post(_cancel(friday), {"reason": "Called to cancel"})
    schedule = desk.get("/schedule/", {"date": clock.day(FRIDAY).isoformat()}).content.decode()
    book_again = html.unescape(re.search(r'href="([^"]*)">Book again</a>', schedule)[1])
    assert book_again == (
        f"/patients/{jane.code}/appointments/new/?practitioner={mei.pk}"
        f"&date={clock.day(FRIDAY)}&time=11:00&from=schedule"
    )
    assert (
        f"/schedule/book/?practitioner={mei.pk}&amp;date={clock.day(FRIDAY)}&amp;time=11:00"
        in schedule
    )

    form = desk.get(book_again).content.decode()
    assert 'value="11:00"' in form
    response = desk.post(
        book_again,
        {
            "date": clock.day(FRIDAY).isoformat(),
            "time": "11:00",
            "practitioner": str(mei.pk),
            "length_minutes": "45",
        },
    )

    assert response.status_code == 302
    assert list(
        Appointment.objects.filter(patient=jane).order_by("pk").values_list("status", flat=True)
    ) == ["cancelled", "booked"]
