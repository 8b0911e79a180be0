"""Key pages run the same number of queries whatever the size of the data, where their
own app's tests do not check it yet: the patient search by name, phone, date of birth
and part of an email. (The other key pages are checked next to their other tests: the
dashboards in tests/clinic/test_views_dashboard.py, the audit trail in
tests/clinic/test_views_audit.py, the worklist in tests/scheduling/test_views_appointments.py,
and so on.)"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PATIENTS = "/patients/"
BIRTHDAY = datetime.date(1961, 4, 9)


def _matching(count: int, front_desk, start: int):
    """`count` charts that every search below finds: the same surname, phone start
    and date of birth."""
    for n in range(start, start + count):
        PatientFactory(
            first_name=f"Ada{n}",
            last_name="Lovelace",
            phone=f"+1415777{n:04d}",
            date_of_birth=BIRTHDAY,
            created_by=front_desk,
        )


@pytest.mark.parametrize(
    "query",
    [
        "lovelace",
        "+1415777",
        BIRTHDAY.isoformat(),
        BIRTHDAY.strftime("%m/%d/%Y"),  # the demo clinic's order (DATE_INPUT_ORDER "MDY")
        "lovelace@example",
        "ada",  # names closest first, and emails
    ],
)
def test_the_patient_search_runs_the_same_queries_for_3_or_30_charts_found(
    desk_client, front_desk, query
):
    def search():
        with CaptureQueriesContext(connection) as captured:
            response = desk_client.get(PATIENTS, {"q": query})
        assert response.status_code == 200
        return len(response.context["page"].object_list), len(captured)

    _matching(3, front_desk, start=0)
    desk_client.get(PATIENTS, {"q": query})  # session and permission caches warmed alike
    few_shown, few = search()
    _matching(27, front_desk, start=3)
    many_shown, many = search()

    assert (few_shown, many_shown) == (3, 25)
    assert many == few
