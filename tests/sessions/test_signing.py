"""Signing a session note, what signing locks, addenda, discarding drafts, the
dashboard's unsigned drafts, and the database's guard on signed rows."""

import datetime
import html
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from sessions.models import AdverseEvent, SessionAddendum, TreatmentSession
from tests.factories import (
    PatientFactory,
    PractitionerProfileFactory,
    TreatmentSessionFactory,
    UserFactory,
)
from tests.payloads import session_note
from tests.urls import chart_url

pytestmark = pytest.mark.django_db

DASHBOARD_URL = "/"


def _session_url(session):
    return f"/sessions/{session.code}/"


def _edit_url(session):
    return f"/sessions/{session.code}/edit/"


def _sign_url(session):
    return f"/sessions/{session.code}/sign/"


def _addenda_url(session):
    return f"/sessions/{session.code}/addenda/"


def _discard_url(session):
    return f"/sessions/{session.code}/discard/"


def _new_session_url(patient):
    return f"/patients/{patient.code}/sessions/new/"


def _messages(response) -> list[str]:
    return [html.unescape(str(m)) for m in response.context["messages"]]


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _login(client, user):
    client.force_login(user)
    return client


def _colleague():
    """Another acupuncturist of the clinic, with a current licence of their own."""
    return PractitionerProfileFactory().user


def _draft(author, **kwargs):
    """A complete draft of the author's: pain 6 -> 3, 10 needles in and out, two points."""
    kwargs.setdefault("points", "GB20 L, BL23")
    return TreatmentSessionFactory(created_by=author, **kwargs)


def _snapshot(session) -> dict:
    """Everything stored about the session: every column, its points, adverse events,
    safety acknowledgements and addenda."""
    session = TreatmentSession.objects.get(pk=session.pk)
    return {
        "fields": {
            field.attname: getattr(session, field.attname)
            for field in TreatmentSession._meta.concrete_fields
        },
        "points": list(session.needled_points.values_list("point__code", "side", "order")),
        "adverse_events": list(
            session.adverse_events.values_list(
                "kind", "severity", "causality", "action_taken", "notes", "created_at"
            )
        ),
        "acknowledgements": list(session.safety_acknowledgements.values_list("rule", "warning")),
        "addenda": list(session.addenda.values_list("text", "created_by", "created_at")),
    }


def _chart_row(response, session) -> str | None:
    """The chart's row for the session, or None when the list does not show it."""
    match = re.search(
        rf'<tr[^>]*\bdata-session="{session.code}"[^>]*>(.*?)</tr>', response.content.decode(), re.S
    )
    return match.group(1) if match else None


def _stale_drafts_section(response) -> str | None:
    match = re.search(
        r'<section[^>]*id="stale-drafts".*?</section>', response.content.decode(), re.S
    )
    return match.group(0) if match else None


def _refresh(session) -> TreatmentSession:
    return TreatmentSession.objects.get(pk=session.pk)


# --- Signing ---------------------------------------------------------------------------


def test_the_author_signs_a_complete_draft(client, acupuncturist):
    draft = _draft(acupuncturist)
    before = timezone.now()

    response = _login(client, acupuncturist).post(_sign_url(draft), follow=True)

    signed = _refresh(draft)
    assert signed.status == TreatmentSession.Status.SIGNED
    assert signed.signed_by == acupuncturist
    assert before <= signed.signed_at <= timezone.now()
    assert response.redirect_chain == [(_session_url(draft), 302)]
    assert "Note signed. It is now read-only; corrections are addenda." in _messages(response)


def test_a_signed_note_shows_signed_and_offers_no_edit_or_sign_button(client, acupuncturist):
    draft = _draft(acupuncturist)
    _login(client, acupuncturist)
    page = client.get(_session_url(draft))
    assert _edit_url(draft) in page.content.decode()
    assert _sign_url(draft) in page.content.decode()

    client.post(_sign_url(draft))
    page = client.get(_session_url(draft))

    content = page.content.decode()
    assert re.search(r'data-session-status="signed">Signed<', content)
    assert _edit_url(draft) not in content
    assert _sign_url(draft) not in content
    assert _discard_url(draft) not in content
    assert "Edit draft" not in content
    assert "Sign note" not in content


def test_only_the_author_can_sign_a_note(client, acupuncturist):
    draft = _draft(acupuncturist)

    response = _login(client, _colleague()).post(_sign_url(draft), follow=True)

    assert "Only the practitioner who wrote this note can sign it." in _messages(response)
    refused = _refresh(draft)
    assert refused.status == TreatmentSession.Status.DRAFT
    assert refused.signed_at is None
    assert refused.signed_by is None


def test_a_colleague_sees_no_sign_button_on_someone_elses_draft(client, acupuncturist):
    draft = _draft(acupuncturist)

    page = _login(client, _colleague()).get(_session_url(draft))

    assert page.status_code == 200
    assert _sign_url(draft) not in page.content.decode()
    assert _edit_url(draft) not in page.content.decode()


@pytest.mark.parametrize("role", [roles.FRONT_DESK, roles.CLINIC_ADMIN])
def test_other_roles_cannot_sign_a_note(client, acupuncturist, role):
    draft = _draft(acupuncturist)

    response = _login(client, UserFactory(role=role)).post(_sign_url(draft))

    assert response.status_code == 403
    assert _refresh(draft).is_draft


def test_signing_is_refused_when_the_licence_has_expired(client):
    profile = PractitionerProfileFactory(
        licence_number="AC-77",
        licensing_body="State Acupuncture Board",
        licence_expiry=datetime.date(2024, 3, 15),
    )
    draft = _draft(profile.user)

    response = _login(client, profile.user).post(_sign_url(draft), follow=True)

    messages = _messages(response)
    assert "The note was not signed; it stays a draft." in messages
    [licence] = [m for m in messages if "licence" in m]
    assert "expired on 15 Mar 2024" in licence
    assert "AC-77" in licence
    assert _refresh(draft).is_draft


def test_a_licence_expiring_today_still_signs(client):
    profile = PractitionerProfileFactory(licence_expiry=timezone.localdate())
    draft = _draft(profile.user)

    _login(client, profile.user).post(_sign_url(draft))

    assert _refresh(draft).is_signed


def test_signing_is_refused_without_a_licence_on_record(client):
    unlicensed = UserFactory(role=roles.ACUPUNCTURIST)
    draft = _draft(unlicensed)

    response = _login(client, unlicensed).post(_sign_url(draft), follow=True)

    assert (
        "You have no acupuncture licence on record, so you cannot sign notes. "
        "Ask the clinic admin to record it."
    ) in _messages(response)
    assert _refresh(draft).is_draft


def test_the_draft_page_tells_an_unlicensed_author_why_it_cannot_be_signed(client):
    unlicensed = UserFactory(role=roles.ACUPUNCTURIST)
    draft = _draft(unlicensed)

    page = _login(client, unlicensed).get(_session_url(draft))

    assert 'id="signing-problems"' in page.content.decode()
    assert "You have no acupuncture licence on record" in _text(page)


# --- Needle counts and missing values ----------------------------------------------------


def test_unexplained_needle_counts_block_signing_and_the_message_names_both_counts(
    client, acupuncturist
):
    draft = _draft(acupuncturist, needles_inserted=12, needles_removed=11)

    response = _login(client, acupuncturist).post(_sign_url(draft), follow=True)

    assert (
        "The needle counts differ (12 inserted, 11 removed). Record what happened before signing."
    ) in _messages(response)
    assert _refresh(draft).is_draft


def test_after_explaining_the_needle_counts_the_note_signs(client, acupuncturist):
    draft = _draft(acupuncturist, needles_inserted=12, needles_removed=11)
    _login(client, acupuncturist)
    explanation = "One needle fell on the floor during removal; found and disposed of."

    response = client.post(
        _edit_url(draft),
        session_note(
            needles_inserted="12",
            needles_removed="11",
            needle_count_explanation=explanation,
        ),
    )
    assert response.status_code == 302
    assert _refresh(draft).needle_count_explanation == explanation

    client.post(_sign_url(draft))

    signed = _refresh(draft)
    assert signed.is_signed
    assert (signed.needles_inserted, signed.needles_removed) == (12, 11)


def test_a_whitespace_only_explanation_does_not_unblock_signing(client, acupuncturist):
    draft = _draft(
        acupuncturist, needles_inserted=12, needles_removed=11, needle_count_explanation="   "
    )

    response = _login(client, acupuncturist).post(_sign_url(draft), follow=True)

    assert any("The needle counts differ" in m for m in _messages(response))
    assert _refresh(draft).is_draft


def test_the_chart_and_the_session_page_alert_on_a_needle_count_mismatch(client, acupuncturist):
    patient = PatientFactory()
    explained = _draft(
        acupuncturist,
        patient=patient,
        needles_inserted=12,
        needles_removed=11,
        needle_count_explanation="One needle dropped during removal.",
        signed=True,
    )
    matching = _draft(acupuncturist, patient=patient, signed=True)
    _login(client, acupuncturist)

    chart = client.get(chart_url(patient))

    mismatch_row = _chart_row(chart, explained)
    assert mismatch_row is not None
    assert 'data-alert="needle-count"' in mismatch_row
    assert "12/11" in mismatch_row
    matching_row = _chart_row(chart, matching)
    assert matching_row is not None
    assert 'data-alert="needle-count"' not in matching_row

    page = client.get(_session_url(explained))
    assert 'data-alert="needle-count"' in page.content.decode()
    assert "12 inserted, 11 removed" in _text(page)
    assert "One needle dropped during removal." in _text(page)
    page = client.get(_session_url(matching))
    assert 'data-alert="needle-count"' not in page.content.decode()


def test_an_unexplained_mismatch_in_a_draft_is_flagged_on_the_chart(client, acupuncturist):
    draft = _draft(acupuncturist, needles_inserted=8, needles_removed=7)

    chart = _login(client, acupuncturist).get(chart_url(draft.patient))

    row = _chart_row(chart, draft)
    assert row is not None
    assert 'data-alert="needle-count"' in row
    page = client.get(_session_url(draft))
    assert "Not yet explained." in _text(page)


def test_a_missing_pain_after_blocks_signing(client, acupuncturist):
    draft = _draft(acupuncturist, pain_after=None)

    response = _login(client, acupuncturist).post(_sign_url(draft), follow=True)

    assert "Record the pain after treatment." in _messages(response)
    assert _refresh(draft).is_draft


def test_a_missing_needles_removed_count_blocks_signing(client, acupuncturist):
    draft = _draft(acupuncturist, needles_removed=None)

    response = _login(client, acupuncturist).post(_sign_url(draft), follow=True)

    assert "Record the number of needles inserted and removed." in _messages(response)
    assert _refresh(draft).is_draft


def test_every_problem_is_reported_at_once(client):
    profile = PractitionerProfileFactory(licence_expiry=datetime.date(2024, 3, 15))
    draft = _draft(profile.user, pain_after=None, needles_inserted=9, needles_removed=8)

    response = _login(client, profile.user).post(_sign_url(draft), follow=True)

    messages = _messages(response)
    assert any("expired on 15 Mar 2024" in m for m in messages)
    assert "Record the pain after treatment." in messages
    assert any("(9 inserted, 8 removed)" in m for m in messages)


# --- Save and sign -----------------------------------------------------------------------


def test_save_and_sign_saves_and_signs_a_complete_new_note_in_one_post(client, acupuncturist):
    patient = PatientFactory()

    response = _login(client, acupuncturist).post(
        _new_session_url(patient), session_note(action="sign"), follow=True
    )

    [session] = TreatmentSession.objects.filter(patient=patient)
    assert session.is_signed
    assert session.signed_by == acupuncturist
    assert (session.pain_before, session.pain_after) == (7, 4)
    assert session.points_text() == "GB20, GB21 L, LI4"
    assert response.redirect_chain == [(_session_url(session), 302)]
    assert "Note signed. It is now read-only; corrections are addenda." in _messages(response)


def test_save_and_sign_on_an_edited_draft_saves_the_changes_and_signs(client, acupuncturist):
    draft = _draft(acupuncturist, pain_after=None)

    _login(client, acupuncturist).post(
        _edit_url(draft), session_note(action="sign", pain_after="2", subjective="Better today.")
    )

    signed = _refresh(draft)
    assert signed.is_signed
    assert signed.pain_after == 2
    assert signed.subjective == "Better today."


def test_save_and_sign_keeps_the_draft_and_shows_the_problems_when_signing_is_blocked(
    client, acupuncturist
):
    patient = PatientFactory()

    response = _login(client, acupuncturist).post(
        _new_session_url(patient),
        session_note(action="sign", pain_after="", needles_inserted="6", needles_removed="5"),
        follow=True,
    )

    [session] = TreatmentSession.objects.filter(patient=patient)
    assert session.is_draft
    assert session.pain_after is None
    assert (session.needles_inserted, session.needles_removed) == (6, 5)
    assert session.subjective == "Neck stiff since Monday."
    assert response.redirect_chain == [(_session_url(session), 302)]
    messages = _messages(response)
    assert "The note was not signed; it stays a draft." in messages
    assert "Record the pain after treatment." in messages
    assert any("(6 inserted, 5 removed)" in m for m in messages)
    assert 'id="signing-problems"' in response.content.decode()


def test_save_and_sign_with_an_invalid_form_saves_nothing_and_signs_nothing(client, acupuncturist):
    patient = PatientFactory()

    response = _login(client, acupuncturist).post(
        _new_session_url(patient), session_note(action="sign", pain_before="11")
    )

    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not TreatmentSession.objects.filter(patient=patient).exists()


# --- Immutability ----------------------------------------------------------------------


@pytest.fixture
def signed_note(client, acupuncturist):
    """A note signed through the sign view, with points and an adverse event."""
    note = _draft(acupuncturist, subjective="Original note.", points="GB20 L, BL23, LI4")
    AdverseEvent.objects.create(
        session=note, kind="bruising", severity="mild", causality="probable", notes="Small."
    )
    _login(client, acupuncturist).post(_sign_url(note))
    note = _refresh(note)
    assert note.is_signed
    return note


@pytest.mark.parametrize("action", ["save", "sign", "add_adverse_event"])
def test_editing_a_signed_note_changes_nothing(client, signed_note, action):
    before = _snapshot(signed_note)
    changed = session_note(
        action=action,
        date=(signed_note.date - datetime.timedelta(days=3)).isoformat(),
        pain_before="2",
        pain_after="0",
        points="ST36, SP6 R",
        modalities=["manual_needling", "cupping"],
        needles_inserted="4",
        needles_removed="3",
        needle_count_explanation="Changed after signing.",
        subjective="Rewritten after signing.",
        **{
            "adverse_events-TOTAL_FORMS": "1",
            "adverse_events-0-kind": "dizziness",
            "adverse_events-0-severity": "severe",
            "adverse_events-0-causality": "certain",
            "adverse_events-0-action_taken": "Lay down.",
            "adverse_events-0-notes": "",
        },
    )

    response = client.post(_edit_url(signed_note), changed, follow=True)

    assert response.redirect_chain == [(_session_url(signed_note), 302)]
    assert "This note is signed and cannot be changed. Add an addendum to correct it." in _messages(
        response
    )
    assert _snapshot(signed_note) == before


def test_the_edit_page_of_a_signed_note_redirects_to_the_note(client, signed_note):
    response = client.get(_edit_url(signed_note), follow=True)

    assert response.redirect_chain == [(_session_url(signed_note), 302)]
    assert "This note is signed and cannot be changed. Add an addendum to correct it." in _messages(
        response
    )


def test_signing_twice_changes_nothing(client, signed_note):
    before = _snapshot(signed_note)

    response = client.post(_sign_url(signed_note), follow=True)

    assert response.redirect_chain == [(_session_url(signed_note), 302)]
    assert _snapshot(signed_note) == before
    assert _refresh(signed_note).signed_at == signed_note.signed_at


def test_a_colleague_signing_a_signed_note_is_told_it_is_already_signed(client, signed_note):
    before = _snapshot(signed_note)

    response = _login(client, _colleague()).post(_sign_url(signed_note), follow=True)

    assert "This note is already signed." in _messages(response)
    assert _snapshot(signed_note) == before


def test_discarding_a_signed_note_changes_nothing(client, signed_note):
    before = _snapshot(signed_note)

    response = client.post(_discard_url(signed_note), {"reason": "Trying to hide it."}, follow=True)

    assert response.redirect_chain == [(_session_url(signed_note), 302)]
    assert "This note is signed and cannot be changed. Add an addendum to correct it." in _messages(
        response
    )
    assert _snapshot(signed_note) == before
    assert _refresh(signed_note).is_signed


def test_the_discard_page_of_a_signed_note_redirects_to_the_note(client, signed_note):
    response = client.get(_discard_url(signed_note))

    assert response.status_code == 302
    assert response["Location"] == _session_url(signed_note)


SESSION_URLS = [_session_url, _edit_url, _sign_url, _addenda_url, _discard_url]


@pytest.mark.parametrize("url", SESSION_URLS)
def test_no_session_url_deletes_a_signed_note_on_a_delete_request(client, signed_note, url):
    before = _snapshot(signed_note)

    client.delete(url(signed_note))

    assert _snapshot(signed_note) == before


@pytest.mark.parametrize("url", SESSION_URLS)
def test_no_session_url_deletes_a_draft_on_a_delete_request(client, acupuncturist, url):
    draft = _draft(acupuncturist)
    before = _snapshot(draft)

    _login(client, acupuncturist).delete(url(draft))

    assert _snapshot(draft) == before


@pytest.mark.parametrize("url", [_sign_url, _addenda_url])
def test_the_post_only_session_urls_refuse_a_delete_request(client, signed_note, url):
    assert client.delete(url(signed_note)).status_code == 405


@pytest.mark.parametrize("url", [_session_url, _edit_url, _discard_url])
def test_the_session_pages_refuse_a_delete_request(client, acupuncturist, url):
    draft = _draft(acupuncturist)

    response = _login(client, acupuncturist).delete(url(draft))

    assert response.status_code == 405


def test_the_django_admin_offers_no_way_to_delete_a_session(client, clinic_admin, signed_note):
    _login(client, clinic_admin)
    base = "/admin/treatment_sessions/treatmentsession/"

    assert client.get(base).status_code == 404
    assert client.post(f"{base}{signed_note.pk}/delete/", {"post": "yes"}).status_code == 404
    assert TreatmentSession.objects.filter(pk=signed_note.pk).exists()


# --- Addenda -----------------------------------------------------------------------------


def test_an_addendum_on_a_signed_note_is_stored_with_its_author_and_time(
    client, acupuncturist, signed_note
):
    before = timezone.now()

    response = client.post(
        _addenda_url(signed_note), {"text": "Patient phoned: bruise gone."}, follow=True
    )

    [addendum] = SessionAddendum.objects.filter(session=signed_note)
    assert addendum.text == "Patient phoned: bruise gone."
    assert addendum.created_by == acupuncturist
    assert before <= addendum.created_at <= timezone.now()
    assert response.redirect_chain == [(_session_url(signed_note) + "#addenda", 302)]
    assert "Addendum added." in _messages(response)


def test_addenda_are_shown_under_the_note_in_the_order_they_were_added(
    client, acupuncturist, signed_note
):
    colleague = _colleague()
    client.post(_addenda_url(signed_note), {"text": "First: pain was 4, not 3."})
    _login(client, colleague).post(_addenda_url(signed_note), {"text": "Second: seen by me."})

    page = _login(client, acupuncturist).get(_session_url(signed_note))

    addenda = re.findall(
        r'<div class="[^"]*\baddendum\b[^"]*">\s*<p class="mb-1">(.*?)</p>\s*'
        r'<p class="small[^"]*">(.*?)</p>',
        page.content.decode(),
        re.S,
    )
    assert [html.unescape(text) for text, _ in addenda] == [
        "First: pain was 4, not 3.",
        "Second: seen by me.",
    ]
    assert html.unescape(addenda[0][1]).startswith(f"{acupuncturist}, ")
    assert html.unescape(addenda[1][1]).startswith(f"{colleague}, ")
    content = page.content.decode()
    assert content.index('id="addenda"') > content.index('id="soap-heading"')
    # The note itself is what it was when signed.
    assert "Original note." in _text(page)


def test_an_empty_addendum_is_refused_and_nothing_is_stored(client, signed_note):
    response = client.post(_addenda_url(signed_note), {"text": "   "})

    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert "Write the addendum first." in _text(response)
    assert not SessionAddendum.objects.exists()


def test_an_addendum_over_5000_characters_is_refused_and_nothing_is_stored(client, signed_note):
    response = client.post(_addenda_url(signed_note), {"text": "x" * 5001})

    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert "Keep this to 5000 characters or fewer." in _text(response)
    assert not SessionAddendum.objects.exists()


def test_an_addendum_of_exactly_5000_characters_is_stored(client, signed_note):
    client.post(_addenda_url(signed_note), {"text": "x" * 5000})

    assert SessionAddendum.objects.get(session=signed_note).text == "x" * 5000


def test_an_addendum_on_a_draft_is_refused(client, acupuncturist):
    draft = _draft(acupuncturist)

    response = _login(client, acupuncturist).post(
        _addenda_url(draft), {"text": "Too early."}, follow=True
    )

    assert "Addenda are for signed notes; a draft can still be edited." in _messages(response)
    assert not SessionAddendum.objects.exists()


def test_a_clinic_admin_cannot_add_an_addendum(client, clinic_admin, signed_note):
    response = _login(client, clinic_admin).post(_addenda_url(signed_note), {"text": "Admin."})

    assert response.status_code == 403
    assert not SessionAddendum.objects.exists()


def test_a_clinic_admin_sees_no_addendum_form(client, clinic_admin, signed_note):
    page = _login(client, clinic_admin).get(_session_url(signed_note))

    assert page.status_code == 200
    assert _addenda_url(signed_note) not in page.content.decode()


def test_a_colleague_can_add_an_addendum_to_a_signed_note(client, signed_note):
    colleague = _colleague()

    _login(client, colleague).post(_addenda_url(signed_note), {"text": "Covered the follow-up."})

    addendum = SessionAddendum.objects.get(session=signed_note)
    assert addendum.created_by == colleague
    assert _refresh(signed_note).signed_by == signed_note.created_by


# --- Discarding a draft --------------------------------------------------------------------


def test_the_author_discards_a_draft_with_a_reason_and_it_stays_on_record(client, acupuncturist):
    draft = _draft(acupuncturist)
    _login(client, acupuncturist)
    assert _chart_row(client.get(chart_url(draft.patient)), draft) is not None
    before = timezone.now()

    response = client.post(
        _discard_url(draft), {"reason": "Logged on the wrong patient's chart."}, follow=True
    )

    discarded = _refresh(draft)
    assert discarded.status == TreatmentSession.Status.DISCARDED
    assert discarded.discarded_by == acupuncturist
    assert before <= discarded.discarded_at <= timezone.now()
    assert discarded.discard_reason == "Logged on the wrong patient's chart."
    assert discarded.points_text() == "GB20 L, BL23"
    assert response.redirect_chain == [(chart_url(draft.patient), 302)]
    assert "Draft discarded. It stays on record, marked discarded." in _messages(response)
    assert _chart_row(response, draft) is None


def test_a_discarded_draft_can_still_be_read_with_its_reason(client, acupuncturist):
    draft = _draft(acupuncturist)
    _login(client, acupuncturist).post(_discard_url(draft), {"reason": "Duplicate entry."})

    page = client.get(_session_url(draft))

    assert page.status_code == 200
    assert 'data-session-status="discarded"' in page.content.decode()
    assert "Duplicate entry." in _text(page)
    assert _edit_url(draft) not in page.content.decode()


def test_discarding_needs_a_reason(client, acupuncturist):
    draft = _draft(acupuncturist)

    response = _login(client, acupuncturist).post(_discard_url(draft), {"reason": " "})

    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert "Give a reason." in _text(response)
    assert _refresh(draft).is_draft


def test_a_colleague_cannot_discard_someone_elses_draft(client, acupuncturist):
    draft = _draft(acupuncturist)
    before = _snapshot(draft)

    response = _login(client, _colleague()).post(
        _discard_url(draft), {"reason": "Not mine, but still."}, follow=True
    )

    assert "Only the practitioner who started this draft can change it." in _messages(response)
    assert _snapshot(draft) == before


def test_a_discarded_draft_cannot_be_signed(client, acupuncturist):
    draft = _draft(acupuncturist)
    _login(client, acupuncturist).post(_discard_url(draft), {"reason": "Duplicate entry."})

    response = client.post(_sign_url(draft), follow=True)

    assert "This draft was discarded and cannot be signed." in _messages(response)
    assert _refresh(draft).is_discarded


# --- Dashboard: unsigned drafts ---------------------------------------------------------------


def _aged(session, hours: float):
    TreatmentSession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours)
    )
    return session


def test_the_dashboard_lists_the_acupuncturists_own_drafts_older_than_a_day(client, acupuncturist):
    old = _aged(_draft(acupuncturist), hours=30)
    fresh = _aged(_draft(acupuncturist), hours=2)
    colleagues = _aged(_draft(_colleague()), hours=48)
    signed = _aged(_draft(acupuncturist, signed=True), hours=72)

    page = _login(client, acupuncturist).get(DASHBOARD_URL)

    section = _stale_drafts_section(page)
    assert section is not None
    links = re.findall(r'href="(/sessions/[^"]+)"', section)
    assert links == [_session_url(old)]
    assert _session_url(fresh) not in section
    assert _session_url(colleagues) not in section
    assert _session_url(signed) not in section
    assert old.patient.display_name in html.unescape(section)


def test_the_dashboard_shows_no_unsigned_list_when_every_draft_is_recent(client, acupuncturist):
    _aged(_draft(acupuncturist), hours=2)

    page = _login(client, acupuncturist).get(DASHBOARD_URL)

    assert page.status_code == 200
    assert _stale_drafts_section(page) is None


def test_a_discarded_old_draft_leaves_the_dashboard(client, acupuncturist):
    draft = _aged(_draft(acupuncturist), hours=30)
    _login(client, acupuncturist)
    assert _stale_drafts_section(client.get(DASHBOARD_URL)) is not None

    client.post(_discard_url(draft), {"reason": "Duplicate entry."})

    assert _stale_drafts_section(client.get(DASHBOARD_URL)) is None


def test_front_desk_sees_no_unsigned_drafts_list(client, front_desk, acupuncturist):
    _aged(_draft(acupuncturist), hours=30)

    page = _login(client, front_desk).get(DASHBOARD_URL)

    assert page.status_code == 200
    assert _stale_drafts_section(page) is None
    assert "/sessions/" not in page.content.decode()


# --- Database integrity ------------------------------------------------------------------------


def _signed_row(**fields) -> TreatmentSession:
    """A signed row, complete unless `fields` say otherwise."""
    author = PractitionerProfileFactory().user
    complete = {
        "patient": PatientFactory(),
        "created_by": author,
        "date": timezone.localdate(),
        "pain_before": 6,
        "pain_after": 3,
        "needles_inserted": 10,
        "needles_removed": 10,
        "status": TreatmentSession.Status.SIGNED,
        "signed_at": timezone.now(),
        "signed_by": author,
    }
    return TreatmentSession(**{**complete, **fields})


@pytest.mark.parametrize(
    "fields",
    [
        {"pain_after": None},
        {"needles_removed": None},
        {"needles_inserted": None},
        {"needles_inserted": 10, "needles_removed": 9},
        {"signed_at": None},
        {"signed_by": None},
    ],
    ids=[
        "no-pain-after",
        "no-needles-removed",
        "no-needles-inserted",
        "counts-differ-unexplained",
        "no-signed-at",
        "no-signed-by",
    ],
)
def test_the_database_refuses_an_incomplete_signed_row(fields):
    row = _signed_row(**fields)

    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()

    assert not TreatmentSession.objects.exists()


def test_the_database_accepts_a_signed_row_whose_count_mismatch_is_explained():
    row = _signed_row(
        needles_inserted=10, needles_removed=9, needle_count_explanation="One dropped."
    )

    with transaction.atomic():
        row.save()

    assert TreatmentSession.objects.get(pk=row.pk).is_signed


def test_the_database_refuses_to_mark_a_row_signed_by_update_when_incomplete(acupuncturist):
    draft = _draft(acupuncturist, pain_after=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentSession.objects.filter(pk=draft.pk).update(
            status="signed", signed_at=timezone.now(), signed_by=acupuncturist
        )

    assert _refresh(draft).is_draft


# --- Drafts ------------------------------------------------------------------------------------


def test_the_author_can_edit_a_draft(client, acupuncturist):
    draft = _draft(acupuncturist)

    response = _login(client, acupuncturist).post(
        _edit_url(draft),
        session_note(pain_before="8", pain_after="5", points="ST36, SP6 R", subjective="Edited."),
        follow=True,
    )

    edited = _refresh(draft)
    assert edited.is_draft
    assert (edited.pain_before, edited.pain_after) == (8, 5)
    assert edited.points_text() == "ST36, SP6 R"
    assert edited.subjective == "Edited."
    assert "Draft saved. Sign it when the note is complete." in _messages(response)


def test_the_author_opens_the_edit_page_of_a_draft(client, acupuncturist):
    draft = _draft(acupuncturist)

    page = _login(client, acupuncturist).get(_edit_url(draft))

    assert page.status_code == 200


def test_a_colleague_cannot_edit_someone_elses_draft(client, acupuncturist):
    draft = _draft(acupuncturist)
    before = _snapshot(draft)
    _login(client, _colleague())

    response = client.post(
        _edit_url(draft), session_note(pain_before="1", subjective="Not mine."), follow=True
    )

    assert response.redirect_chain == [(_session_url(draft), 302)]
    assert "Only the practitioner who started this draft can change it." in _messages(response)
    assert _snapshot(draft) == before
    assert client.get(_edit_url(draft)).status_code == 302
