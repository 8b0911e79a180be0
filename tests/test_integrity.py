"""Two people editing the same record, and writes that fail halfway.

Optimistic locking: the demographics and plan edit forms carry the version they
were opened at. A save from a form someone else's save overtook is refused with a
conflict that names what they changed, keeps what this user typed, and lets a
second save go through on purpose. Never a silent overwrite.

Atomicity: every write that touches several rows (a record, its children, its
events, its audit entries) is all or nothing. Each test below makes one such write
fail after its first rows are written and checks the database is exactly as before.
"""

import datetime
import html
import importlib
import inspect
import re
import time
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from auditlog.models import LogEntryManager
from django.apps import apps
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import BackupCodeDevice
from core.concurrency import EditConflict
from intake.body_map import MarkedRegion
from intake.forms import PatientForm
from intake.models import Intake, Patient
from intake.services import intake_save_step, patient_update
from plans.models import Plan, PlanDecision, PlanEvent, PlanSession
from plans.services import plan_update
from sessions.models import TreatmentSession
from tests.browser_forms import form_values
from tests.concurrency import at_the_same_moment
from tests.factories import (
    TEST_PASSWORD,
    IntakeFactory,
    PatientFactory,
    PractitionerProfileFactory,
    ProtocolFactory,
    TreatmentSessionFactory,
    UserFactory,
    make_invitation,
    make_plan,
    sign_history,
)
from tests.payloads import adverse_events, open_day, session_note

pytestmark = pytest.mark.django_db


class Boom(Exception):
    """The failure injected halfway through a write."""


def _boom(*args, **kwargs):
    raise Boom


def _as(user, *, errors_as_500=False) -> Client:
    client = Client(raise_request_exception=not errors_as_500)
    client.force_login(user)
    return client


# --- Reading pages as a browser would ---------------------------------------------------


def _form(response) -> dict[str, list[str]]:
    return form_values(response.content.decode())


def _typed(form: dict, **changes) -> dict:
    """The form with some fields typed over."""
    return {**form, **{name: [value] for name, value in changes.items()}}


class _Conflict(HTMLParser):
    """The [data-edit-conflict] box: its text and each li[data-conflict-field]."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.found = False
        self.fields: dict[str, str] = {}
        self.text: list[str] = []
        self._depth = 0
        self._field = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._depth:
            self._depth += 1
        elif "data-edit-conflict" in attrs:
            self.found, self._depth = True, 1
        if self._depth and tag == "li" and "data-conflict-field" in attrs:
            self._field = attrs["data-conflict-field"]
            self.fields[self._field] = ""

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
            if tag == "li":
                self._field = None

    def handle_data(self, data):
        if self._depth:
            self.text.append(data)
            if self._field:
                self.fields[self._field] += data

    @property
    def words(self) -> str:
        return " ".join("".join(self.text).split())


def _conflict(response) -> _Conflict:
    box = _Conflict(response.content.decode())
    assert box.found, "no [data-edit-conflict] on the page"
    box.fields = {name: " ".join(text.split()) for name, text in box.fields.items()}
    return box


def _form_errors(response) -> str:
    page = response.content.decode()
    found = re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</', page, re.S)
    return " ".join(html.unescape(text) for text in found)


# --- Optimistic locking: demographics -------------------------------------------------


def _edit_url(patient) -> str:
    return f"/patients/{patient.code}/edit/"


@pytest.fixture
def second_desk(db):
    return UserFactory(
        username="desk2", first_name="Bea", last_name="Booker", role=roles.FRONT_DESK
    )


def _demographics(patient) -> dict:
    return Patient.objects.filter(pk=patient.pk).values().get()


def test_a_stale_demographics_save_is_refused_with_what_the_other_person_changed(
    patient, front_desk, second_desk
):
    desk_a, desk_b = _as(front_desk), _as(second_desk)
    a_form = _form(desk_a.get(_edit_url(patient)))
    b_form = _form(desk_b.get(_edit_url(patient)))
    assert a_form["version"] == [str(patient.version)]

    saved = desk_b.post(_edit_url(patient), _typed(b_form, phone="415-555-0199"))
    assert saved.status_code == 302
    after_b = _demographics(patient)

    refused = desk_a.post(_edit_url(patient), _typed(a_form, email="jd@example.org"))

    assert refused.status_code == 409
    conflict = _conflict(refused)
    assert list(conflict.fields) == ["Phone"]
    assert "→ +14155550199" in conflict.fields["Phone"]
    assert str(second_desk) in conflict.fields["Phone"]
    assert "have not been saved" in conflict.words
    # Nothing of A's was saved; B's phone stands.
    assert _demographics(patient) == after_b
    assert after_b["email"] == "jane.doe@example.com"
    assert after_b["phone"] == "+14155550199"
    # A's typing is kept, and the form is now at the current version.
    shown = _form(refused)
    assert shown["email"] == ["jd@example.org"]
    assert shown["version"] == [str(after_b["version"])]


def test_after_a_conflict_saving_again_on_purpose_goes_through(patient, front_desk, second_desk):
    desk_a, desk_b = _as(front_desk), _as(second_desk)
    a_form = _form(desk_a.get(_edit_url(patient)))
    desk_b.post(
        _edit_url(patient), _typed(_form(desk_b.get(_edit_url(patient))), phone="4155550199")
    )
    refused = desk_a.post(_edit_url(patient), _typed(a_form, email="jd@example.org"))
    assert refused.status_code == 409

    again = desk_a.post(_edit_url(patient), _form(refused))

    assert again.status_code == 302
    patient.refresh_from_db()
    assert patient.email == "jd@example.org"
    assert patient.updated_by == front_desk
    assert patient.version == 3


def test_after_a_conflict_saving_again_keeps_both_changes(patient, front_desk, second_desk):
    desk_a, desk_b = _as(front_desk), _as(second_desk)
    a_form = _form(desk_a.get(_edit_url(patient)))
    desk_b.post(
        _edit_url(patient), _typed(_form(desk_b.get(_edit_url(patient))), phone="4155550199")
    )
    refused = desk_a.post(_edit_url(patient), _typed(a_form, email="jd@example.org"))
    assert refused.status_code == 409

    desk_a.post(_edit_url(patient), _form(refused))

    patient.refresh_from_db()
    assert (patient.phone, patient.email) == ("+14155550199", "jd@example.org")


def _without_a_sound_version(form: dict, version) -> dict:
    form = dict(form)
    if version is None:
        del form["version"]
    else:
        form["version"] = [version]
    return form


@pytest.mark.parametrize("version", [None, "", "two", "0", "-1", "1.5"])
def test_a_demographics_form_without_a_sound_version_saves_nothing(desk_client, patient, version):
    form = _typed(_form(desk_client.get(_edit_url(patient))), email="jd@example.org")
    before = _demographics(patient)

    response = desk_client.post(_edit_url(patient), _without_a_sound_version(form, version))

    assert response.status_code == 200
    assert "This form is out of date" in html.unescape(response.content.decode())
    assert _demographics(patient) == before


def test_a_demographics_form_without_a_version_says_so_in_invalid_feedback(desk_client, patient):
    form = _form(desk_client.get(_edit_url(patient)))

    response = desk_client.post(_edit_url(patient), _without_a_sound_version(form, None))

    assert "This form is out of date" in _form_errors(response)


def test_an_intake_that_changed_the_contact_details_overtakes_an_open_form(
    client, patient, front_desk
):
    desk = _as(front_desk)
    opened = _form(desk.get(_edit_url(patient)))
    # The patient submits an intake with a new phone number and email.
    _invitation, _token, link = make_invitation(patient, created_by=front_desk)
    intake = _open_intake(link)
    intake_save_step(
        intake=intake,
        step=1,
        answers={"phone": "+14155550177", "email": "jane@new.example"},
    )
    Intake.objects.filter(pk=intake.pk).update(completed_steps=[1, 2, 3, 4, 5])
    submitted = client.post(f"{link}step/6/", CONSENT)
    assert submitted.status_code == 302
    after_intake = _demographics(patient)
    assert after_intake["phone"] == "+14155550177"

    refused = desk.post(_edit_url(patient), _typed(opened, address="1 Main Street"))

    assert refused.status_code == 409
    conflict = _conflict(refused)
    assert set(conflict.fields) == {"Phone", "Email"}
    assert "+14155550100 → +14155550177" in conflict.fields["Phone"]
    assert "the patient, through the online intake" in conflict.fields["Phone"]
    assert _demographics(patient) == after_intake


def _open_intake(link) -> Intake:
    patient_client = Client()
    assert patient_client.get(link).status_code == 302
    return Intake.objects.order_by("-pk").first()


CONSENT = {"consent_to_treatment": "on", "privacy_acknowledged": "on", "signature_name": "Jane Doe"}


# --- Optimistic locking: the plan -------------------------------------------------------


@pytest.fixture
def second_acupuncturist(db):
    return PractitionerProfileFactory(
        user__username="needles2", user__first_name="Li", user__last_name="Wei"
    ).user


@pytest.fixture
def plan(patient, acupuncturist):
    return make_plan(
        patient, user=acupuncturist, target_pain=2, advice_notes="Chin tucks.", months_with_pain=12
    )


def _plan_edit_url(plan) -> str:
    return f"/plans/{plan.code}/edit/"


def _plan_row(plan) -> dict:
    row = Plan.objects.filter(pk=plan.pk).values().get()
    row["protocols"] = sorted(plan.protocols.values_list("pk", flat=True))
    row["events"] = PlanEvent.objects.filter(plan=plan).count()
    return row


def test_a_stale_plan_save_is_refused_with_what_the_other_practitioner_changed(
    plan, acupuncturist, second_acupuncturist
):
    first, second = _as(acupuncturist), _as(second_acupuncturist)
    first_form = _form(first.get(_plan_edit_url(plan)))
    second_form = _form(second.get(_plan_edit_url(plan)))
    assert first_form["version"] == [str(plan.version)]

    saved = second.post(
        _plan_edit_url(plan), _typed(second_form, target_pain="1", reason="Agreed at review")
    )
    assert saved.status_code == 302
    after_second = _plan_row(plan)

    refused = first.post(
        _plan_edit_url(plan),
        _typed(first_form, advice_notes="Chin tucks and walks.", reason="Walking plan"),
    )

    assert refused.status_code == 409
    conflict = _conflict(refused)
    assert list(conflict.fields) == ["Target pain"]
    assert "2 → 1" in conflict.fields["Target pain"]
    assert str(second_acupuncturist) in conflict.fields["Target pain"]
    assert _plan_row(plan) == after_second
    shown = _form(refused)
    assert shown["advice_notes"] == ["Chin tucks and walks."]
    assert shown["reason"] == ["Walking plan"]
    assert shown["version"] == [str(after_second["version"])]

    again = first.post(_plan_edit_url(plan), shown)

    assert again.status_code == 302
    assert _plan_row(plan)["advice_notes"] == "Chin tucks and walks."


def test_one_practitioner_in_two_tabs_gets_the_conflict_too(plan, acupuncturist):
    tab_one, tab_two = _as(acupuncturist), _as(acupuncturist)
    first = _form(tab_one.get(_plan_edit_url(plan)))
    second = _form(tab_two.get(_plan_edit_url(plan)))
    tab_two.post(_plan_edit_url(plan), _typed(second, months_with_pain="24", reason="Longer"))

    refused = tab_one.post(_plan_edit_url(plan), _typed(first, advice_notes="", reason="Clear"))

    assert refused.status_code == 409
    assert list(_conflict(refused).fields) == ["Months with pain"]
    assert _plan_row(plan)["advice_notes"] == "Chin tucks."


def test_after_a_plan_conflict_saving_again_keeps_both_changes(
    plan, acupuncturist, second_acupuncturist
):
    first, second = _as(acupuncturist), _as(second_acupuncturist)
    first_form = _form(first.get(_plan_edit_url(plan)))
    second.post(
        _plan_edit_url(plan),
        _typed(_form(second.get(_plan_edit_url(plan))), target_pain="1", reason="Review"),
    )
    refused = first.post(
        _plan_edit_url(plan), _typed(first_form, advice_notes="Walks.", reason="Walking")
    )

    first.post(_plan_edit_url(plan), _form(refused))

    row = _plan_row(plan)
    assert (row["target_pain"], row["advice_notes"]) == (1, "Walks.")


@pytest.mark.parametrize("version", [None, "", "latest", "0"])
def test_a_plan_form_without_a_sound_version_saves_nothing(plan, acupuncturist, version):
    client = _as(acupuncturist)
    form = _typed(_form(client.get(_plan_edit_url(plan))), target_pain="0", reason="Tidy")
    before = _plan_row(plan)

    response = client.post(_plan_edit_url(plan), _without_a_sound_version(form, version))

    assert response.status_code == 200
    assert "This form is out of date" in _form_errors(response)
    assert _plan_row(plan) == before


# --- Optimistic locking: two saves at the same moment ------------------------------


def _at_the_same_moment(monkeypatch, service_module: str, *saves):
    """Run each save in its own thread and connection, all from the same version.

    Each save, once it has checked the version, waits a moment before writing, so
    without a row lock every one of them would pass the check.
    """
    real_check = importlib.import_module(service_module).check_version

    def slow_check(*args, **kwargs):
        real_check(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(f"{service_module}.check_version", slow_check)

    def saved(save):
        save()
        return "saved"

    outcomes = at_the_same_moment(*(lambda save=save: saved(save) for save in saves))
    unexpected = [o for o in outcomes if o != "saved" and not isinstance(o, EditConflict)]
    assert not unexpected, unexpected
    return outcomes


# Two connections at once need committed rows: a transactional test, whose database
# is emptied afterwards (on both databases: SQLite's test database is a file, as in
# use). Naming every app (available_apps) makes that flush TRUNCATE ... CASCADE,
# which PostgreSQL needs while django-auditlog's own, unused auditlog_logentry table
# points at content types and users (a plain `manage.py flush` fails there). The
# roles are left out: the flush takes them too.
committed = pytest.mark.django_db(
    transaction=True, available_apps=[config.name for config in apps.get_app_configs()]
)


def _demographics_form_data(patient, **typed) -> dict:
    """Every demographics field, as the edit form sends them, with some typed over."""
    return {name: getattr(patient, name) for name in PatientForm.Meta.fields} | typed


@committed
def test_two_demographics_saves_at_the_same_moment_never_both_go_through(monkeypatch):
    desk_a, desk_b = UserFactory(username="desk_a"), UserFactory(username="desk_b")
    patient = PatientFactory(created_by=desk_a, phone="+14155550100", email="a@example.com")
    by_a = _demographics_form_data(patient, phone="+14155550199")
    by_b = _demographics_form_data(patient, email="b@example.com")

    outcomes = _at_the_same_moment(
        monkeypatch,
        "intake.services",
        lambda: patient_update(patient=patient, data=by_a, updated_by=desk_a, version=1),
        lambda: patient_update(patient=patient, data=by_b, updated_by=desk_b, version=1),
    )

    assert sorted(map(type, outcomes), key=str) == sorted([str, EditConflict], key=str)
    saved, refused = (0, 1) if outcomes[0] == "saved" else (1, 0)
    patient.refresh_from_db()
    assert patient.version == 2
    assert (patient.phone, patient.email) == [
        ("+14155550199", "a@example.com"),
        ("+14155550100", "b@example.com"),
    ][saved]
    assert [change.field for change in outcomes[refused].changes] == [["Phone", "Email"][saved]]


@committed
def test_two_plan_saves_at_the_same_moment_never_both_go_through(monkeypatch):
    first = PractitionerProfileFactory(user__username="needles_a", user__role=None).user
    second = PractitionerProfileFactory(user__username="needles_b", user__role=None).user
    patient = PatientFactory(created_by=first)
    plan = make_plan(patient, user=first, target_pain=2, advice_notes="Chin tucks.")
    details = {"target_pain": 2, "advice_notes": "Chin tucks."}

    outcomes = _at_the_same_moment(
        monkeypatch,
        "plans.services",
        lambda: plan_update(
            plan=plan, data={**details, "target_pain": 1}, reason="a", user=first, version=1
        ),
        lambda: plan_update(
            plan=plan,
            data={**details, "advice_notes": "Walks."},
            reason="b",
            user=second,
            version=1,
        ),
    )

    assert sorted(map(type, outcomes), key=str) == sorted([str, EditConflict], key=str)
    saved, refused = (0, 1) if outcomes[0] == "saved" else (1, 0)
    plan.refresh_from_db()
    assert plan.version == 2
    assert (plan.target_pain, plan.advice_notes) == [(1, "Chin tucks."), (2, "Walks.")][saved]
    changed = [change.field for change in outcomes[refused].changes]
    assert changed == [["Target pain", "Advice notes"][saved]]


# --- Atomicity ----------------------------------------------------------------------------

# What a write may leave behind: the clinic's records and the audit trail. Not the
# login sessions, nor the rate-limit counters of the public pages.
RECORD_APPS = ("intake", "treatment_sessions", "plans", "audit", "otp_totp", "otp_static")


def _database() -> dict[str, list[dict]]:
    """Every row of the clinic's records and the audit trail."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in RECORD_APPS
        for model in apps.get_app_config(label).get_models()
    }


def _changed(before, after) -> dict[str, int]:
    """{model: rows added, removed or changed} between two _database() snapshots."""
    changed = {}
    for label, rows in after.items():
        old = {row["id"]: row for row in before[label]}
        new = {row["id"]: row for row in rows}
        count = len(old.keys() ^ new.keys()) + sum(
            old[pk] != new[pk] for pk in old.keys() & new.keys()
        )
        if count:
            changed[label] = count
    return changed


def _resolve(target: str):
    """(owner, attribute name) of a dotted path: module.function, module.Class.method,
    module.Model.objects.method."""
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1]
    raise ValueError(target)


def _after_first_rows(monkeypatch, target: str):
    """Let `target` run, then fail: the rows it writes are written, then the write fails."""
    owner, name = _resolve(target)
    real = getattr(owner, name)

    def run_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise Boom

    if isinstance(owner, type) or inspect.ismodule(owner):
        monkeypatch.setattr(owner, name, run_then_fail)
    else:
        # A manager: its own attribute, removed again afterwards.
        monkeypatch.setitem(vars(owner), name, run_then_fail)


def _fails_and_leaves_nothing(send, what: str) -> None:
    """`send()` makes a request that fails halfway: a 500, and no row changed."""
    before = _database()
    response = send()
    assert response.status_code == 500, f"{what}: {response.status_code}"
    assert response.exc_info[0] is Boom, f"{what}: failed otherwise: {response.exc_info[1]!r}"
    assert _changed(before, _database()) == {}, what


@pytest.fixture
def acupuncturist_500(acupuncturist):
    return _as(acupuncturist, errors_as_500=True)


@pytest.fixture
def desk_500(front_desk):
    return _as(front_desk, errors_as_500=True)


# Registering, editing: one row each, and its audit entry.


def test_a_registration_whose_audit_entry_fails_is_not_saved(desk_500, monkeypatch):
    monkeypatch.setattr(LogEntryManager, "log_create", _boom)
    form = {
        "first_name": "Ada",
        "last_name": "Byron",
        "date_of_birth": "1980-12-10",
        "sex": "female",
        "phone": "415-555-0142",
    }

    _fails_and_leaves_nothing(lambda: desk_500.post("/patients/new/", form), "registration")

    assert not Patient.objects.filter(last_name="Byron").exists()


def test_a_demographics_edit_whose_audit_entry_fails_is_not_saved(desk_500, patient, monkeypatch):
    form = _typed(_form(desk_500.get(_edit_url(patient))), email="jd@example.org")
    monkeypatch.setattr(LogEntryManager, "log_create", _boom)

    _fails_and_leaves_nothing(lambda: desk_500.post(_edit_url(patient), form), "edit")


# Self-registration: a new chart, and the intake attached to it.


def test_confirming_a_self_registration_is_all_or_nothing(desk_500, monkeypatch):
    pending = IntakeFactory(patient=None, submitted=True, first_name="Sam", last_name="Rivera")
    monkeypatch.setattr("intake.services._attach", _boom)
    form = {
        "action": "create",
        "first_name": "Sam",
        "last_name": "Rivera",
        "date_of_birth": "1980-04-25",
        "sex": "unknown",
        "phone": "415-555-0199",
    }

    _fails_and_leaves_nothing(
        lambda: desk_500.post(f"/intakes/{pending.code}/register/", form), "registration"
    )

    assert not Patient.objects.filter(last_name="Rivera").exists()
    pending.refresh_from_db()
    assert pending.is_pending_registration


# Intake links and the patient's intake.


def test_a_new_intake_link_that_fails_leaves_the_old_link_working(
    desk_500, patient, front_desk, monkeypatch
):
    old, _token, link = make_invitation(patient, created_by=front_desk)
    monkeypatch.setattr("intake.services._new_token", _boom)

    _fails_and_leaves_nothing(
        lambda: desk_500.post(f"/patients/{patient.code}/intake-invitations/"), "new link"
    )

    old.refresh_from_db()
    assert old.revoked_at is None
    assert Client().get(link).status_code == 302


def test_a_self_registration_start_that_fails_leaves_no_intake(monkeypatch):
    monkeypatch.setattr("intake.services._new_token", _boom)
    public = Client(raise_request_exception=False)

    _fails_and_leaves_nothing(lambda: public.post("/intake/start/"), "start")


def test_opening_a_link_that_fails_leaves_no_draft(patient, front_desk, monkeypatch):
    invitation, _token, link = make_invitation(patient, created_by=front_desk)
    _after_first_rows(monkeypatch, "intake.services.IntakeInvitation.save")
    public = Client(raise_request_exception=False)

    _fails_and_leaves_nothing(lambda: public.get(link), "open")

    assert not Intake.objects.filter(patient=patient).exists()


@pytest.fixture
def filling(patient, front_desk):
    """(link, intake): an invited patient's draft, every step saved once."""
    _invitation, _token, link = make_invitation(patient, created_by=front_desk)
    intake = _open_intake(link)
    intake_save_step(
        intake=intake,
        step=2,
        answers={"pain_types": ["neck_pain"], "pain_now": 6, "pain_worst": 8},
        regions=[MarkedRegion("neck", score=6)],
    )
    intake_save_step(
        intake=intake,
        step=4,
        answers={},
        medications=[{"name": "Ibuprofen", "dose": "400 mg", "frequency": "", "for_pain": True}],
    )
    Intake.objects.filter(pk=intake.pk).update(completed_steps=[1, 2, 3, 4, 5])
    return link, intake


def test_a_pain_step_that_fails_keeps_the_regions_it_had(filling, monkeypatch):
    link, intake = filling
    answers = {
        "pain_types": ["neck_pain", "migraine"],
        "headache_days": "8",
        "pain_now": "7",
        "pain_worst": "9",
        "pain_locations": ["neck", "head"],
        "pain_location_score_neck": "7",
        "months_with_pain": "18",
        "onset": "gradual",
        "cause": "repetitive_strain",
    }
    monkeypatch.setattr(Intake, "save", _boom)
    public = Client(raise_request_exception=False)

    _fails_and_leaves_nothing(lambda: public.post(f"{link}step/2/", answers), "pain step")

    assert dict(intake.regions.values_list("region", "score")) == {"neck": 6}


def test_a_medicines_step_that_fails_keeps_the_medicines_it_had(filling, monkeypatch):
    link, intake = filling
    medicines = {
        "medications-TOTAL_FORMS": "1",
        "medications-INITIAL_FORMS": "0",
        "medications-0-name": "Sertraline",
        "medications-0-dose": "50 mg",
    }
    _after_first_rows(monkeypatch, "intake.services.IntakeMedication.objects.bulk_create")
    public = Client(raise_request_exception=False)

    _fails_and_leaves_nothing(lambda: public.post(f"{link}step/4/", medicines), "medicines")

    assert list(intake.medications.values_list("name", flat=True)) == ["Ibuprofen"]


def test_an_intake_submission_that_fails_copies_nothing_to_the_chart(filling, patient, monkeypatch):
    link, intake = filling
    Intake.objects.filter(pk=intake.pk).update(phone="+14155550177", email="jane@new.example")
    # Submitting copies the new details to the chart, then saves the intake: fail there.
    monkeypatch.setattr(Intake, "save", _boom)
    public = Client(raise_request_exception=False)

    _fails_and_leaves_nothing(lambda: public.post(f"{link}step/6/", CONSENT), "submission")

    patient.refresh_from_db()
    assert (patient.phone, patient.email, patient.version) == (
        "+14155550100",
        "jane.doe@example.com",
        1,
    )
    intake.refresh_from_db()
    assert intake.is_draft


# Sessions: the note, its points, adverse events and acknowledged warnings; signing.


def _session_form(**changes) -> dict:
    """A note with a bruise, its warning acknowledged."""
    return (
        session_note(
            pain_before="6",
            pain_after="3",
            points="GB20 L, LI4, BL23",
            safety_acknowledged="on",
            **adverse_events(
                {
                    "kind": "bruising",
                    "severity": "mild",
                    "causality": "probable",
                    "action_taken": "Pressure applied.",
                    "notes": "",
                }
            ),
        )
        | changes
    )


@pytest.fixture
def pregnant(patient):
    """The patient is pregnant: needling LI4 needs an acknowledged warning."""
    IntakeFactory(patient=patient, submitted=True, pregnant="yes")
    return patient


@pytest.mark.parametrize(
    "fail_after",
    [
        "sessions.services._store_points",
        "sessions.services.AdverseEvent.objects.bulk_create",
        "sessions.services._store_acknowledgements",
    ],
)
def test_a_new_session_that_fails_saves_no_part_of_the_note(
    acupuncturist_500, pregnant, monkeypatch, fail_after
):
    url = f"/patients/{pregnant.code}/sessions/new/"
    token = _form(acupuncturist_500.get(url))["form_token"][0]

    with monkeypatch.context() as fault:
        _after_first_rows(fault, fail_after)
        _fails_and_leaves_nothing(
            lambda: acupuncturist_500.post(url, _session_form(form_token=token)), fail_after
        )

    assert not TreatmentSession.objects.filter(patient=pregnant).exists()
    # The same form sent again once the fault is gone saves the note once, whole.
    saved = acupuncturist_500.post(url, _session_form(form_token=token))
    assert saved.status_code == 302
    note = TreatmentSession.objects.get(patient=pregnant)
    assert note.needled_points.count() == 3
    assert note.adverse_events.count() == 1
    assert note.safety_acknowledgements.count() == 1


def test_a_draft_edit_that_fails_keeps_the_draft_as_it_was(
    acupuncturist_500, acupuncturist, pregnant, monkeypatch
):
    draft = TreatmentSessionFactory(
        patient=pregnant, created_by=acupuncturist, points="ST36", subjective="First."
    )
    _after_first_rows(monkeypatch, "sessions.services.AdverseEvent.objects.bulk_create")

    _fails_and_leaves_nothing(
        lambda: acupuncturist_500.post(
            f"/sessions/{draft.code}/edit/", _session_form(subjective="Rewritten.")
        ),
        "draft edit",
    )

    draft.refresh_from_db()
    assert draft.subjective == "First."
    assert list(draft.needled_points.values_list("point__code", flat=True)) == ["ST36"]


@pytest.fixture
def planned(patient, acupuncturist):
    """A patient on a plan with two signed visits, and a third visit's draft."""
    plan = make_plan(patient, user=acupuncturist)
    sign_history(patient, user=acupuncturist, scores=[8, 7])
    draft = TreatmentSessionFactory(
        patient=patient, created_by=acupuncturist, pain_before=3, pain_after=1
    )
    return SimpleNamespace(plan=plan, draft=draft)


def test_signing_that_fails_after_the_plan_replay_leaves_the_note_a_draft(
    acupuncturist_500, planned, monkeypatch
):
    _after_first_rows(monkeypatch, "plans.services._replay")

    _fails_and_leaves_nothing(
        lambda: acupuncturist_500.post(f"/sessions/{planned.draft.code}/sign/"), "signing"
    )

    planned.draft.refresh_from_db()
    assert planned.draft.is_draft
    assert not PlanSession.objects.filter(session=planned.draft).exists()


def test_save_and_sign_that_fails_while_signing_leaves_no_signed_or_counted_note(
    acupuncturist_500, planned, monkeypatch
):
    """Saving and signing are two writes: a failure in the second may keep the draft
    (whole) but never a half-signed note or a plan that counted it."""
    url = f"/patients/{planned.plan.patient.code}/sessions/new/"
    token = _form(acupuncturist_500.get(url))["form_token"][0]
    plan_before = _plan_row(planned.plan)
    _after_first_rows(monkeypatch, "plans.services._replay")

    response = acupuncturist_500.post(
        url, _session_form(action="sign", form_token=token, safety_acknowledged="")
    )

    assert response.status_code == 500
    assert response.exc_info[0] is Boom
    assert _plan_row(planned.plan) == plan_before
    kept = TreatmentSession.objects.filter(form_token=token).first()
    if kept is not None:
        assert kept.is_draft
        assert kept.needled_points.count() == 3
        assert kept.adverse_events.count() == 1
        assert not PlanSession.objects.filter(session=kept).exists()


def test_save_and_sign_that_fails_while_signing_saves_nothing_as_the_error_page_says(
    acupuncturist_500, planned, monkeypatch
):
    url = f"/patients/{planned.plan.patient.code}/sessions/new/"
    token = _form(acupuncturist_500.get(url))["form_token"][0]
    _after_first_rows(monkeypatch, "plans.services._replay")
    before = _database()

    response = acupuncturist_500.post(
        url, _session_form(action="sign", form_token=token, safety_acknowledged="")
    )

    assert response.status_code == 500
    assert "Nothing you entered has been saved" in response.content.decode()
    assert _changed(before, _database()) == {}


# Plans: starting one, editing it, decisions, ending it.


def test_a_plan_start_that_fails_leaves_no_plan(
    acupuncturist_500, acupuncturist, patient, monkeypatch
):
    sign_history(patient, user=acupuncturist, scores=[7])  # a visit the plan would count
    protocol = ProtocolFactory(created_by=acupuncturist)
    _after_first_rows(monkeypatch, "plans.services._replay")
    form = {
        "practitioner": str(acupuncturist.pk),
        "months_with_pain": "12",
        "target_pain": "2",
        "protocols": [str(protocol.pk)],
        "advice": ["exercise"],
        "review_date": (timezone.localdate() + datetime.timedelta(weeks=6)).isoformat(),
    }

    _fails_and_leaves_nothing(
        lambda: acupuncturist_500.post(f"/patients/{patient.code}/plan/new/", form), "plan start"
    )

    assert not Plan.objects.filter(patient=patient).exists()


def test_a_plan_edit_that_fails_changes_nothing(
    acupuncturist_500, acupuncturist, plan, monkeypatch
):
    protocol = ProtocolFactory(created_by=acupuncturist)
    form = _typed(
        _form(acupuncturist_500.get(_plan_edit_url(plan))),
        months_with_pain="3",
        advice_notes="Walks.",
        reason="Review",
    )
    form["protocols"] = [str(protocol.pk)]
    _after_first_rows(monkeypatch, "plans.services._replay")

    _fails_and_leaves_nothing(
        lambda: acupuncturist_500.post(_plan_edit_url(plan), form), "plan edit"
    )

    assert _plan_row(plan)["version"] == plan.version
    assert not plan.protocols.exists()


@pytest.mark.parametrize(
    "decision",
    [
        {"kind": "override", "override-kind": "override", "override-rung": "monthly"},
        {"kind": "hold", "hold-kind": "hold"},
        {"kind": "baseline", "baseline-kind": "baseline", "baseline-baseline_pain": "4"},
    ],
    ids=["override", "hold", "baseline"],
)
def test_a_plan_decision_that_fails_after_the_replay_changes_nothing(
    acupuncturist_500, planned, monkeypatch, decision
):
    kind = decision["kind"]
    decision = {**decision, f"{kind}-reason": "Patient travelling"}
    _after_first_rows(monkeypatch, "plans.services._replay")

    _fails_and_leaves_nothing(
        lambda: acupuncturist_500.post(f"/plans/{planned.plan.code}/decisions/", decision),
        kind,
    )

    assert not PlanDecision.objects.filter(plan=planned.plan).exists()


def test_ending_a_plan_that_fails_leaves_it_active(acupuncturist_500, plan, monkeypatch):
    # The plan is saved as ended, then its ending event is written: fail after that.
    _after_first_rows(monkeypatch, "plans.services.PlanEvent.objects.create")

    _fails_and_leaves_nothing(
        lambda: acupuncturist_500.post(
            f"/plans/{plan.code}/close/", {"status": "discontinued", "reason": "Moved away"}
        ),
        "plan end",
    )

    assert Plan.objects.get(pk=plan.pk).is_active


# Booking: the visit, and its audit entry.


def test_a_booking_whose_audit_entry_fails_is_not_kept(
    desk_500, patient, acupuncturist, monkeypatch
):
    monkeypatch.setattr(LogEntryManager, "log_create", _boom)
    form = {
        "practitioner": str(acupuncturist.pk),
        "date": open_day(1).isoformat(),
        "time": "10:00",
        "length_minutes": "45",
    }

    _fails_and_leaves_nothing(
        lambda: desk_500.post(f"/patients/{patient.code}/appointments/new/", form), "booking"
    )


# Two-factor login: confirming the app and making the backup codes.


def test_turning_on_two_factor_that_fails_leaves_it_off(front_desk, monkeypatch):
    client = Client(raise_request_exception=False)
    client.post("/accounts/login/", {"username": front_desk.username, "password": TEST_PASSWORD})
    assert client.get("/accounts/two-factor/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=front_desk)
    _after_first_rows(monkeypatch, "accounts.services.BackupCode.objects.bulk_create")

    response = client.post(
        "/accounts/two-factor/setup/", {"otp_token": TOTP(device.bin_key).token()}
    )

    assert response.status_code == 500
    assert response.exc_info[0] is Boom
    device.refresh_from_db()
    assert not device.confirmed
    assert not BackupCodeDevice.objects.filter(user=front_desk).exists()


# --- The failure injection works ------------------------------------------------------


def test_the_snapshot_sees_a_write_that_is_not_rolled_back(patient, front_desk):
    """The atomicity tests can fail: a row written and left behind is seen."""
    before = _database()

    PatientFactory(created_by=front_desk)

    assert _changed(before, _database()) == {"intake.Patient": 1, "audit.AuditEntry": 1}
