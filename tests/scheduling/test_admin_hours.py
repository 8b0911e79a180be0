"""The clinic's hours, kept by the clinic admin in /admin/: opening hours, closures
and each practitioner's working hours."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from scheduling.models import Closure, OpeningHours, PractitionerHours

pytestmark = pytest.mark.django_db

KEPT = ["openinghours", "closure", "practitionerhours"]


def test_a_new_clinic_opens_monday_to_friday_nine_to_five():
    assert [(h.get_weekday_display(), h.starts, h.ends) for h in OpeningHours.objects.all()] == [
        (day, datetime.time(9), datetime.time(17))
        for day in ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    ]


def test_only_the_clinic_admin_role_keeps_the_hours():
    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="scheduling")
            .values_list("codename", flat=True)
        )

    kept = {f"{action}_{model}" for model in KEPT for action in ("view", "add", "change", "delete")}
    assert kept <= codenames(roles.CLINIC_ADMIN)
    assert not kept & codenames(roles.FRONT_DESK)
    assert not kept & codenames(roles.ACUPUNCTURIST)


@pytest.fixture
def admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def _errors(response) -> str:
    return " ".join(
        re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    )


@pytest.mark.parametrize("model", KEPT)
def test_the_clinic_admin_opens_each_list_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/scheduling/{model}/").status_code == 200
    assert admin_client.get(f"/admin/scheduling/{model}/add/").status_code == 200


def test_the_front_desk_cannot_change_the_hours(client, front_desk):
    front_desk.is_staff = True
    front_desk.save()
    client.force_login(front_desk)

    assert client.get("/admin/scheduling/openinghours/").status_code == 403


def test_the_clinic_admin_adds_a_holiday(admin_client):
    response = admin_client.post(
        "/admin/scheduling/closure/add/",
        {"first_day": "2031-12-24", "last_day": "2031-12-26", "reason": "Christmas"},
    )

    assert response.status_code == 302
    closure = Closure.objects.get()
    assert (closure.first_day, closure.last_day, closure.reason) == (
        datetime.date(2031, 12, 24),
        datetime.date(2031, 12, 26),
        "Christmas",
    )


def test_a_holiday_ending_before_it_starts_is_refused(admin_client):
    response = admin_client.post(
        "/admin/scheduling/closure/add/",
        {"first_day": "2031-12-26", "last_day": "2031-12-24", "reason": "Christmas"},
    )

    assert "The last day comes on or after the first." in _errors(response)
    assert not Closure.objects.exists()


@pytest.mark.parametrize(
    "starts, ends, message",
    [
        ("12:00", "18:00", "This overlaps the opening hours 09:00–17:00"),
        ("17:00", "16:00", "Closing comes after opening."),
        ("17:10", "19:00", "Use a quarter hour: :00, :15, :30 or :45."),
    ],
)
def test_opening_hours_that_overlap_run_backwards_or_miss_the_quarter_hour_are_refused(
    admin_client, starts, ends, message
):
    response = admin_client.post(
        "/admin/scheduling/openinghours/add/", {"weekday": "0", "starts": starts, "ends": ends}
    )

    assert message in _errors(response)
    assert OpeningHours.objects.filter(weekday=0).count() == 1


def test_an_evening_session_can_be_added_beside_the_day(admin_client):
    response = admin_client.post(
        "/admin/scheduling/openinghours/add/", {"weekday": "0", "starts": "17:00", "ends": "20:00"}
    )

    assert response.status_code == 302
    assert OpeningHours.objects.filter(weekday=0).count() == 2


def test_working_hours_are_given_to_practitioners_only(admin_client, acupuncturist, front_desk):
    page = admin_client.get("/admin/scheduling/practitionerhours/add/").content.decode()
    choices = re.search(r'<select name="practitioner".*?</select>', page, re.S)[0]
    assert f'value="{acupuncturist.pk}"' in choices
    assert f'value="{front_desk.pk}"' not in choices

    response = admin_client.post(
        "/admin/scheduling/practitionerhours/add/",
        {"practitioner": str(acupuncturist.pk), "weekday": "1", "starts": "13:00", "ends": "17:00"},
    )

    assert response.status_code == 302
    assert PractitionerHours.objects.get().practitioner == acupuncturist
