"""The audit trail page (/audit/, docs/reference.md) and the admin's view of the trail:
who may open it, its filters (patient, user, event, dates), its order and pages,
and that neither offers any way to add, change or delete an entry."""

import datetime
import html
import re
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from core.keyset import Cursor
from intake.models import Patient
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

Event = AuditEntry.Event
AUDIT = "/audit/"
LOGIN = "/accounts/login/"


# --- helpers ------------------------------------------------------------------------


def _rows(response) -> list[dict]:
    """The table's rows, top to bottom: event, who, patient code, record, address."""
    assert response.status_code == 200
    page = response.content.decode()
    rows = []
    for event, body in re.findall(r'<tr data-event="([^"]*)">(.*?)</tr>', page, re.S):
        cells = dict(re.findall(r'<td[^>]*data-label="([^"]+)"[^>]*>(.*?)</td>', body, re.S))
        patient = re.search(r'href="\?patient=([0-9a-f-]+)"', cells.get("Patient", ""))
        rows.append(
            {
                "event": event,
                "who": " ".join(re.sub(r"<[^>]+>", " ", cells.get("Who", "")).split()),
                "patient": patient.group(1) if patient else None,
                "record": " ".join(re.sub(r"<[^>]+>", " ", cells.get("Record", "")).split()),
                "address": cells.get("Address", "").strip(),
            }
        )
    return rows


def _markers(response) -> list[str]:
    """The made-up record ids (entry-NNN) of the rows, top to bottom."""
    found = []
    for row in _rows(response):
        match = re.search(r"entry-\d+", row["record"])
        found.append(match.group(0) if match else row["record"])
    return found


def _errors(response) -> list[str]:
    page = response.content.decode()
    return [
        html.unescape(" ".join(text.split()))
        for text in re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</div>', page, re.S)
    ]


def _at(day: datetime.date, hour=12, minute=0, second=0) -> datetime.datetime:
    """An aware time at that wall-clock time in the clinic's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute, second)))


def _entries(count: int, *, start: datetime.datetime, step=datetime.timedelta(minutes=1), **kw):
    """`count` read entries, one `step` apart from `start` (oldest first), each naming a
    made-up record "entry-NNN" so a row can be told from another; patients and staff
    vary unless given."""
    content_type = ContentType.objects.get_for_model(Patient)
    made = []
    for n in range(count):
        fields = {
            "event": Event.READ,
            "action": AuditEntry.Action.ACCESS,
            "content_type": content_type,
            "object_pk": f"entry-{n:03d}",
            "object_repr": f"entry-{n:03d}",
            "path": f"/patients/{uuid.uuid4()}/",
            "remote_addr": "192.0.2.10",
            "timestamp": start + n * step,
            **kw,
        }
        made.append(AuditEntry(**fields))
    return AuditEntry.objects.bulk_create(made)


def _admin(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


# --- Who may open the trail ------------------------------------------------------------


def test_anonymous_visitors_see_no_entries(client, front_desk, patient):
    desk = client.__class__()
    desk.force_login(front_desk)
    desk.get(f"/patients/{patient.code}/")

    response = client.get(AUDIT)

    assert response.status_code in (302, 403)
    assert b"data-event" not in response.content
    assert str(patient.code).encode() not in response.content


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(AUDIT)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
    assert "/audit/" in response["Location"]


@pytest.mark.parametrize("role", ["front_desk", "acupuncturist", "no_role"])
def test_staff_other_than_the_clinic_admin_are_refused_and_the_refusal_recorded(
    client, users, role
):
    client.force_login(users[role])

    response = client.get(AUDIT, REMOTE_ADDR="198.51.100.5")

    assert response.status_code == 403
    assert b"data-event" not in response.content
    refusal = AuditEntry.objects.filter(event=Event.DENIED, actor=users[role]).get()
    assert (refusal.path, refusal.remote_addr) == (AUDIT, "198.51.100.5")


def test_the_clinic_admin_opens_the_trail_and_sees_reads_and_logins(
    client, clinic_admin, front_desk, patient
):
    desk = client.__class__()
    desk.post(LOGIN, {"username": "desk", "password": TEST_PASSWORD}, REMOTE_ADDR="203.0.113.9")
    desk.get(f"/patients/{patient.code}/", REMOTE_ADDR="203.0.113.9")

    response = _admin(client, clinic_admin).get(AUDIT)

    assert response.status_code == 200
    rows = _rows(response)
    read = next(row for row in rows if row["event"] == Event.READ)
    assert read["who"] == "desk"
    assert read["patient"] == str(patient.code)
    assert read["address"] == "203.0.113.9"
    assert "Jane “Janie” Doe" in html.unescape(response.content.decode())
    assert any(row["event"] == Event.LOGIN and row["who"] == "desk" for row in rows)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_trail_cannot_be_written_to(client, clinic_admin, method):
    _entries(3, start=timezone.now() - datetime.timedelta(hours=1))
    _admin(client, clinic_admin)
    before = AuditEntry.objects.count()

    response = getattr(client, method)(AUDIT, {"event": "login"})

    assert response.status_code == 405
    assert AuditEntry.objects.count() == before


# --- Filters -------------------------------------------------------------------------


@pytest.fixture
def two_charts_read(client, front_desk, acupuncturist, patient):
    """Jane Doe's chart read by the front desk and the acupuncturist, another chart
    read by the front desk, a failed login typed "desk" and a refusal."""
    other = PatientFactory(first_name="Ola", last_name="Nordmann")
    browsers = {}
    for user in (front_desk, acupuncturist):
        browsers[user.username] = client.__class__()
        browsers[user.username].force_login(user)
    browsers["desk"].get(f"/patients/{patient.code}/")
    browsers["needles"].get(f"/patients/{patient.code}/")
    browsers["needles"].get(f"/patients/{patient.code}/plan/")
    browsers["desk"].get(f"/patients/{other.code}/")
    client.__class__().post(LOGIN, {"username": "desk", "password": "not-the-password"})
    browsers["desk"].get(f"/plans/{uuid.uuid4()}/")  # 403: not the front desk's
    return {"jane": patient, "other": other}


def test_the_patient_filter_shows_only_that_patients_entries(client, clinic_admin, two_charts_read):
    jane = two_charts_read["jane"]

    response = _admin(client, clinic_admin).get(AUDIT, {"patient": str(jane.code)})

    rows = _rows(response)
    assert len(rows) == AuditEntry.objects.filter(patient=jane).count()
    assert {row["patient"] for row in rows} == {str(jane.code)}
    assert sorted(row["who"] for row in rows if row["event"] == Event.READ) == [
        "desk",
        "needles",
        "needles",
    ]
    assert "Ola" not in response.content.decode()


def test_the_patient_link_in_a_row_filters_to_that_patient(client, clinic_admin, two_charts_read):
    other = two_charts_read["other"]
    _admin(client, clinic_admin)
    listing = client.get(AUDIT).content.decode()
    assert f'href="?patient={other.code}"' in listing

    rows = _rows(client.get(AUDIT, {"patient": str(other.code)}))

    # The chart was read once (by the front desk) and made once (by the test's setup).
    assert [(row["event"], row["who"]) for row in rows] == [
        (Event.READ, "desk"),
        (Event.CREATE, "patient or system"),
    ]
    assert {row["patient"] for row in rows} == {str(other.code)}


def test_the_user_filter_shows_that_users_entries_and_logins_typed_with_that_name(
    client, clinic_admin, two_charts_read
):
    response = _admin(client, clinic_admin).get(AUDIT, {"user": "desk"})

    rows = _rows(response)
    assert rows
    assert {row["who"].removesuffix(" (typed)") for row in rows} == {"desk"}
    events = [row["event"] for row in rows]
    assert events.count(Event.READ) == 2
    assert Event.LOGIN_FAILED in events
    assert Event.DENIED in events
    assert "needles" not in {row["who"] for row in rows}


def test_the_event_filter_shows_only_that_kind_of_entry(client, clinic_admin, two_charts_read):
    response = _admin(client, clinic_admin).get(AUDIT, {"event": Event.DENIED})

    rows = _rows(response)
    assert [(row["event"], row["who"]) for row in rows] == [(Event.DENIED, "desk")]


def test_filters_combine(client, clinic_admin, two_charts_read):
    jane = two_charts_read["jane"]

    response = _admin(client, clinic_admin).get(
        AUDIT, {"patient": str(jane.code), "user": "needles", "event": Event.READ}
    )

    rows = _rows(response)
    assert len(rows) == 2
    assert {(row["who"], row["patient"]) for row in rows} == {("needles", str(jane.code))}


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_the_date_range_includes_both_days_whole_in_the_clinics_time_zone(
    client, clinic_admin, settings, zone
):
    settings.TIME_ZONE = zone
    first = datetime.date(2025, 3, 10)
    last = first + datetime.timedelta(days=2)
    times = {
        "entry-000": _at(first - datetime.timedelta(days=1), 23, 59, 59),  # the day before
        "entry-001": _at(first, 0, 0, 0),
        "entry-002": _at(first + datetime.timedelta(days=1), 12),
        "entry-003": _at(last, 23, 59, 59),
        "entry-004": _at(last + datetime.timedelta(days=1), 0, 0, 0),  # the day after
    }
    for marker, when in times.items():
        _entries(1, start=when, object_pk=marker)
    _admin(client, clinic_admin)

    both = client.get(AUDIT, {"date_from": first.isoformat(), "date_to": last.isoformat()})
    one_day = client.get(AUDIT, {"date_from": last.isoformat(), "date_to": last.isoformat()})
    since = client.get(AUDIT, {"date_from": last.isoformat()})
    until = client.get(AUDIT, {"date_to": (first - datetime.timedelta(days=1)).isoformat()})

    assert _markers(both) == ["entry-003", "entry-002", "entry-001"]
    assert _markers(one_day) == ["entry-003"]
    assert [m for m in _markers(since) if m.startswith("entry-")] == ["entry-004", "entry-003"]
    assert _markers(until) == ["entry-000"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"patient": "not-a-code"}, "patient", "Enter a patient code"),
        ({"patient": "12345"}, "patient", "Enter a patient code"),
        ({"date_from": "2025-03-12", "date_to": "2025-03-10"}, "date_to", "before the start"),
        ({"date_from": "2025-13-01"}, "date_from", "valid date"),
        ({"date_to": "yesterday"}, "date_to", "valid date"),
        # A date the calendar has but no record could (9999-12-31 plus a day overflowed).
        ({"date_to": "9999-12-31"}, "date_to", "between 1900 and 2199"),
        ({"date_from": "0001-01-01"}, "date_from", "between 1900 and 2199"),
        ({"event": "hacked"}, "event", "valid choice"),
    ],
)
def test_an_invalid_filter_says_what_is_wrong_and_lists_nothing(
    client, clinic_admin, query, field, message
):
    _entries(5, start=_at(datetime.date(2025, 3, 11)))

    response = _admin(client, clinic_admin).get(AUDIT, query)

    assert response.status_code == 200
    assert _rows(response) == []
    errors = _errors(response)
    assert len(errors) == 1
    assert message in errors[0]
    page = response.content.decode()
    [tag] = re.findall(rf'<(?:input|select)\b[^>]*\bname="{field}"[^>]*>', page)
    assert "is-invalid" in tag, "the field itself is marked"
    assert "No entries match." in page


def test_an_unknown_patient_code_lists_nothing_without_an_error(client, clinic_admin):
    _entries(5, start=_at(datetime.date(2025, 3, 11)), patient=PatientFactory())

    response = _admin(client, clinic_admin).get(AUDIT, {"patient": str(uuid.uuid4())})

    assert _rows(response) == []
    assert _errors(response) == []
    assert "No entries match." in response.content.decode()


def test_a_filter_that_matches_nothing_says_so(client, clinic_admin):
    _entries(5, start=_at(datetime.date(2025, 3, 11)))

    response = _admin(client, clinic_admin).get(AUDIT, {"user": "nobody-of-that-name"})

    assert _rows(response) == []
    assert "No entries match." in response.content.decode()


# --- Order, pages and queries ----------------------------------------------------------


def _link(response, label: str) -> str | None:
    """The href of the pager's "Newer" or "Older" link, unescaped; None without one."""
    found = re.findall(
        r'<a class="page-link"[^>]*href="([^"]*)">(\w+)</a>', response.content.decode()
    )
    hrefs = [html.unescape(href) for href, text in found if text == label]
    assert len(hrefs) <= 1
    return AUDIT + hrefs[0] if hrefs else None


def test_the_newest_entries_come_first_fifty_to_a_page(client, clinic_admin):
    _entries(120, start=_at(datetime.date(2025, 3, 1)))
    _admin(client, clinic_admin)
    march = {"date_from": "2025-03-01", "date_to": "2025-03-31"}  # only these 120

    first = client.get(AUDIT, march)
    second = client.get(_link(first, "Older"))
    third = client.get(_link(second, "Older"))

    assert _markers(first) == [f"entry-{n:03d}" for n in range(119, 69, -1)]
    assert _markers(second) == [f"entry-{n:03d}" for n in range(69, 19, -1)]
    assert _markers(third) == [f"entry-{n:03d}" for n in range(19, -1, -1)]
    assert _link(first, "Newer") is None
    assert _link(third, "Older") is None
    # No page numbers: nothing counts the trail.
    assert "Page " not in third.content.decode()


def test_newer_goes_back_a_page_at_a_time_to_the_newest(client, clinic_admin):
    _entries(120, start=_at(datetime.date(2025, 3, 1)))
    _admin(client, clinic_admin)
    march = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    third = client.get(_link(client.get(_link(client.get(AUDIT, march), "Older")), "Older"))

    back = client.get(_link(third, "Newer"))
    newest = client.get(_link(back, "Newer"))

    assert _markers(back) == [f"entry-{n:03d}" for n in range(69, 19, -1)]
    assert _markers(newest) == [f"entry-{n:03d}" for n in range(119, 69, -1)]
    assert _link(newest, "Newer") is None
    assert _link(newest, "Older")


def test_entries_written_in_the_same_instant_are_listed_newest_first(client, clinic_admin):
    same = _at(datetime.date(2025, 3, 1))
    _entries(3, start=same, step=datetime.timedelta(0))

    rows = _markers(_admin(client, clinic_admin).get(AUDIT, {"date_to": "2025-03-01"}))

    assert rows == ["entry-002", "entry-001", "entry-000"]


def test_pages_split_entries_of_the_same_instant_without_losing_or_repeating_one(
    client, clinic_admin, settings
):
    settings.AUDIT_ENTRIES_PER_PAGE = 2
    _entries(5, start=_at(datetime.date(2025, 3, 1)), step=datetime.timedelta(0))
    _admin(client, clinic_admin)

    pages = [client.get(AUDIT, {"date_to": "2025-03-01"})]
    while link := _link(pages[-1], "Older"):
        pages.append(client.get(link))

    assert [_markers(page) for page in pages] == [
        ["entry-004", "entry-003"],
        ["entry-002", "entry-001"],
        ["entry-000"],
    ]


def test_pages_keep_the_filter(client, clinic_admin):
    patient = PatientFactory()
    _entries(60, start=_at(datetime.date(2025, 3, 1)), patient=patient)
    _entries(60, start=_at(datetime.date(2025, 3, 2)))
    _admin(client, clinic_admin)

    first = client.get(AUDIT, {"patient": str(patient.code)})
    link = _link(first, "Older")

    assert link, "a link to the next page"
    assert f"patient={patient.code}" in link
    second = client.get(link)
    # 60 entries and, newest, the patient's creation: 61 rows, 11 on the second page.
    assert len(_rows(first)) == 50
    assert _markers(second) == [f"entry-{n:03d}" for n in range(10, -1, -1)]
    assert {row["patient"] for row in _rows(second)} == {str(patient.code)}


def test_the_user_filter_pages_through_the_users_entries_and_the_names_typed(
    client, clinic_admin, settings
):
    settings.AUDIT_ENTRIES_PER_PAGE = 3
    someone = UserFactory(username="someone")
    start = _at(datetime.date(2025, 3, 1))
    minute = datetime.timedelta(minutes=1)
    # Alternately: the user's own entries, failed logins typed with the name, and an
    # entry both ways (as the app writes them); others' entries in between.
    for n in range(8):
        who = [
            {"actor": someone},
            {"username": "someone"},
            {"actor": someone, "username": "someone"},
        ][n % 3]
        _entries(1, start=start + 2 * n * minute, object_pk=f"entry-{n:03d}", **who)
        _entries(1, start=start + (2 * n + 1) * minute, object_pk="other", actor=clinic_admin)
    _admin(client, clinic_admin)

    pages = [client.get(AUDIT, {"user": "someone"})]
    while link := _link(pages[-1], "Older"):
        pages.append(client.get(link))

    assert [_markers(page) for page in pages] == [
        ["entry-007", "entry-006", "entry-005"],
        ["entry-004", "entry-003", "entry-002"],
        ["entry-001", "entry-000"],
    ]


def _cursor(link: str) -> str:
    return re.search(r"cursor=([^&]+)", link).group(1)


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "",
        "WzEsMiwzXQ:1tAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "é" * 500,
    ],
)
def test_a_cursor_that_was_tampered_with_shows_the_first_page(client, clinic_admin, cursor):
    _entries(60, start=_at(datetime.date(2025, 3, 1)))
    _admin(client, clinic_admin)
    march = {"date_from": "2025-03-01", "date_to": "2025-03-31"}
    real = _cursor(_link(client.get(AUDIT, march), "Older"))

    for value in (cursor, real[:-1] + ("A" if real[-1] != "A" else "B"), real[5:]):
        response = client.get(AUDIT, {**march, "cursor": value})
        assert response.status_code == 200
        assert _markers(response)[:2] == ["entry-059", "entry-058"]


def test_a_cursor_past_the_last_entry_of_the_filter_starts_the_filter_again(client, clinic_admin):
    patient = PatientFactory()
    _entries(3, start=_at(datetime.date(2025, 3, 1)), patient=patient)
    _admin(client, clinic_admin)
    # Made on another filter's page: older than anything of this patient's.
    before = Cursor(_at(datetime.date(2025, 2, 1)), 1, "older").encode()

    response = client.get(AUDIT, {"patient": str(patient.code), "cursor": before})

    # The patient's creation, then the three entries.
    assert _markers(response)[1:] == ["entry-002", "entry-001", "entry-000"]


def _page_queries(client, **query) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(AUDIT, query)
    assert response.status_code == 200
    return [q["sql"] for q in captured]


# session, user, the user's permissions (2), the device that verified the session,
# the page of entries with their staff, patients and types
AUDIT_PAGE_QUERIES = 6


def test_the_trail_runs_the_same_queries_for_few_and_many_entries(client, clinic_admin):
    staff = [UserFactory() for _ in range(6)]
    patients = [PatientFactory(created_by=staff[0]) for _ in range(6)]
    _admin(client, clinic_admin)

    def add(count, day):
        for n in range(count):
            _entries(
                1,
                start=_at(day) + datetime.timedelta(seconds=n),
                actor=staff[n % 6],
                patient=patients[n % 6],
                changes={"phone": ["+14155550100", "+14155550101"]},
                object_pk=f"entry-{n:03d}",
            )

    def counts():
        older = _link(client.get(AUDIT), "Older")
        return [
            len(_page_queries(client)),
            len(_page_queries(client, patient=str(patients[0].code))),
            len(_page_queries(client, user=staff[0].username)),
            len(_page_queries(client, event=Event.READ, date_from="2025-03-01")),
            len(_page_queries(client, cursor=_cursor(older))) if older else AUDIT_PAGE_QUERIES,
        ]

    add(5, datetime.date(2025, 3, 1))
    few = counts()
    add(120, datetime.date(2025, 3, 2))
    many = counts()

    # ... and the patient of the filter; the user filter looks the user up and reads
    # its two lists.
    expected = [AUDIT_PAGE_QUERIES, AUDIT_PAGE_QUERIES + 1, AUDIT_PAGE_QUERIES + 2]
    assert few == many == [*expected, AUDIT_PAGE_QUERIES, AUDIT_PAGE_QUERIES]


def test_no_page_counts_the_trail(client, clinic_admin):
    _entries(120, start=_at(datetime.date(2025, 3, 1)))
    _admin(client, clinic_admin)
    cursor = _cursor(_link(client.get(AUDIT), "Older"))

    for query in ({}, {"cursor": cursor}, {"event": Event.READ}, {"user": "nobody"}):
        assert not [sql for sql in _page_queries(client, **query) if "COUNT(" in sql.upper()]


# --- The admin: read-only --------------------------------------------------------------


@pytest.fixture
def an_entry(client, front_desk, patient):
    desk = client.__class__()
    desk.force_login(front_desk)
    desk.get(f"/patients/{patient.code}/")
    return AuditEntry.objects.get(event=Event.READ, patient=patient)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


# The changelist filtered to reads; entries of every kind are listed by the test below.
READS_LISTED = "/admin/audit/auditentry/?event__exact=read"


@pytest.mark.parametrize("who", ["clinic_admin", "superuser"])
def test_the_admin_lists_entries_but_offers_no_add_or_delete(
    client, users, superuser, an_entry, who
):
    user = superuser if who == "superuser" else users["clinic_admin"]
    client.force_login(user)

    listing = client.get(READS_LISTED)

    assert listing.status_code == 200
    page = listing.content.decode()
    assert f"/admin/audit/auditentry/{an_entry.pk}/change/" in page
    assert "/admin/audit/auditentry/add/" not in page
    assert 'value="delete_selected"' not in page
    index = client.get("/admin/").content.decode()
    assert "/admin/audit/auditentry/" in index
    assert "/admin/audit/auditentry/add/" not in index


@pytest.mark.parametrize("who", ["clinic_admin", "superuser"])
def test_the_admin_cannot_add_change_or_delete_an_entry(client, users, superuser, an_entry, who):
    user = superuser if who == "superuser" else users["clinic_admin"]
    client.force_login(user)
    change_url = f"/admin/audit/auditentry/{an_entry.pk}/change/"
    delete_url = f"/admin/audit/auditentry/{an_entry.pk}/delete/"
    last = AuditEntry.objects.order_by("-id").first().id

    viewed = client.get(change_url)
    assert viewed.status_code == 200
    page = viewed.content.decode()
    assert 'name="_save"' not in page
    assert delete_url not in page
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post("/admin/audit/auditentry/add/", {"event": "login"}).status_code == 403
    assert client.post(change_url, {"event": "login", "remote_addr": "1.2.3.4"}).status_code == 403
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    client.post(
        READS_LISTED,
        {"action": "delete_selected", "_selected_action": [an_entry.pk], "post": "yes"},
    )

    stored = AuditEntry.objects.get(pk=an_entry.pk)
    assert (stored.event, stored.remote_addr) == (an_entry.event, an_entry.remote_addr)
    # Nothing was added but the refusals.
    assert not AuditEntry.objects.filter(id__gt=last).exclude(event=Event.DENIED).exists()


def test_the_admin_lists_logins_and_refusals_too(client, clinic_admin, front_desk):
    client.__class__().post(LOGIN, {"username": "desk", "password": TEST_PASSWORD})
    login = AuditEntry.objects.get(event=Event.LOGIN, actor=front_desk)
    client.force_login(clinic_admin)

    listing = client.get("/admin/audit/auditentry/")
    entry_page = client.get(f"/admin/audit/auditentry/{login.pk}/change/")

    assert listing.status_code == 200
    assert f"/admin/audit/auditentry/{login.pk}/change/" in listing.content.decode()
    assert entry_page.status_code == 200


def test_staff_without_the_trail_permission_cannot_see_it_in_the_admin(client, front_desk):
    front_desk.is_staff = True
    front_desk.save()
    client.force_login(front_desk)

    assert client.get("/admin/audit/auditentry/").status_code == 403
