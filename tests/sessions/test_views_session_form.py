"""The session form (/patients/<code>/sessions/new/, /sessions/<code>/edit/) as the
acupuncturist uses it: pre-filling from the last visit, validation next to each field,
adverse events, protocols, the point completion data, and the protocol pages."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from intake.services import patient_archive
from sessions import views as sessions_views
from sessions.models import AdverseEvent, Protocol, TreatmentSession
from tests.factories import IntakeFactory, ProtocolFactory, TreatmentSessionFactory
from tests.payloads import ea_visit

pytestmark = pytest.mark.django_db

AE = "adverse_events"
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")


# --- Reading the page as a browser would ---------------------------------------------


class _Page(HTMLParser):
    """The values a browser would send from the page, and the text of every
    `invalid-feedback` element by its id."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self.errors: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._feedback: list | None = None  # [id, depth, parts]
        self.feed(html)
        self.close()

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._feedback is not None:
            self._feedback[1] += 1
        elif "invalid-feedback" in (attrs.get("class") or "").split():
            self._feedback = [attrs.get("id", ""), 1, []]
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
            elif kind not in ("submit", "button"):
                self._add(name, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))

    def handle_endtag(self, tag):
        if self._feedback is not None:
            self._feedback[1] -= 1
            if self._feedback[1] == 0:
                ident, _, parts = self._feedback
                self.errors[ident] = " ".join("".join(parts).split())
                self._feedback = None
        if tag == "textarea" and self._textarea:
            text = "".join(self._text)
            # The newline after <textarea> is not part of the value.
            self._add(self._textarea, text.removeprefix("\r\n").removeprefix("\n"))
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            for value in chosen:
                self._add(self._select, value)
            self._select = None

    def handle_data(self, data):
        if self._feedback is not None:
            self._feedback[2].append(data)
        if self._textarea:
            self._text.append(data)

    def value(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None

    def error(self, name: str) -> str:
        """The message in the invalid-feedback element of this field ("" when none)."""
        return self.errors.get(f"id_{name}_error", "")


def _page(response) -> _Page:
    return _Page(response.content.decode())


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _new_url(patient) -> str:
    return f"/patients/{patient.code}/sessions/new/"


def _edit_url(session) -> str:
    return f"/sessions/{session.code}/edit/"


def _adverse_events(*rows, initial: int = 0) -> dict:
    data = {
        f"{AE}-TOTAL_FORMS": str(len(rows)),
        f"{AE}-INITIAL_FORMS": str(initial),
        f"{AE}-MIN_NUM_FORMS": "0",
        f"{AE}-MAX_NUM_FORMS": "20",
    }
    for number, row in enumerate(rows):
        data.update({f"{AE}-{number}-{name}": value for name, value in row.items()})
    return data


BLEEDING = {
    "kind": "bleeding",
    "severity": "mild",
    "causality": "certain",
    "action_taken": "Pressure with cotton ball",
    "notes": "Stopped within a minute",
}
DIZZINESS = {
    "kind": "dizziness",
    "severity": "moderate",
    "causality": "probable",
    "action_taken": "Needles out, lay supine",
    "notes": "Recovered after 10 minutes",
}


def _visit(**changes) -> dict:
    """A complete, valid session form as an acupuncturist would post it."""
    return ea_visit(**changes)


def _assert_kept(page: _Page, sent: dict, *, besides=()) -> None:
    """Every value sent is in the re-rendered form, but for the fields in `besides`."""
    for name, value in sent.items():
        if name in besides or name in ("action", "apply_protocol") or name.endswith(MANAGEMENT):
            continue
        expected = sorted(value) if isinstance(value, list) else [value]
        assert sorted(page.values.get(name, [])) == expected, name


def _as_sent(page: _Page) -> dict:
    """What the browser sends back from this page, as test-client data."""
    return {
        name: values if name in ("modalities", "regions_treated") else values[0]
        for name, values in page.values.items()
    }


def _nothing_saved() -> bool:
    return not TreatmentSession.objects.exists() and not AdverseEvent.objects.exists()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Nobody types a password here (force_login); hashing the factories' passwords
    # properly would be most of this file's running time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def practitioner_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


# --- GET: defaults and pre-filling from the last visit -------------------------------


def test_a_new_session_is_dated_today_and_nothing_is_prefilled_without_a_previous_one(
    practitioner_client, patient
):
    response = practitioner_client.get(_new_url(patient))

    assert response.status_code == 200
    page = _page(response)
    assert page.value("date") == timezone.localdate().isoformat()
    assert page.value("points") == ""
    assert "modalities" not in page.values
    assert page.value("position") == ""
    assert page.value("retention_minutes") == ""
    assert 'id="previous-pain-before"' not in response.content.decode()
    assert "pre-filled" not in response.content.decode()


def test_a_follow_up_visit_starts_with_the_points_modalities_and_position_of_the_last(
    practitioner_client, acupuncturist, patient
):
    TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        date=timezone.localdate() - datetime.timedelta(days=7),
        points="gb20 left, ub-23, du20",
        modalities=["manual_needling", "cupping"],
        position="supine",
        pain_before=7,
        pain_after=4,
        signed=True,
    )

    response = practitioner_client.get(_new_url(patient))

    page = _page(response)
    assert page.value("date") == timezone.localdate().isoformat()
    assert page.value("points") == "GB20 L, BL23, GV20"
    assert sorted(page.values["modalities"]) == ["cupping", "manual_needling"]
    assert page.value("position") == "supine"
    html = response.content.decode()
    before = re.search(r'id="previous-pain-before">(.*?)</p>', html).group(1)
    after = re.search(r'id="previous-pain-after">(.*?)</p>', html).group(1)
    assert "7/10" in before
    assert "4/10" in after


def test_a_discarded_session_is_not_used_to_prefill_the_next(
    practitioner_client, acupuncturist, patient
):
    today = timezone.localdate()
    TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        date=today - datetime.timedelta(days=7),
        points="LI4",
        modalities=["moxibustion"],
        position="seated",
        pain_before=5,
        signed=True,
    )
    TreatmentSessionFactory(
        patient=patient,
        created_by=acupuncturist,
        date=today - datetime.timedelta(days=1),
        points="GB20 L",
        modalities=["cupping"],
        position="prone",
        pain_before=9,
        status="discarded",
        discarded_at=timezone.now(),
        discarded_by=acupuncturist,
        discard_reason="Logged on the wrong chart",
    )

    page = _page(practitioner_client.get(_new_url(patient)))

    assert page.value("points") == "LI4"
    assert page.values["modalities"] == ["moxibustion"]
    assert page.value("position") == "seated"


# --- A valid POST ----------------------------------------------------------------------


def test_a_valid_session_is_saved_as_a_draft_with_every_field(
    practitioner_client, acupuncturist, patient
):
    response = practitioner_client.post(_new_url(patient), _visit())

    session = TreatmentSession.objects.get()
    assert response.status_code == 302
    assert response.url == f"/sessions/{session.code}/"
    assert session.patient == patient
    assert session.created_by == acupuncturist
    assert session.status == TreatmentSession.Status.DRAFT
    assert session.date == timezone.localdate() - datetime.timedelta(days=1)
    assert (session.pain_before, session.pain_after) == (6, 3)
    assert session.points_text() == "GB20 L, BL23, LI4"
    assert session.modalities == ["manual_needling", "electroacupuncture"]
    assert (session.ea_frequency_hz, session.ea_intensity) == (4, "moderate")
    assert (session.needles_inserted, session.needles_removed) == (12, 12)
    assert session.retention_minutes == 25
    assert session.position == "prone"
    assert session.subjective == "Neck stiffer after a long drive."
    assert session.objective == "Tender at GB21 both sides."
    assert session.range_of_motion == "Cervical rotation L 70°, R 45°."
    assert session.assessment == "Tension-type pattern, improving."
    assert session.plan_notes == "Weekly for three more visits."
    assert session.pain_medication_doses == 3
    assert session.headache_days is None


def test_the_saved_session_page_shows_the_points_by_name_and_the_pain_before_and_after(
    practitioner_client, patient
):
    response = practitioner_client.post(_new_url(patient), _visit(), follow=True)

    html = response.content.decode()
    points = _text(re.search(r'<ul class="[^"]*point-list">(.*?)</ul>', html, re.S).group(1))
    assert "GB20 Fengchi L" in points
    assert "BL23 Shenshu" in points
    assert "LI4 Hegu" in points
    assert "6 → 3" in _text(html)
    assert "Draft saved. Sign it when the note is complete." in _messages(response)


def test_extra_points_and_jiaji_levels_are_stored_and_shown_on_the_note_and_the_chart(
    practitioner_client, patient
):
    response = practitioner_client.post(
        _new_url(patient),
        _visit(points="yintang, Taiyang R, jiaji l4 l, Huatuojiaji L3-5, EX-B7, GV20"),
        follow=True,
    )

    session = TreatmentSession.objects.get()
    rows = list(session.needled_points.values_list("point__code", "level", "side"))
    assert rows == [
        ("EX-HN3", "", "midline"),
        ("EX-HN5", "", "right"),
        ("EX-B2", "L4", "left"),
        ("EX-B2", "L3-L5", "bilateral"),
        ("EX-B7", "", "bilateral"),
        ("GV20", "", "midline"),
    ]
    html = response.content.decode()
    points = _text(re.search(r'<ul class="[^"]*point-list">(.*?)</ul>', html, re.S).group(1))
    assert "EX-HN3 Yintang" in points
    assert "EX-HN5 Taiyang R" in points
    assert "EX-B2 Jiaji L4 L" in points
    assert "EX-B2 Jiaji L3-L5 bilateral" in points
    chart = practitioner_client.get(f"/patients/{patient.code}/").content.decode()
    assert "Yintang, Taiyang R, Jiaji L4 L, Jiaji L3-L5, Yaoyan, GV20" in chart


def test_a_draft_with_jiaji_at_two_levels_opens_with_them_as_written(practitioner_client, patient):
    practitioner_client.post(_new_url(patient), _visit(points="Jiaji L4 L, Jiaji L5, GV29"))
    session = TreatmentSession.objects.get()

    page = _page(practitioner_client.get(_edit_url(session)))

    assert page.value("points") == "Jiaji L4 L, Jiaji L5, Yintang"


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("GB20, Jiaji C5", "Not a Jiaji level (T1 to L5): Jiaji C5."),
        ("Jiaji L6 R", "Not a Jiaji level (T1 to L5): Jiaji L6."),
        ("Yintang L", "Yintang is on the midline and takes no side (L / R)."),
        ("EX-HN16", "Not a WHO point code: EX-HN16."),
    ],
)
def test_a_bad_extra_point_is_an_error_next_to_the_points_and_nothing_is_saved(
    practitioner_client, patient, typed, error
):
    response = practitioner_client.post(_new_url(patient), _visit(points=typed))

    assert response.status_code == 200
    assert _page(response).errors == {"id_points_error": error}
    assert _nothing_saved()


# --- Validation: each problem next to its field, the rest kept, nothing saved ----------


def _born(patient) -> str:
    return (patient.date_of_birth - datetime.timedelta(days=1)).isoformat()


INVALID = [
    pytest.param("pain_before", "", "Enter the pain before (0-10).", id="pain-before-missing"),
    pytest.param("pain_before", "11", "Enter a whole number from 0 to 10.", id="pain-before-11"),
    pytest.param("pain_before", "-1", "Enter a whole number from 0 to 10.", id="pain-before--1"),
    pytest.param("pain_after", "11", "Enter a whole number from 0 to 10.", id="pain-after-11"),
    pytest.param("pain_after", "-1", "Enter a whole number from 0 to 10.", id="pain-after--1"),
    pytest.param(
        "date",
        (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
        "The visit date cannot be in the future.",
        id="date-tomorrow",
    ),
    pytest.param("date", _born, "The visit date is before the patient was born.", id="unborn"),
    pytest.param(
        "needles_inserted", "abc", "Enter a whole number from 0 to 200.", id="needles-abc"
    ),
    pytest.param("needles_removed", "201", "Enter a whole number from 0 to 200.", id="needles-201"),
    pytest.param(
        "retention_minutes", "121", "Enter a whole number from 0 to 120.", id="retention-121"
    ),
    pytest.param(
        "modalities", ["manual_needling", "laser"], "Choose modalities from the list.", id="laser"
    ),
    pytest.param(
        "subjective", "x" * 5001, "Keep this to 5000 characters or fewer.", id="huge-subjective"
    ),
    pytest.param(
        "objective", "Tender\x00 at GB21", "Remove the unusual characters.", id="nul-character"
    ),
    pytest.param("points", "GB20, XX1, BL68", "Not WHO point codes: XX1, BL68.", id="unknown"),
]


@pytest.mark.parametrize(("field", "typed", "message"), INVALID)
def test_a_mistake_is_reported_next_to_its_field_and_everything_else_typed_is_kept(
    practitioner_client, patient, field, typed, message
):
    if callable(typed):
        typed = typed(patient)
    sent = _visit(**{field: typed})

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    page = _page(response)
    assert page.error(field) == message
    assert list(page.errors) == [f"id_{field}_error"], "only the one mistake is reported"
    _assert_kept(page, sent, besides={field})
    assert _nothing_saved()


def test_electroacupuncture_needs_its_frequency_and_intensity(practitioner_client, patient):
    sent = _visit(ea_frequency_hz="", ea_intensity="")

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    page = _page(response)
    assert page.error("ea_frequency_hz") == "Enter the electroacupuncture frequency."
    assert page.error("ea_intensity") == "Choose the electroacupuncture intensity."
    _assert_kept(page, sent)
    assert _nothing_saved()


def test_an_adverse_event_with_only_a_type_is_reported_on_its_row_and_nothing_is_saved(
    practitioner_client, patient
):
    sent = _visit(**_adverse_events({"kind": "bruising"}))

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    page = _page(response)
    assert page.error(f"{AE}-0-severity") == "Choose the severity."
    assert page.error(f"{AE}-0-causality") == "Choose the causality."
    assert page.value(f"{AE}-0-kind") == "bruising"
    _assert_kept(page, sent, besides={f"{AE}-0-severity", f"{AE}-0-causality"})
    assert _nothing_saved()


# --- Headache days, only for patients with headaches ----------------------------------


@pytest.fixture
def migraine_patient(patient):
    IntakeFactory(patient=patient, pain_types=["migraine"], headache_days=5, submitted=True)
    return patient


def test_headache_days_are_asked_for_a_patient_whose_intake_names_headaches(
    practitioner_client, migraine_patient
):
    page = _page(practitioner_client.get(_new_url(migraine_patient)))

    assert "headache_days" in page.values


def test_headache_days_are_stored(practitioner_client, migraine_patient):
    practitioner_client.post(_new_url(migraine_patient), _visit(headache_days="7"))

    assert TreatmentSession.objects.get().headache_days == 7


@pytest.mark.parametrize("typed", ["31", "-1", "many"])
def test_headache_days_must_be_0_to_30(practitioner_client, migraine_patient, typed):
    sent = _visit(headache_days=typed)

    response = practitioner_client.post(_new_url(migraine_patient), sent)

    assert response.status_code == 200
    page = _page(response)
    assert page.error("headache_days") == "Enter a whole number from 0 to 30."
    _assert_kept(page, sent, besides={"headache_days"})
    assert _nothing_saved()


def test_headache_days_are_neither_asked_nor_stored_without_headaches(practitioner_client, patient):
    IntakeFactory(patient=patient, pain_types=["lower_back_pain"], submitted=True)

    page = _page(practitioner_client.get(_new_url(patient)))
    practitioner_client.post(_new_url(patient), _visit(headache_days="7"))

    assert "headache_days" not in page.values
    assert TreatmentSession.objects.get().headache_days is None


# --- Adverse events --------------------------------------------------------------------


def test_two_adverse_events_are_stored_and_shown_as_alerts_on_the_chart(
    practitioner_client, patient
):
    practitioner_client.post(_new_url(patient), _visit(**_adverse_events(BLEEDING, DIZZINESS)))

    stored = [
        {name: getattr(event, name) for name in BLEEDING}
        for event in AdverseEvent.objects.order_by("id")
    ]
    assert stored == [BLEEDING, DIZZINESS]
    chart = practitioner_client.get(f"/patients/{patient.code}/").content.decode()
    alerts = re.findall(r'data-alert="adverse-event">([^<]*)<', chart)
    assert alerts == ["Bleeding (mild)", "Dizziness / fainting (moderate)"]


def test_adding_an_adverse_event_row_keeps_everything_typed_and_saves_nothing(
    practitioner_client, patient
):
    # Pain before is not typed yet: the page is only rebuilt, so no error is shown.
    sent = _visit(pain_before="", action="add_adverse_event", **_adverse_events(BLEEDING))

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    page = _page(response)
    assert page.value(f"{AE}-TOTAL_FORMS") == "2"
    assert page.value(f"{AE}-1-kind") == ""
    assert page.value(f"{AE}-1-notes") == ""
    _assert_kept(page, sent)
    assert page.errors == {}
    assert 'id="error-summary"' not in response.content.decode()
    assert _nothing_saved()


def test_removing_an_adverse_event_from_a_draft_deletes_that_row(practitioner_client, patient):
    practitioner_client.post(_new_url(patient), _visit(**_adverse_events(BLEEDING, DIZZINESS)))
    session = TreatmentSession.objects.get()

    # Send the edit form back as the browser shows it, with the first row ticked.
    page = _page(practitioner_client.get(_edit_url(session)))
    sent = _as_sent(page)
    assert sent[f"{AE}-INITIAL_FORMS"] == "2"
    assert sent[f"{AE}-0-kind"] == "bleeding"
    sent[f"{AE}-0-DELETE"] = "on"
    sent["action"] = "save"
    response = practitioner_client.post(_edit_url(session), sent)

    assert response.status_code == 302
    assert list(session.adverse_events.values_list("kind", flat=True)) == ["dizziness"]
    session.refresh_from_db()
    assert session.points_text() == "GB20 L, BL23, LI4"
    assert session.pain_before == 6


def test_more_than_twenty_adverse_events_are_refused(practitioner_client, patient):
    sent = _visit(**_adverse_events(*[BLEEDING] * 21))

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    assert "At most 20 adverse events in one session." in response.content.decode()
    assert _nothing_saved()


def test_the_too_many_adverse_events_error_is_marked_as_a_form_error(practitioner_client, patient):
    sent = _visit(**_adverse_events(*[BLEEDING] * 21))

    page = _page(practitioner_client.post(_new_url(patient), sent))

    assert any("At most 20 adverse events" in text for text in page.errors.values())


# --- Protocols on the session form -----------------------------------------------------


def test_applying_a_protocol_adds_its_points_to_those_typed_and_saves_nothing(
    practitioner_client, patient
):
    protocol = ProtocolFactory(name="Neck tension headache", points="GB20, GB21, LI4")
    sent = _visit(points="BL23, gb20", pain_before="", apply_protocol=str(protocol.code))
    del sent["action"]

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    page = _page(response)
    assert page.value("points") == "BL23, GB20, GB21, LI4"
    assert page.errors == {}
    _assert_kept(page, sent, besides={"points"})
    assert "Added the points of “Neck tension headache”." in _messages(response)
    assert _nothing_saved()


def test_an_inactive_protocol_is_not_offered_and_cannot_be_applied(practitioner_client, patient):
    ProtocolFactory(name="Low back basics", points="BL23, BL40")
    retired = ProtocolFactory(name="Retired set", points="ST36, SP6", is_active=False)

    form_page = practitioner_client.get(_new_url(patient)).content.decode()
    sent = _visit(points="GB20 L", apply_protocol=str(retired.code))
    del sent["action"]
    response = practitioner_client.post(_new_url(patient), sent)

    assert "Low back basics" in form_page
    assert "Retired set" not in form_page
    assert str(retired.code) not in form_page
    page = _page(response)
    assert page.value("points") == "GB20 L"
    _assert_kept(page, sent)
    assert not any("Retired set" in message for message in _messages(response))
    assert _nothing_saved()


def test_applying_a_protocol_after_sides_typed_after_the_comma_shows_each_point_once(
    practitioner_client, patient
):
    # What the completion leaves when GB20 and BL10 are picked and a side typed after each.
    protocol = ProtocolFactory(name="Neck", points="GB20, BL10, SI3")
    sent = _visit(points="GB20, L, BL10, R, ", apply_protocol=str(protocol.code))
    del sent["action"]

    response = practitioner_client.post(_new_url(patient), sent)

    page = _page(response)
    assert page.value("points") == "GB20 L, BL10 R, SI3"
    assert page.errors == {}
    assert _nothing_saved()


@pytest.mark.parametrize(
    ("typed", "merged", "mistake"),
    [
        ("gb 20 l, XX1", "gb 20 l, XX1, BL10, SI3", "Not a WHO point code: XX1."),
        ("GB-20 R, LU12", "GB-20 R, LU12, BL10, SI3", "Not a WHO point code: LU12."),
        ("GB20, L, R", "GB20, L, R, BL10, SI3", "Not a WHO point code: R."),
    ],
)
def test_applying_a_protocol_to_points_with_a_mistake_keeps_them_and_adds_only_the_others(
    practitioner_client, patient, typed, merged, mistake
):
    protocol = ProtocolFactory(name="Neck", points="GB20, BL10, SI3")
    sent = _visit(points=typed, apply_protocol=str(protocol.code))
    del sent["action"]

    response = practitioner_client.post(_new_url(patient), sent)

    page = _page(response)
    assert page.value("points") == merged
    assert page.errors == {}
    assert _nothing_saved()
    # Saved as it stands, the mistake is named next to the field and nothing is kept.
    saved = practitioner_client.post(_new_url(patient), {**_as_sent(page), "action": "save"})
    assert saved.status_code == 200
    assert _page(saved).error("points") == mistake
    assert _nothing_saved()


def test_a_protocol_applied_to_text_too_long_for_the_field_leaves_it_as_typed(
    practitioner_client, patient
):
    protocol = ProtocolFactory(name="Neck", points="GB20, BL10, SI3")
    typed = "LI4, " * 250  # 1,250 characters: more than the field takes
    sent = _visit(points=typed, apply_protocol=str(protocol.code))
    del sent["action"]

    response = practitioner_client.post(_new_url(patient), sent)

    assert response.status_code == 200
    assert _page(response).value("points").strip() == typed.strip()
    assert "GB20" not in _page(response).value("points")
    assert _nothing_saved()


def test_a_side_typed_after_the_comma_is_saved_as_the_side_of_the_point_before_it(
    practitioner_client, patient
):
    response = practitioner_client.post(
        _new_url(patient), _visit(points="GB20, L, BL23, LI4, R, GV20"), follow=True
    )

    session = TreatmentSession.objects.get()
    assert session.points_text() == "GB20 L, BL23, LI4 R, GV20"
    html = response.content.decode()
    points = _text(re.search(r'<ul class="[^"]*point-list">(.*?)</ul>', html, re.S).group(1))
    assert "GB20 Fengchi L" in points
    assert "LI4 Hegu R" in points


# --- Point completion data -------------------------------------------------------------


def test_the_form_points_the_completion_at_the_static_point_list_instead_of_carrying_it(
    practitioner_client, patient
):
    html = practitioner_client.get(_new_url(patient)).content.decode()

    assert 'id="point-reference"' not in html
    assert "Fengchi" not in html
    # It was 43 KB with the list inside (the regions treated, map and all, aside).
    regions_treated = re.search(
        r'<fieldset class="mb-3" id="regions-treated">.*?</fieldset>', html, re.S
    )
    assert len(html) - len(regions_treated.group(0)) < 32_000
    wrapper = re.search(r'<div class="point-completion" data-point-list="([^"]+)"', html)
    assert wrapper.group(1) == "/static/sessions/points.json"
    assert re.search(r'<textarea name="points"[^>]*data-point-completion', html)
    # Without JavaScript: a plain text field, and the list a click away.
    assert '<a href="/points/" target="_blank" rel="noopener">WHO point codes and names</a>' in html


def test_the_point_list_page_names_every_who_point_by_meridian(practitioner_client):
    html = practitioner_client.get("/points/").content.decode()

    text = _text(html)
    assert "the 361 WHO points meridian by meridian" in text
    assert "Gallbladder GB1 Tongziliao" in text
    assert "GB20 Fengchi" in text
    assert "CV24 Chengjiang" in text


# --- Protocol pages --------------------------------------------------------------------


def test_the_protocol_list_shows_each_protocol_with_its_points(practitioner_client):
    ProtocolFactory(name="Neck tension headache", points="GB20, GB21, LI4")
    ProtocolFactory(name="Low back basics", points="BL23, BL40", is_active=False)

    response = practitioner_client.get("/protocols/")

    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "Neck tension headache GB20, GB21, LI4 Yes" in text
    assert "Low back basics BL23, BL40 No" in text


def test_a_new_protocol_is_stored_with_its_points_written_canonically(
    practitioner_client, acupuncturist
):
    response = practitioner_client.post(
        "/protocols/new/",
        {"name": "Neck tension headache", "points": "gb20, ub23 l", "is_active": "on"},
    )

    assert response.status_code == 302
    assert response.url == "/protocols/"
    protocol = Protocol.objects.get()
    assert protocol.name == "Neck tension headache"
    assert protocol.points == "GB20, BL23 L"
    assert protocol.is_active
    assert protocol.created_by == acupuncturist


def test_a_protocol_with_an_unknown_point_is_refused(practitioner_client):
    response = practitioner_client.post(
        "/protocols/new/", {"name": "Typo", "points": "GB20, LU12", "is_active": "on"}
    )

    assert response.status_code == 200
    page = _page(response)
    assert page.error("points") == "Not a WHO point code: LU12."
    assert page.value("name") == "Typo"
    assert not Protocol.objects.exists()


def test_two_protocols_cannot_share_a_name(practitioner_client):
    ProtocolFactory(name="Neck tension headache")

    response = practitioner_client.post(
        "/protocols/new/", {"name": "Neck tension headache", "points": "LI4", "is_active": "on"}
    )

    assert response.status_code == 200
    assert "already exists" in _page(response).error("name")
    assert Protocol.objects.count() == 1


def test_editing_a_protocol_changes_it(practitioner_client, acupuncturist):
    protocol = ProtocolFactory(name="Neck", points="GB20")

    page = _page(practitioner_client.get(f"/protocols/{protocol.code}/edit/"))
    response = practitioner_client.post(
        f"/protocols/{protocol.code}/edit/",
        {"name": "Neck and shoulders", "points": "GB20, GB21 r", "description": "Desk workers"},
    )

    assert (page.value("name"), page.value("points")) == ("Neck", "GB20")
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol.name == "Neck and shoulders"
    assert protocol.points == "GB20, GB21 R"
    assert protocol.description == "Desk workers"
    assert not protocol.is_active
    assert protocol.updated_by == acupuncturist


# --- Double submit and archived charts -------------------------------------------------


def test_a_double_click_on_save_makes_one_draft(practitioner_client, patient):
    form = _as_sent(_page(practitioner_client.get(_new_url(patient))))
    sent = {**form, **_visit()}

    first = practitioner_client.post(_new_url(patient), sent)
    second = practitioner_client.post(_new_url(patient), sent)

    session = TreatmentSession.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == f"/sessions/{session.code}/"


def test_save_and_sign_sent_again_after_a_lost_first_sending_signs_the_note(
    practitioner_client, patient, monkeypatch
):
    # The first sending fails while signing (its worker dies): nothing of it is kept.
    # The browser sends the same form again.
    form = _as_sent(_page(practitioner_client.get(_new_url(patient))))
    sent = {**form, **_visit(action="sign")}
    real_sign = sessions_views.session_sign

    def worker_dies(**kwargs):
        raise ConnectionResetError("worker killed")

    monkeypatch.setattr(sessions_views, "session_sign", worker_dies)
    practitioner_client.raise_request_exception = False
    assert practitioner_client.post(_new_url(patient), sent).status_code == 500
    assert not TreatmentSession.objects.exists()

    monkeypatch.setattr(sessions_views, "session_sign", real_sign)
    again = practitioner_client.post(_new_url(patient), sent)

    session = TreatmentSession.objects.get()
    assert again.url == f"/sessions/{session.code}/"
    assert session.status == TreatmentSession.Status.SIGNED


def test_two_forms_opened_one_after_the_other_make_two_sessions(practitioner_client, patient):
    morning = _as_sent(_page(practitioner_client.get(_new_url(patient))))
    afternoon = _as_sent(_page(practitioner_client.get(_new_url(patient))))

    practitioner_client.post(_new_url(patient), {**morning, **_visit()})
    practitioner_client.post(_new_url(patient), {**afternoon, **_visit(pain_before="4")})

    assert sorted(TreatmentSession.objects.values_list("pain_before", flat=True)) == [4, 6]


def test_an_archived_chart_takes_no_new_session(practitioner_client, patient, front_desk):
    patient_archive(patient=patient, reason="Moved away", archived_by=front_desk)

    shown = practitioner_client.get(_new_url(patient), follow=True)
    posted = practitioner_client.post(_new_url(patient), _visit())

    assert shown.redirect_chain == [(f"/patients/{patient.code}/", 302)]
    assert any("archived" in message for message in _messages(shown))
    assert posted.status_code == 302
    assert posted.url == f"/patients/{patient.code}/"
    assert _nothing_saved()


def test_applying_a_protocol_keeps_the_side_typed_for_a_point_it_shares(
    practitioner_client, patient
):
    protocol = ProtocolFactory(name="Neck", points="GB20, GB21")
    sent = _visit(points="GB20 L", apply_protocol=str(protocol.code))
    del sent["action"]

    response = practitioner_client.post(_new_url(patient), sent)

    assert _page(response).value("points") == "GB20 L, GB21"


def test_a_protocol_of_extra_points_is_saved_as_written_and_merges_into_a_session(
    practitioner_client, patient
):
    response = practitioner_client.post(
        "/protocols/new/",
        {
            "name": "Headache and low back",
            "points": "yintang, TAIYANG, jiaji l3-5",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    protocol = Protocol.objects.get()
    assert protocol.points == "Yintang, Taiyang, Jiaji L3-L5"

    sent = _visit(points="Jiaji L4 R, GB20", apply_protocol=str(protocol.code))
    del sent["action"]
    response = practitioner_client.post(_new_url(patient), sent)

    page = _page(response)
    assert page.value("points") == "Jiaji L4 R, GB20, Yintang, Taiyang, Jiaji L3-L5"
    assert page.errors == {}
    response = practitioner_client.post(_new_url(patient), {**_as_sent(page), "action": "save"})
    assert response.status_code == 302
    assert TreatmentSession.objects.get().points_text() == (
        "Jiaji L4 R, GB20, Yintang, Taiyang, Jiaji L3-L5"
    )


def test_the_point_list_page_names_the_extra_points_by_region(practitioner_client):
    text = _text(practitioner_client.get("/points/").content.decode())

    assert "The 409 points" in text
    assert "Extra points: head and neck EX-HN1 Sishencong" in text
    assert "EX-HN3 Yintang" in text
    assert "EX-B2 Jiaji" in text
    assert "Extra points: upper extremities" in text
    assert "EX-UE7 Yaotongdian" in text
    assert "EX-LE12 Qiduan" in text


def test_a_form_sent_again_with_changes_says_it_was_already_saved_and_changes_nothing(
    practitioner_client, patient
):
    form = _as_sent(_page(practitioner_client.get(_new_url(patient))))
    practitioner_client.post(_new_url(patient), {**form, **_visit()})

    again = practitioner_client.post(
        _new_url(patient), {**form, **_visit(pain_before="2")}, follow=True
    )

    session = TreatmentSession.objects.get()
    assert session.pain_before == 6
    assert "This form had already been sent" in again.content.decode()
