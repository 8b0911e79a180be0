import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "/patients/"


def _names(response):
    return [p.full_name for p in response.context["page"].object_list]


@pytest.fixture
def clinic_patients(front_desk):
    return [
        PatientFactory(
            first_name="Margaret",
            last_name="Holloway",
            preferred_name="Maggie",
            date_of_birth=datetime.date(1958, 3, 14),
            phone="+14155550134",
            email="maggie.h@example.com",
            created_by=front_desk,
        ),
        PatientFactory(
            first_name="David",
            last_name="Nguyen",
            date_of_birth=datetime.date(1986, 11, 2),
            phone="+12125550199",
            email="d.nguyen@example.org",
            created_by=front_desk,
        ),
        PatientFactory(
            first_name="James",
            last_name="O'Brien",
            date_of_birth=datetime.date(1964, 2, 11),
            phone="+442079460958",
            email="",
            created_by=front_desk,
        ),
    ]


def test_contract_url_for_the_patient_list():
    assert reverse("intake:patient_list") == URL


def test_list_is_in_name_order(desk_client, clinic_patients):
    assert _names(desk_client.get(URL)) == ["Margaret Holloway", "David Nguyen", "James O'Brien"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("holloway", ["Margaret Holloway"]),
        ("maggie", ["Margaret Holloway"]),
        ("david nguyen", ["David Nguyen"]),
        ("NGUYEN DAVID", ["David Nguyen"]),
        ("o'brien", ["James O'Brien"]),
        ("1958-03-14", ["Margaret Holloway"]),
        ("(415) 555-0134", ["Margaret Holloway"]),
        ("415.555.0134", ["Margaret Holloway"]),
        ("555-0199", ["David Nguyen"]),
        ("020 7946 0958", ["James O'Brien"]),
        ("d.nguyen@example.org", ["David Nguyen"]),
        ("@example.com", ["Margaret Holloway"]),
        ("nobody", []),
    ],
)
def test_search_by_name_date_of_birth_phone_or_email(desk_client, clinic_patients, query, expected):
    assert _names(desk_client.get(URL, {"q": query})) == expected


@pytest.mark.parametrize(
    ("order", "query", "expected"),
    [
        ("MDY", "03/14/1958", ["Margaret Holloway"]),
        ("MDY", "11/2/1986", ["David Nguyen"]),
        ("MDY", "02/11/64", ["James O'Brien"]),
        ("DMY", "14/03/1958", ["Margaret Holloway"]),
        ("DMY", "02.11.1986", ["David Nguyen"]),
        ("DMY", "1964-02-11", ["James O'Brien"]),
        ("MDY", "maggie.h", ["Margaret Holloway"]),
        ("MDY", "D.NGUYEN", ["David Nguyen"]),
    ],
)
def test_search_by_a_date_typed_in_the_clinics_order_or_part_of_an_email(
    desk_client, clinic_patients, settings, order, query, expected
):
    settings.DATE_INPUT_ORDER = order
    assert _names(desk_client.get(URL, {"q": query})) == expected


@pytest.mark.parametrize("query", ["02/30/1958", "14/03/1958", "13/13/13", "1958-02-30"])
def test_a_date_that_cannot_exist_finds_nothing_and_says_so(desk_client, clinic_patients, query):
    response = desk_client.get(URL, {"q": query})
    assert response.status_code == 200
    assert _names(response) == []
    assert "No patients found for" in response.content.decode()


def test_the_search_names_the_date_format_the_clinic_uses(desk_client, settings):
    settings.DATE_INPUT_ORDER = "MDY"
    assert "date of birth (MM/DD/YYYY or YYYY-MM-DD)" in desk_client.get(URL).content.decode()
    settings.DATE_INPUT_ORDER = "DMY"
    assert "date of birth (DD/MM/YYYY or YYYY-MM-DD)" in desk_client.get(URL).content.decode()


def test_the_closest_names_come_first_on_the_page(desk_client, front_desk):
    for first, last in [("Ana", "Mcgarcia"), ("Zoe", "Garciaz"), ("Bo", "García")]:
        PatientFactory(first_name=first, last_name=last, email="", created_by=front_desk)
    response = desk_client.get(URL, {"q": "Garcia"})
    assert _names(response) == ["Bo García", "Zoe Garciaz", "Ana Mcgarcia"]


def test_search_with_odd_input_does_not_crash(desk_client, clinic_patients):
    for query in ["%", "_", "' OR 1=1 --", "\\", "a" * 500, "2024-13-45", "+", "@"]:
        assert desk_client.get(URL, {"q": query}).status_code == 200


def test_search_term_is_shown_escaped(desk_client):
    response = desk_client.get(URL, {"q": "<b>x</b>"})
    assert b"<b>x</b>" not in response.content


def test_list_paginates(desk_client, front_desk, settings):
    settings.PATIENTS_PER_PAGE = 10
    PatientFactory.create_batch(23, created_by=front_desk)
    first = desk_client.get(URL)
    assert len(first.context["page"].object_list) == 10
    last = desk_client.get(URL, {"page": 3})
    assert len(last.context["page"].object_list) == 3
    assert desk_client.get(URL, {"page": "999"}).status_code == 200
    assert desk_client.get(URL, {"page": "abc"}).status_code == 200


def test_page_links_keep_the_search(desk_client, front_desk, settings):
    settings.PATIENTS_PER_PAGE = 2
    PatientFactory.create_batch(3, last_name="Smith", created_by=front_desk)
    response = desk_client.get(URL, {"q": "smith"})
    assert b"?q=smith&amp;status=active&amp;page=2" in response.content


def _count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries), len(response.context["page"].object_list)


def test_list_query_count_does_not_grow_with_patients(desk_client, front_desk):
    PatientFactory.create_batch(3, created_by=front_desk)
    small, shown_small = _count_queries(desk_client)
    PatientFactory.create_batch(27, created_by=front_desk)
    large, shown_large = _count_queries(desk_client)
    assert (shown_small, shown_large) == (3, 25)
    assert small == large
    # session, user, the user's permissions (2), count, page, and one insert of the
    # trail's "shown in a list" entries
    assert large == 7


def test_chart_query_count_is_fixed(desk_client, patient):
    url = reverse("clinic:patient_detail", kwargs={"code": patient.code})
    with CaptureQueriesContext(connection) as queries:
        assert desk_client.get(url).status_code == 200
    # session, user, the user's permissions (2), the patient with its staff names,
    # the latest intake and the open intake link, the active plan, the next
    # appointment and the recent appointments, the open check-in (the front desk
    # never reads the answers), and the audit entry for the read
    assert len(queries) == 12


def test_status_filter_all_shows_archived_and_active(desk_client, clinic_patients):
    from django.utils import timezone

    archived = clinic_patients[0]
    Patient.objects.filter(pk=archived.pk).update(status="archived", archived_at=timezone.now())
    assert len(_names(desk_client.get(URL))) == 2
    assert len(_names(desk_client.get(URL, {"status": "all"}))) == 3
    assert _names(desk_client.get(URL, {"status": "archived"})) == ["Margaret Holloway"]
