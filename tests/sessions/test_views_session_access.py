"""Who reaches the session pages, what each role sees of sessions on the chart, and
pages that keep the same number of queries however much a patient has on record."""

import datetime
import html
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sessions.models import (
    AdverseEvent,
    Protocol,
    SafetyAcknowledgement,
    SessionAddendum,
    TreatmentSession,
)
from tests.factories import (
    TEN_POINTS,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
)
from tests.payloads import session_note
from tests.urls import chart_url

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
UNKNOWN_CODE = "00000000-0000-4000-8000-000000000000"
FORTY_POINTS = ", ".join(f"BL{number}" for number in range(1, 41))
USERS = ["front_desk", "acupuncturist", "clinic_admin", "no_role"]


def _note(**overrides):
    """A complete, valid session form as the acupuncturist sends it."""
    defaults = {
        "pain_before": "6",
        "pain_after": "3",
        "points": "GB20 L, BL23",
        "needles_inserted": "10",
        "needles_removed": "10",
        "retention_minutes": "20",
        "subjective": "Neck stiffer after a long drive.",
        "objective": "",
        "range_of_motion": "",
        "assessment": "",
        "plan_notes": "",
        "pain_medication_doses": "",
    }
    return session_note(**(defaults | overrides))


def _session_url(session):
    return f"/sessions/{session.code}/"


def _rows(response) -> list[str]:
    """The codes of the sessions listed on the chart, top to bottom."""
    return re.findall(r'<tr data-session="([^"]+)">', response.content.decode())


def _row(response, session) -> str:
    match = re.search(
        rf'<tr data-session="{session.code}">(.*?)</tr>', response.content.decode(), re.S
    )
    assert match, f"session {session.code} is listed"
    return " ".join(match.group(1).split())


@pytest.fixture
def world(patient, acupuncturist):
    """A patient with one draft and one signed note by the acupuncturist, and a protocol."""
    return SimpleNamespace(
        patient=patient,
        draft=TreatmentSessionFactory(
            patient=patient, created_by=acupuncturist, points="GB20 L, BL23"
        ),
        signed=TreatmentSessionFactory(
            patient=patient, created_by=acupuncturist, signed=True, points="LI4"
        ),
        protocol=ProtocolFactory(name="Neck tension headache", created_by=acupuncturist),
    )


def _state(world) -> dict:
    """Everything the session and protocol pages can change."""
    draft = TreatmentSession.objects.get(pk=world.draft.pk)
    protocol = Protocol.objects.get(pk=world.protocol.pk)
    return {
        "sessions": TreatmentSession.objects.count(),
        "addenda": SessionAddendum.objects.count(),
        "protocols": Protocol.objects.count(),
        "draft": (draft.status, draft.subjective, draft.pain_before, draft.updated_at),
        "signed": TreatmentSession.objects.get(pk=world.signed.pk).status,
        "protocol": (protocol.name, protocol.points, protocol.updated_at),
    }


# (case, URL of the page, method, POST data, status for the acupuncturist)
PAGES = [
    (
        "session_create GET",
        lambda w: reverse("treatment_sessions:session_create", kwargs={"code": w.patient.code}),
        "get",
        None,
        200,
    ),
    (
        "session_create POST",
        lambda w: reverse("treatment_sessions:session_create", kwargs={"code": w.patient.code}),
        "post",
        _note(),
        302,
    ),
    (
        "session_detail GET",
        lambda w: reverse("treatment_sessions:session_detail", kwargs={"code": w.signed.code}),
        "get",
        None,
        200,
    ),
    (
        "session_edit GET",
        lambda w: reverse("treatment_sessions:session_edit", kwargs={"code": w.draft.code}),
        "get",
        None,
        200,
    ),
    (
        "session_edit POST",
        lambda w: reverse("treatment_sessions:session_edit", kwargs={"code": w.draft.code}),
        "post",
        _note(pain_before="9", subjective="Changed by whoever could."),
        302,
    ),
    (
        "session_sign POST",
        lambda w: reverse("treatment_sessions:session_sign", kwargs={"code": w.draft.code}),
        "post",
        {},
        302,
    ),
    (
        "addendum_create POST",
        lambda w: reverse("treatment_sessions:addendum_create", kwargs={"code": w.signed.code}),
        "post",
        {"text": "The left side was needled, not the right."},
        302,
    ),
    (
        "session_discard GET",
        lambda w: reverse("treatment_sessions:session_discard", kwargs={"code": w.draft.code}),
        "get",
        None,
        200,
    ),
    (
        "session_discard POST",
        lambda w: reverse("treatment_sessions:session_discard", kwargs={"code": w.draft.code}),
        "post",
        {"reason": "Logged on the wrong chart."},
        302,
    ),
    ("protocol_list GET", lambda w: reverse("treatment_sessions:protocol_list"), "get", None, 200),
    (
        "protocol_create GET",
        lambda w: reverse("treatment_sessions:protocol_create"),
        "get",
        None,
        200,
    ),
    (
        "protocol_create POST",
        lambda w: reverse("treatment_sessions:protocol_create"),
        "post",
        {"name": "Low back", "description": "", "points": "BL23, BL40", "is_active": "on"},
        302,
    ),
    (
        "protocol_edit GET",
        lambda w: reverse("treatment_sessions:protocol_edit", kwargs={"code": w.protocol.code}),
        "get",
        None,
        200,
    ),
    (
        "protocol_edit POST",
        lambda w: reverse("treatment_sessions:protocol_edit", kwargs={"code": w.protocol.code}),
        "post",
        {"name": "Renamed", "description": "", "points": "GB20", "is_active": "on"},
        302,
    ),
]
PAGE_IDS = [case[0] for case in PAGES]


def _request(client, world, url_for, method, data):
    url = url_for(world)
    if method == "post":
        return url, client.post(url, data)
    return url, client.get(url)


@pytest.mark.parametrize(("case", "url_for", "method", "data", "ok"), PAGES, ids=PAGE_IDS)
def test_acupuncturist_uses_every_session_and_protocol_page(
    client, acupuncturist, world, case, url_for, method, data, ok
):
    client.force_login(acupuncturist)
    before = _state(world)
    _, response = _request(client, world, url_for, method, data)
    assert response.status_code == ok
    if method == "post":
        assert _state(world) != before, "the acupuncturist's POST took effect"


def test_acupuncturist_posts_do_what_the_page_says(client, acupuncturist, world):
    client.force_login(acupuncturist)
    draft, signed = world.draft, world.signed

    client.post(reverse("treatment_sessions:session_sign", kwargs={"code": draft.code}))
    draft.refresh_from_db()
    assert draft.status == TreatmentSession.Status.SIGNED

    client.post(
        reverse("treatment_sessions:addendum_create", kwargs={"code": signed.code}),
        {"text": "Patient called: felt dizzy that evening."},
    )
    assert list(signed.addenda.values_list("text", flat=True)) == [
        "Patient called: felt dizzy that evening."
    ]

    response = client.post(
        reverse("treatment_sessions:session_create", kwargs={"code": world.patient.code}),
        _note(subjective="Created through the form."),
    )
    created = TreatmentSession.objects.get(subjective="Created through the form.")
    assert response["Location"] == _session_url(created)
    assert created.created_by == acupuncturist
    assert created.points_text() == "GB20 L, BL23"


@pytest.mark.parametrize("user_name", USERS)
def test_signing_refuses_get_and_signs_nothing(client, users, world, user_name):
    client.force_login(users[user_name])
    url = reverse("treatment_sessions:session_sign", kwargs={"code": world.draft.code})
    assert client.get(url).status_code == 405
    world.draft.refresh_from_db()
    assert world.draft.is_draft


SESSION_PAGES_BY_CODE = [
    ("treatment_sessions:session_detail", "get"),
    ("treatment_sessions:session_edit", "get"),
    ("treatment_sessions:session_sign", "post"),
    ("treatment_sessions:addendum_create", "post"),
    ("treatment_sessions:session_discard", "get"),
    ("treatment_sessions:protocol_edit", "get"),
]


@pytest.mark.parametrize(("name", "method"), SESSION_PAGES_BY_CODE)
def test_unknown_session_code_is_not_found_for_the_acupuncturist(
    client, acupuncturist, name, method
):
    client.force_login(acupuncturist)
    url = reverse(name, kwargs={"code": UNKNOWN_CODE})
    assert getattr(client, method)(url).status_code == 404


@pytest.mark.parametrize("user_name", ["front_desk", "no_role"])
@pytest.mark.parametrize(("name", "method"), SESSION_PAGES_BY_CODE)
def test_refused_roles_cannot_probe_which_session_codes_exist(
    client, users, world, user_name, name, method
):
    client.force_login(users[user_name])
    unknown = getattr(client, method)(reverse(name, kwargs={"code": UNKNOWN_CODE}))
    known_code = world.protocol.code if name.endswith("protocol_edit") else world.signed.code
    known = getattr(client, method)(reverse(name, kwargs={"code": known_code}))
    assert unknown.status_code == known.status_code == 403


# --- The chart ----------------------------------------------------------------------


SECRET_SUBJECTIVE = "Throbbing behind the left eye since the harbour swim"


@pytest.fixture
def logged_session(patient, acupuncturist):
    """A signed note full of clinical detail: points, modalities, a needle-count alert
    and an adverse event."""
    session = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        signed=True,
        date=timezone.localdate() - datetime.timedelta(days=3),
        pain_before=8,
        pain_after=2,
        modalities=["manual_needling", "cupping"],
        needles_inserted=10,
        needles_removed=9,
        needle_count_explanation="One needle found on the couch and disposed of.",
        subjective=SECRET_SUBJECTIVE,
        objective="Taut bands in the left trapezius",
        assessment="Tension-type headache improving",
        plan_notes="Review in one week",
        points="GB20 L, BL23, LI4 R",
    )
    AdverseEvent.objects.create(
        session=session, kind="bruising", severity="moderate", causality="probable"
    )
    return session


def test_front_desk_sees_nothing_of_session_notes_on_the_chart(
    desk_client, patient, logged_session
):
    response = desk_client.get(chart_url(patient))
    assert response.status_code == 200
    content = response.content.decode()
    assert patient.last_name in content, "the front desk sees the chart itself"
    for clinical in [
        "Treatment sessions",
        "Log a session",
        f"/patients/{patient.code}/sessions/new/",
        str(logged_session.code),
        "/sessions/",
        SECRET_SUBJECTIVE,
        "Taut bands",
        "Tension-type headache",
        "Review in one week",
        "8 → 2",
        "Pain before",
        "GB20",
        "BL23",
        "LI4",
        "Cupping",
        "Manual needling",
        "Bruising",
        "adverse-event",
        "Needle count",
        "needle-count",
        "on the couch",
    ]:
        assert clinical not in content, f"front desk saw {clinical!r}"


def test_acupuncturist_sees_the_session_list_newest_first_with_its_details(
    client, acupuncturist, patient, logged_session
):
    colleague = PractitionerProfileFactory(
        user__username="colleague", user__first_name="Mei", user__last_name="Lin"
    ).user
    today = timezone.localdate()
    newest = TreatmentSessionFactory(
        patient=patient, created_by=colleague, signed=True, date=today, points="GV20"
    )
    oldest = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        date=today - datetime.timedelta(days=30),
        pain_before=7,
        pain_after=None,
    )
    client.force_login(acupuncturist)

    response = client.get(chart_url(patient))

    content = response.content.decode()
    assert "Treatment sessions" in content
    assert _rows(response) == [str(newest.code), str(logged_session.code), str(oldest.code)]
    row = _row(response, logged_session)
    assert f'href="{_session_url(logged_session)}"' in row
    assert logged_session.date.strftime("%-d %b %Y") in row
    assert html.escape(str(acupuncturist)) in row
    assert "8 → 2" in row
    assert "GB20 L, BL23, LI4 R" in row
    assert "Manual needling, Cupping" in row
    assert "Needle count 10/9" in row
    assert "Bruising / haematoma (moderate)" in row
    assert "Mei Lin" in _row(response, newest)
    assert "GV20" in _row(response, newest)
    draft_row = _row(response, oldest)
    assert "Draft" in draft_row
    assert "7 → –" in draft_row
    assert "Needle count" not in draft_row
    assert "adverse-event" not in draft_row
    log_link = reverse("treatment_sessions:session_create", kwargs={"code": patient.code})
    assert f'href="{log_link}">Log a session</a>' in content


def test_clinic_admin_sees_the_session_list_but_cannot_log_a_session(
    client, clinic_admin, patient, logged_session
):
    client.force_login(clinic_admin)
    response = client.get(chart_url(patient))
    content = response.content.decode()
    assert _rows(response) == [str(logged_session.code)]
    assert "GB20 L, BL23, LI4 R" in _row(response, logged_session)
    assert "Log a session" not in content
    assert f"/patients/{patient.code}/sessions/new/" not in content


def test_discarded_sessions_are_not_listed_on_the_chart(
    client, acupuncturist, patient, logged_session
):
    discarded = TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        status="discarded",
        discarded_at=timezone.now(),
        discarded_by=acupuncturist,
        discard_reason="Logged on the wrong chart.",
        subjective="Belongs to someone else",
        points="ST36",
    )
    client.force_login(acupuncturist)
    response = client.get(chart_url(patient))
    content = response.content.decode()
    assert _rows(response) == [str(logged_session.code)]
    assert str(discarded.code) not in content
    assert "ST36" not in content
    listed = re.search(r"Treatment sessions <span[^>]*>\((\d+)\)</span>", content)
    assert listed and listed.group(1) == "1"


def test_chart_shows_twenty_sessions_a_page_and_links_to_the_rest(client, acupuncturist, patient):
    today = timezone.localdate()
    sessions = [
        TreatmentSessionFactory(
            patient=patient,
            created_by=acupuncturist,
            signed=True,
            date=today - datetime.timedelta(days=n),
        )
        for n in range(40)
    ]
    newest_first = [str(s.code) for s in sessions]
    client.force_login(acupuncturist)

    first = client.get(chart_url(patient))
    assert _rows(first) == newest_first[:20]
    assert 'href="?sessions_page=2"' in first.content.decode()

    second = client.get(chart_url(patient, sessions_page=2))
    assert _rows(second) == newest_first[20:]
    assert 'href="?sessions_page=1"' in second.content.decode()
    assert 'href="?sessions_page=3"' not in second.content.decode()


# --- Query counts -------------------------------------------------------------------


def _count(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


def _signed_sessions(patient, author, count, *, start=0):
    today = timezone.localdate()
    sessions = []
    for n in range(start, start + count):
        session = TreatmentSessionFactory(
            patient=patient,
            created_by=author,
            signed=True,
            date=today - datetime.timedelta(days=n),
            points=TEN_POINTS,
        )
        if n % 3 == 0:
            AdverseEvent.objects.create(
                session=session, kind="bruising", severity="mild", causality="probable"
            )
        sessions.append(session)
    return sessions


def test_chart_query_count_does_not_grow_with_sessions(client, acupuncturist, patient):
    IntakeFactory(patient=patient, submitted=True)
    client.force_login(acupuncturist)
    _signed_sessions(patient, acupuncturist, 2)
    few, few_response = _count(client, chart_url(patient))
    _signed_sessions(patient, acupuncturist, 38, start=2)
    many, many_response = _count(client, chart_url(patient))
    assert (len(_rows(few_response)), len(_rows(many_response))) == (2, 20)
    assert "Bruising / haematoma (mild)" in many_response.content.decode()
    assert few == many
    # 1 login session, 2 user, 3-4 the user's permissions (direct, through groups),
    # 5 the patient with its staff names, 6 the latest intake, 7 the open intake link,
    # 8 the last submitted intake with its reviewer, 9 its pain regions, 10 its
    # medications, 11 the sessions' count for the pager, 12 the page of sessions with
    # their practitioners, 13 their points with the WHO points, 14 their adverse events,
    # 15 the active plan, 16 the next appointment, 17 the recent appointments,
    # 18 the open check-in, 19 the last answered check-in, 20 the sparkline's sessions,
    # 21 the audit entry for the read.
    assert many == 21


def test_session_page_query_count_does_not_grow_with_what_the_note_holds(
    client, acupuncturist, patient
):
    def note(points, events, addenda, acknowledgements):
        session = TreatmentSessionFactory(
            patient=patient, created_by=acupuncturist, signed=True, points=points
        )
        for _ in range(events):
            AdverseEvent.objects.create(
                session=session, kind="bruising", severity="mild", causality="probable"
            )
        for n in range(addenda):
            SessionAddendum.objects.create(
                session=session, text=f"Addendum {n}", created_by=acupuncturist
            )
        for n in range(acknowledgements):
            SafetyAcknowledgement.objects.create(
                session=session, rule=f"rule_{n}", warning="Warned", acknowledged_by=acupuncturist
            )
        return session

    # The small note has one acknowledgement too: with none at all, the query for
    # the acknowledging users is skipped, which is not growth.
    small = note("GB20, LI4", events=1, addenda=1, acknowledgements=1)
    large = note(FORTY_POINTS, events=5, addenda=5, acknowledgements=3)
    client.force_login(acupuncturist)

    few, _ = _count(client, _session_url(small))
    many, response = _count(client, _session_url(large))
    assert response.content.decode().count('data-adverse-event="bruising"') == 5
    assert few == many
    # 1 login session, 2 user, 3-4 the user's permissions, 5 the session with patient
    # and staff names, 6 its points, 7 their WHO points, 8 adverse events,
    # 9 acknowledgements, 10 who acknowledged, 11 addenda, 12 their authors,
    # 13 the audit entry for the read.
    assert many == 13


def test_session_form_query_count_does_not_grow_with_previous_sessions(
    client, acupuncturist, patient
):
    IntakeFactory(patient=patient, submitted=True)
    ProtocolFactory(created_by=acupuncturist)
    client.force_login(acupuncturist)
    url = reverse("treatment_sessions:session_create", kwargs={"code": patient.code})
    _signed_sessions(patient, acupuncturist, 2)
    few, _ = _count(client, url)
    _signed_sessions(patient, acupuncturist, 38, start=2)
    many, response = _count(client, url)
    assert few == many
    # 1 login session, 2 user, 3-4 the user's permissions, 5 the patient, 6 the last
    # submitted intake (safety screening, headaches), 7 the previous session to
    # pre-fill from, 8 its points, 9 their WHO points, 10 the active protocols,
    # 11 the audit entry for the read, 12 the last answered check-in. (The WHO points
    # for the code completion are a static file, sessions/points.json.)
    assert many == 12
    previous = response.context["previous"]
    assert previous.date == timezone.localdate(), "pre-filled from the latest session"
    assert response.context["form"].initial["points"] == previous.point_list()


def test_dashboard_query_count_does_not_grow_with_stale_drafts(client, acupuncturist, front_desk):
    started = timezone.now() - datetime.timedelta(days=2)

    def stale_drafts(count):
        for _ in range(count):
            TreatmentSessionFactory(
                patient=PatientFactory(created_by=front_desk),
                created_by=acupuncturist,
                created_at=started,
            )

    client.force_login(acupuncturist)
    stale_drafts(2)
    few, few_response = _count(client, "/")
    stale_drafts(38)
    many, many_response = _count(client, "/")
    assert len(few_response.context["stale_drafts"]) == 2
    assert len(many_response.context["stale_drafts"]) == 40
    assert few == many


# --- Security -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_for",
    [
        lambda w: _session_url(w.signed),
        lambda w: _session_url(w.draft),
        lambda w: reverse("treatment_sessions:session_create", kwargs={"code": w.patient.code}),
        lambda w: reverse("treatment_sessions:session_edit", kwargs={"code": w.draft.code}),
        lambda w: reverse("treatment_sessions:session_discard", kwargs={"code": w.draft.code}),
    ],
    ids=["signed note", "draft note", "new session form", "edit form", "discard form"],
)
def test_session_pages_are_never_cached(client, acupuncturist, world, url_for):
    client.force_login(acupuncturist)
    response = client.get(url_for(world))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_session_form_with_errors_is_never_cached(client, acupuncturist, patient):
    client.force_login(acupuncturist)
    url = reverse("treatment_sessions:session_create", kwargs={"code": patient.code})
    response = client.post(url, _note(pain_before="11"))
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_session_urls_carry_the_uuid_code_not_the_row_id(client, acupuncturist, world):
    client.force_login(acupuncturist)
    assert reverse(
        "treatment_sessions:session_detail", kwargs={"code": world.signed.code}
    ) == _session_url(world.signed)
    assert client.get(f"/sessions/{world.signed.pk}/").status_code == 404
    chart = client.get(chart_url(world.patient)).content.decode()
    links = re.findall(r'href="(/sessions/[^"]*)"', chart)
    assert sorted(links) == sorted([_session_url(world.draft), _session_url(world.signed)])
    detail = client.get(_session_url(world.draft)).content.decode()
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    for link in re.findall(r'(?:href|action)="(/sessions/[^"]*)"', detail):
        assert re.fullmatch(rf"/sessions/{uuid}/(?:edit/|sign/|discard/|addenda/)?", link)


XSS = "<script>alert(1)</script>"


def test_html_typed_in_a_note_is_shown_as_text_never_run(client, patient):
    author = PractitionerProfileFactory(
        user__username="xss", user__first_name="<b>Bold</b>", user__last_name=XSS
    ).user
    client.force_login(author)
    create_url = reverse("treatment_sessions:session_create", kwargs={"code": patient.code})
    client.post(create_url, _note(subjective=XSS, objective=XSS))
    session = TreatmentSession.objects.get(patient=patient)
    assert session.subjective == XSS

    pages = {
        "session page": client.get(_session_url(session)),
        "edit form": client.get(
            reverse("treatment_sessions:session_edit", kwargs={"code": session.code})
        ),
        "chart": client.get(chart_url(patient)),
    }
    for page, response in pages.items():
        content = response.content.decode()
        assert response.status_code == 200
        assert XSS not in content, f"raw script tag on the {page}"
        assert "<b>Bold</b>" not in content, f"raw tag in the practitioner's name on the {page}"
    session_page = pages["session page"].content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in session_page
    chart = pages["chart"].content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt;" in _row(pages["chart"], session)
    assert str(session.code) in chart
