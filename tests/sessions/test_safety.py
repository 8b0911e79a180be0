"""The safety rules checked when a session is saved (docs/clinical-rules.md section 5): first the
pure rules of sessions/safety.py, row by row and both sides of each row, then the same
rules as the acupuncturist meets them on the session form and the chart."""

import re

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions import views as sessions_views
from sessions.models import SafetyAcknowledgement, TreatmentSession
from sessions.points import NeedledPoint, all_codes, default_side, parse_points
from sessions.safety import (
    PREGNANCY_CAUTION_POINTS,
    Level,
    Rule,
    Screening,
    check_session,
)
from tests.factories import NEW_SESSION_FORM, IntakeFactory, PatientFactory, TreatmentSessionFactory

EA = "electroacupuncture"
NOT_EA = [[], ["manual_needling"], ["manual_needling", "moxibustion", "cupping", "gua_sha"]]

# docs/clinical-rules.md section 5, written out: LI4, SP6, BL60, BL67, GB21; lumbosacral BL22-BL35
# and GV2-GV5; lower abdomen CV1-CV8, KI11-KI16, ST25-ST30.
EXPECTED_CAUTION_POINTS = {
    "LI4", "SP6", "BL60", "BL67", "GB21",
    "BL22", "BL23", "BL24", "BL25", "BL26", "BL27", "BL28",
    "BL29", "BL30", "BL31", "BL32", "BL33", "BL34", "BL35",
    "GV2", "GV3", "GV4", "GV5",
    "CV1", "CV2", "CV3", "CV4", "CV5", "CV6", "CV7", "CV8",
    "KI11", "KI12", "KI13", "KI14", "KI15", "KI16",
    "ST25", "ST26", "ST27", "ST28", "ST29", "ST30",
    # Xiajishu, Yaoyi, Yaoyan, Shiqizhui, Yaoqi (lumbosacral) and Zigong (lower
    # abdomen, beside CV3); Jiaji at L1-L5 has tests of its own.
    "EX-B5", "EX-B6", "EX-B7", "EX-B8", "EX-B9", "EX-CA1",
}  # fmt: skip
NOT_CAUTION_NEIGHBOURS = [
    "BL21", "BL36", "GV1", "GV6", "CV9", "KI10", "KI17", "ST24", "ST31",
    "LI3", "LI5", "SP5", "SP7", "BL59", "BL61", "BL66", "GB20", "GB22",
]  # fmt: skip

# Every screening answer "no": a patient for whom no rule applies.
ALL_NO = {
    "pregnant": "no",
    "pacemaker": "no",
    "bleeding_disorder": "no",
    "anticoagulants": "no",
    "epilepsy": "no",
    "diabetes": "no",
    "fainting": "no",
    "skin_problem": "no",
    "metal_implant": "no",
}


def screening(**answers) -> Screening:
    return Screening(**{**ALL_NO, **answers})


def points(*codes) -> tuple[NeedledPoint, ...]:
    return tuple(NeedledPoint(code, default_side(code)) for code in codes)


def only(findings, rule):
    return [finding for finding in findings if finding.rule == rule]


def _codes_named(message: str) -> set[str]:
    return set(re.findall(r"\b[A-Z]{2}\d+\b", message))


# --- Pregnancy: the caution points -------------------------------------------------------


def test_the_pregnancy_caution_points_are_exactly_those_of_the_clinical_rules():
    assert set(PREGNANCY_CAUTION_POINTS) == EXPECTED_CAUTION_POINTS
    assert EXPECTED_CAUTION_POINTS <= set(all_codes())


@pytest.mark.parametrize("code", NOT_CAUTION_NEIGHBOURS)
def test_a_point_just_outside_a_caution_range_is_not_a_caution_point(code):
    assert code not in PREGNANCY_CAUTION_POINTS
    assert check_session(screening(pregnant="yes"), points(code), ["manual_needling"]) == []


def test_a_pregnant_patient_with_caution_points_gives_a_warning_naming_exactly_those_points():
    chosen = points("GB20", "LI4", "ST36", "BL23", "SP6", "LR3", "CV4")
    findings = check_session(screening(pregnant="yes", pregnancy_weeks=14), chosen, [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.PREGNANCY_POINTS, Level.ACKNOWLEDGE)]
    finding = findings[0]
    assert finding.points == ("LI4", "BL23", "SP6", "CV4")
    assert _codes_named(finding.message) == {"LI4", "BL23", "SP6", "CV4"}
    assert "pregnant" in finding.message
    assert "14 weeks" in finding.message


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(all_codes()), unique=True, max_size=20))
def test_the_pregnancy_warning_names_the_caution_points_chosen_and_no_others(codes):
    chosen = points(*codes)
    findings = only(check_session(screening(pregnant="yes"), chosen, []), Rule.PREGNANCY_POINTS)
    # Jiaji without a level is the whole of it, lumbar levels included.
    caution = tuple(
        point.label for point in chosen if point.code in {*EXPECTED_CAUTION_POINTS, "EX-B2"}
    )
    if caution:
        assert len(findings) == 1
        assert findings[0].level == Level.ACKNOWLEDGE
        assert findings[0].points == caution
        # Extra points are named as written (Yaoyan), or by code when the name is
        # shared with a WHO point (Zigong is also CV19: EX-CA1).
        by_name = {label for label in caution if not re.fullmatch(r"[A-Z]{2}\d+|EX-\w+", label)}
        by_code = set(caution) - by_name
        assert _codes_named(findings[0].message.replace("EX-", "EX_")) == {
            c for c in by_code if not c.startswith("EX")
        }
        for label in caution:
            assert label in findings[0].message
    else:
        assert findings == []


def test_a_pregnant_patient_with_only_other_points_gives_no_pregnancy_warning():
    chosen = points("GB20", "ST36", "LR3", "PC6", "GV20", "BL21", "BL36")
    assert check_session(screening(pregnant="yes"), chosen, ["manual_needling"]) == []


def test_a_patient_who_is_not_pregnant_gets_no_warning_for_caution_points():
    chosen = points(*sorted(EXPECTED_CAUTION_POINTS))
    assert check_session(screening(pregnant="no"), chosen, ["manual_needling"]) == []


def test_a_patient_not_sure_whether_pregnant_gets_a_warning_worded_may_be_pregnant():
    findings = check_session(screening(pregnant="not_sure"), points("GB21", "ST36"), [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.PREGNANCY_POINTS, Level.ACKNOWLEDGE)]
    assert "may be pregnant" in findings[0].message
    assert findings[0].points == ("GB21",)


# --- Pacemaker, epilepsy and metal implants with electroacupuncture ----------------------


def test_a_pacemaker_with_electroacupuncture_is_refused():
    findings = check_session(screening(pacemaker="yes"), points("LI4"), [EA])
    assert [(f.rule, f.level) for f in findings] == [(Rule.PACEMAKER_ELECTRO, Level.REFUSE)]
    assert "not allowed" in findings[0].message


@pytest.mark.parametrize("modalities", NOT_EA)
def test_a_pacemaker_without_electroacupuncture_raises_nothing(modalities):
    assert check_session(screening(pacemaker="yes"), points("LI4", "GB20"), modalities) == []


def test_electroacupuncture_without_a_pacemaker_raises_nothing():
    assert check_session(screening(), points("LI4", "GB20"), [EA, "manual_needling"]) == []


def test_a_patient_not_sure_about_a_pacemaker_needs_an_acknowledgement_for_electroacupuncture():
    findings = check_session(screening(pacemaker="not_sure"), points("LI4"), [EA])
    assert [(f.rule, f.level) for f in findings] == [(Rule.PACEMAKER_ELECTRO, Level.ACKNOWLEDGE)]


@pytest.mark.parametrize(
    ("answer", "rule"),
    [("epilepsy", Rule.EPILEPSY_ELECTRO), ("metal_implant", Rule.METAL_IMPLANT_ELECTRO)],
)
@pytest.mark.parametrize("value", ["yes", "not_sure"])
def test_epilepsy_or_a_metal_implant_with_electroacupuncture_needs_an_acknowledgement(
    answer, rule, value
):
    findings = check_session(screening(**{answer: value}), points("LI4"), [EA])
    assert [(f.rule, f.level) for f in findings] == [(rule, Level.ACKNOWLEDGE)]


@pytest.mark.parametrize("answer", ["epilepsy", "metal_implant"])
@pytest.mark.parametrize("modalities", NOT_EA)
def test_epilepsy_or_a_metal_implant_without_electroacupuncture_raises_nothing(answer, modalities):
    assert check_session(screening(**{answer: "yes"}), points("LI4"), modalities) == []


# --- Bleeding risk -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bleeding_disorder", "anticoagulants"),
    [
        ("yes", "no"),
        ("no", "yes"),
        ("not_sure", "no"),
        ("no", "not_sure"),
        ("yes", "yes"),
    ],
)
@pytest.mark.parametrize(
    ("codes", "modalities"),
    [((), []), (("GB20",), ["manual_needling"]), (("LI4", "CV4"), [EA, "cupping"])],
)
def test_a_bleeding_risk_is_a_caution_whatever_is_chosen(
    bleeding_disorder, anticoagulants, codes, modalities
):
    answers = screening(bleeding_disorder=bleeding_disorder, anticoagulants=anticoagulants)
    findings = check_session(answers, points(*codes), modalities)
    assert [(f.rule, f.level) for f in findings] == [(Rule.BLEEDING_RISK, Level.CAUTION)]
    assert "superficial" in findings[0].message


def test_the_bleeding_caution_names_both_reasons():
    findings = check_session(screening(bleeding_disorder="yes", anticoagulants="yes"), (), [])
    assert "bleeding disorder" in findings[0].message
    assert "anticoagulants" in findings[0].message


def test_no_bleeding_disorder_and_no_anticoagulants_give_no_caution():
    findings = check_session(screening(), points("LI4", "GB20"), [EA, "cupping"])
    assert only(findings, Rule.BLEEDING_RISK) == []


# --- The lumbosacral extra points in pregnancy ---------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Jiaji L4", "Jiaji L1", "Jiaji L3-L5", "Jiaji T12-L1", "Jiaji T1-L5", "Jiaji"]
)
def test_jiaji_touching_l1_to_l5_is_a_pregnancy_caution_point_named_with_its_level(typed):
    findings = check_session(screening(pregnant="yes"), parse_points(typed).points, [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.PREGNANCY_POINTS, Level.ACKNOWLEDGE)]
    assert findings[0].points == (typed,)
    assert typed in findings[0].message


@pytest.mark.parametrize("typed", ["Jiaji T12", "Jiaji T1-T12", "Jiaji T6 L"])
def test_thoracic_jiaji_is_not_a_pregnancy_caution_point(typed):
    assert check_session(screening(pregnant="yes"), parse_points(typed).points, []) == []


def test_yaoyan_and_shiqizhui_are_pregnancy_caution_points_and_taiyang_is_not():
    chosen = parse_points("Yintang, Taiyang, Yaoyan, Shiqizhui, Jiaji T4, Jiaji L4 R").points
    findings = check_session(screening(pregnant="not_sure"), chosen, [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.PREGNANCY_POINTS, Level.ACKNOWLEDGE)]
    assert findings[0].points == ("Yaoyan", "Shiqizhui", "Jiaji L4")
    assert findings[0].message == (
        "The patient may be pregnant: Yaoyan, Shiqizhui, Jiaji L4 are traditionally "
        "avoided in pregnancy."
    )


# --- Fainting, diabetes, broken or infected skin -------------------------------------------


@pytest.mark.parametrize(
    ("codes", "modalities"), [((), []), (("GB20", "LI4"), ["manual_needling"]), (("ST36",), [EA])]
)
def test_fainting_or_fear_of_needles_is_a_caution_to_treat_lying_down_whatever_is_chosen(
    codes, modalities
):
    findings = check_session(screening(fainting="yes"), points(*codes), modalities)
    assert [(f.rule, f.level) for f in findings] == [(Rule.FAINTING, Level.CAUTION)]
    assert findings[0].message == (
        "Faints easily or is afraid of needles: treat lying down, with few needles and a "
        "short retention at first, and watch for dizziness."
    )


def test_not_sure_about_fainting_is_the_same_caution_worded_as_a_question():
    findings = check_session(screening(fainting="not_sure"), points("LI4"), [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.FAINTING, Level.CAUTION)]
    assert findings[0].message.startswith(
        "Does the patient faint easily or fear needles? They were not sure: treat lying down"
    )


@pytest.mark.parametrize("codes", [(), ("ST36", "SP6")])
def test_diabetes_is_a_caution_to_check_the_feet_and_legs(codes):
    findings = check_session(screening(diabetes="yes"), points(*codes), [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.DIABETES, Level.CAUTION)]
    assert findings[0].message == (
        "Diabetes: slower healing and a higher risk of infection; check the skin of the feet "
        "and legs before needling there."
    )


def test_not_sure_about_diabetes_is_the_same_caution_worded_as_a_question():
    findings = check_session(screening(diabetes="not_sure"), (), [])
    assert [(f.rule, f.level) for f in findings] == [(Rule.DIABETES, Level.CAUTION)]
    assert findings[0].message.startswith(
        "Does the patient have diabetes? They were not sure: slower healing"
    )


@pytest.mark.parametrize("value", ["yes", "not_sure"])
@pytest.mark.parametrize("codes", [("LI4",), ("GB20", "Taiyang")])
def test_broken_or_infected_skin_needs_an_acknowledgement_whenever_a_point_is_chosen(value, codes):
    chosen = tuple(point for code in codes for point in parse_points(code).points)
    findings = check_session(screening(skin_problem=value), chosen, ["manual_needling"])
    assert [(f.rule, f.level) for f in findings] == [(Rule.SKIN_PROBLEM, Level.ACKNOWLEDGE)]
    assert "Never needle through broken or infected skin" in findings[0].message
    if value == "not_sure":
        assert findings[0].message.startswith(
            "Is there a skin infection, rash or broken skin where it hurts? The patient was "
            "not sure"
        )
    else:
        assert findings[0].message.startswith("Skin infection, rash or broken skin where it hurts.")


@pytest.mark.parametrize("modalities", [[], ["cupping"]])
def test_broken_or_infected_skin_with_no_point_chosen_asks_nothing(modalities):
    assert check_session(screening(skin_problem="yes"), (), modalities) == []


@pytest.mark.parametrize("answer", ["fainting", "diabetes", "skin_problem"])
def test_an_answer_of_no_raises_nothing(answer):
    assert check_session(screening(**{answer: "no"}), points("LI4", "ST36"), [EA]) == []


# --- No intake, and several rules at once ------------------------------------------------


@pytest.mark.parametrize(
    ("codes", "modalities"), [((), []), (("LI4", "SP6", "BL23"), [EA, "moxibustion"])]
)
def test_without_an_intake_there_is_a_single_caution_that_screening_is_missing(codes, modalities):
    findings = check_session(None, points(*codes), modalities)
    assert [(f.rule, f.level) for f in findings] == [(Rule.NO_SCREENING, Level.CAUTION)]


def test_several_rules_apply_together_most_serious_first():
    answers = screening(
        pregnant="yes",
        pacemaker="yes",
        epilepsy="yes",
        metal_implant="yes",
        anticoagulants="yes",
        fainting="yes",
        diabetes="not_sure",
        skin_problem="yes",
    )
    findings = check_session(answers, points("LI4", "GB20"), [EA])
    assert [f.level for f in findings] == [
        Level.REFUSE,
        Level.ACKNOWLEDGE,
        Level.ACKNOWLEDGE,
        Level.ACKNOWLEDGE,
        Level.ACKNOWLEDGE,
        Level.CAUTION,
        Level.CAUTION,
        Level.CAUTION,
    ]
    assert {f.rule for f in findings} == {
        Rule.PACEMAKER_ELECTRO,
        Rule.PREGNANCY_POINTS,
        Rule.EPILEPSY_ELECTRO,
        Rule.METAL_IMPLANT_ELECTRO,
        Rule.SKIN_PROBLEM,
        Rule.BLEEDING_RISK,
        Rule.FAINTING,
        Rule.DIABETES,
    }


# --- Through the session form and the chart ----------------------------------------------


def _new_session_url(patient) -> str:
    return f"/patients/{patient.code}/sessions/new/"


def _session_data(**overrides) -> dict:
    data = {
        "date": timezone.localdate().isoformat(),
        "pain_before": "6",
        "points": "GB20 L, ST36",
        "modalities": ["manual_needling"],
        **NEW_SESSION_FORM,
    }
    data.update(overrides)
    return data


def _electro(**overrides) -> dict:
    return _session_data(
        modalities=[EA, "manual_needling"], ea_frequency_hz="2", ea_intensity="mild", **overrides
    )


def _errors(html: str) -> list[str]:
    """The text of every error shown next to a field."""
    return [
        re.sub(r"<[^>]+>", "", error).strip()
        for error in re.findall(r'class="invalid-feedback"[^>]*>(.*?)</(?:div|span)>', html, re.S)
    ]


def _acknowledgement_block(html: str) -> str:
    """The acknowledgement box of the session form, up to the next fieldset."""
    start = html.index('id="safety-acknowledgement"')
    return html[start : html.index("<fieldset", start)]


def _patient_with(**answers):
    patient = PatientFactory()
    IntakeFactory(patient=patient, submitted=True, **answers)
    return patient


@pytest.fixture
def practitioner_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


@pytest.mark.django_db
def test_a_pregnancy_caution_point_cannot_be_saved_without_ticking_the_acknowledgement(
    practitioner_client,
):
    patient = _patient_with(pregnant="yes", pregnancy_weeks=14)
    response = practitioner_client.post(
        _new_session_url(patient), _session_data(points="LI4, SP6, ST36")
    )
    assert response.status_code == 200
    html = response.content.decode()
    block = _acknowledgement_block(html)
    assert "invalid-feedback" in block
    assert "Tick to confirm" in block
    warning = re.search(r'data-safety-rule="pregnancy_points"[^>]*>(.*?)</div>', html, re.S)
    assert warning is not None
    assert _codes_named(warning.group(1)) == {"LI4", "SP6"}
    assert not TreatmentSession.objects.exists()
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
def test_an_acknowledged_pregnancy_warning_is_stored_with_who_what_and_when(
    practitioner_client, acupuncturist
):
    patient = _patient_with(pregnant="yes", pregnancy_weeks=14)
    before = timezone.now()
    response = practitioner_client.post(
        _new_session_url(patient),
        _session_data(points="LI4, SP6, ST36", safety_acknowledged="on"),
    )
    after = timezone.now()
    assert response.status_code == 302
    session = TreatmentSession.objects.get(patient=patient)
    assert [p.code for p in session.point_list()] == ["LI4", "SP6", "ST36"]
    acknowledgement = SafetyAcknowledgement.objects.get(session=session)
    assert acknowledgement.acknowledged_by == acupuncturist
    assert acknowledgement.rule == Rule.PREGNANCY_POINTS
    assert _codes_named(acknowledgement.warning) == {"LI4", "SP6"}
    assert before <= acknowledgement.acknowledged_at <= after


@pytest.mark.django_db
def test_a_pregnant_patient_with_no_caution_point_needs_no_acknowledgement(practitioner_client):
    patient = _patient_with(pregnant="yes", pregnancy_weeks=14)
    response = practitioner_client.post(
        _new_session_url(patient), _session_data(points="GB20, ST36, LR3")
    )
    assert response.status_code == 302
    assert TreatmentSession.objects.filter(patient=patient).exists()
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("acknowledged", [{}, {"safety_acknowledged": "on"}])
def test_electroacupuncture_for_a_patient_with_a_pacemaker_is_refused_even_when_acknowledged(
    practitioner_client, acknowledged
):
    patient = _patient_with(pacemaker="yes")
    response = practitioner_client.post(_new_session_url(patient), _electro(**acknowledged))
    assert response.status_code == 200
    assert any(
        "Electroacupuncture is not allowed" in error for error in _errors(response.content.decode())
    )
    assert not TreatmentSession.objects.exists()
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
def test_manual_needling_for_a_patient_with_a_pacemaker_is_saved(practitioner_client):
    patient = _patient_with(pacemaker="yes")
    response = practitioner_client.post(_new_session_url(patient), _session_data())
    assert response.status_code == 302
    assert TreatmentSession.objects.filter(patient=patient).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "rule"),
    [("epilepsy", Rule.EPILEPSY_ELECTRO), ("metal_implant", Rule.METAL_IMPLANT_ELECTRO)],
)
def test_electroacupuncture_with_epilepsy_or_a_metal_implant_needs_the_tick(
    practitioner_client, acupuncturist, answer, rule
):
    patient = _patient_with(**{answer: "yes"})
    unticked = practitioner_client.post(_new_session_url(patient), _electro())
    assert unticked.status_code == 200
    assert "Tick to confirm" in _acknowledgement_block(unticked.content.decode())
    assert not TreatmentSession.objects.exists()

    ticked = practitioner_client.post(_new_session_url(patient), _electro(safety_acknowledged="on"))
    assert ticked.status_code == 302
    session = TreatmentSession.objects.get(patient=patient)
    assert session.uses_electroacupuncture
    acknowledgement = SafetyAcknowledgement.objects.get(session=session)
    assert (acknowledgement.rule, acknowledgement.acknowledged_by) == (rule, acupuncturist)


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["epilepsy", "metal_implant"])
def test_epilepsy_or_a_metal_implant_without_electroacupuncture_needs_no_tick(
    practitioner_client, answer
):
    patient = _patient_with(**{answer: "yes"})
    response = practitioner_client.post(_new_session_url(patient), _session_data())
    assert response.status_code == 302
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
def test_electroacupuncture_needs_its_frequency_and_intensity(practitioner_client):
    patient = _patient_with()
    response = practitioner_client.post(_new_session_url(patient), _session_data(modalities=[EA]))
    assert response.status_code == 200
    errors = _errors(response.content.decode())
    assert "Enter the electroacupuncture frequency." in errors
    assert "Choose the electroacupuncture intensity." in errors
    assert not TreatmentSession.objects.exists()

    response = practitioner_client.post(_new_session_url(patient), _electro())
    assert response.status_code == 302
    session = TreatmentSession.objects.get(patient=patient)
    assert (session.ea_frequency_hz, session.ea_intensity) == (2, "mild")


def _bleeding_cautions(html: str) -> list[str]:
    return re.findall(r'data-safety-rule="bleeding_risk"[^>]*>(.*?)</div>', html, re.S)


BLEEDING_RISKS = [
    {"bleeding_disorder": "yes"},
    {"anticoagulants": "yes"},
    {"anticoagulants": "not_sure"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("answers", BLEEDING_RISKS)
def test_a_bleeding_risk_shows_a_caution_on_the_session_form(practitioner_client, answers):
    patient = _patient_with(**answers)
    response = practitioner_client.get(_new_session_url(patient))
    assert response.status_code == 200
    cautions = _bleeding_cautions(response.content.decode())
    assert len(cautions) == 1
    assert "superficial needling" in cautions[0]


@pytest.mark.django_db
@pytest.mark.parametrize("answers", BLEEDING_RISKS)
def test_a_bleeding_risk_shows_a_caution_on_the_chart(practitioner_client, acupuncturist, answers):
    patient = _patient_with(**answers)
    TreatmentSessionFactory(patient=patient, created_by=acupuncturist, points="GB20")
    response = practitioner_client.get(f"/patients/{patient.code}/")
    assert response.status_code == 200
    cautions = _bleeding_cautions(response.content.decode())
    assert len(cautions) == 1
    assert "superficial needling" in cautions[0]


@pytest.mark.django_db
def test_a_bleeding_risk_shows_a_caution_on_the_chart_before_the_first_session(
    practitioner_client,
):
    patient = _patient_with(anticoagulants="yes")
    response = practitioner_client.get(f"/patients/{patient.code}/")
    assert response.status_code == 200
    assert len(_bleeding_cautions(response.content.decode())) == 1


@pytest.mark.django_db
def test_no_bleeding_caution_for_a_patient_without_that_risk(practitioner_client, acupuncturist):
    patient = _patient_with()
    TreatmentSessionFactory(patient=patient, created_by=acupuncturist, points="GB20")
    form = practitioner_client.get(_new_session_url(patient))
    chart = practitioner_client.get(f"/patients/{patient.code}/")
    assert form.status_code == chart.status_code == 200
    assert 'id="sessions"' in chart.content.decode()
    assert _bleeding_cautions(form.content.decode()) == []
    assert _bleeding_cautions(chart.content.decode()) == []
    assert "superficial needling" not in chart.content.decode()


@pytest.mark.django_db
def test_a_bleeding_risk_does_not_stop_a_session_being_saved(practitioner_client):
    patient = _patient_with(anticoagulants="yes")
    response = practitioner_client.post(_new_session_url(patient), _electro())
    assert response.status_code == 302
    assert TreatmentSession.objects.filter(patient=patient).exists()
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
def test_editing_a_draft_needs_no_new_tick_for_a_warning_already_acknowledged(
    practitioner_client,
):
    patient = _patient_with(pregnant="yes", pregnancy_weeks=14)
    practitioner_client.post(
        _new_session_url(patient), _session_data(points="LI4, ST36", safety_acknowledged="on")
    )
    session = TreatmentSession.objects.get(patient=patient)
    edit = f"/sessions/{session.code}/edit/"

    assert 'id="safety-acknowledgement"' not in practitioner_client.get(edit).content.decode()
    saved = practitioner_client.post(edit, _session_data(points="LI4, ST36", pain_before="4"))
    assert saved.status_code == 302
    session.refresh_from_db()
    assert session.pain_before == 4
    assert SafetyAcknowledgement.objects.filter(session=session).count() == 1

    # A new caution point is a new warning: it needs the tick again.
    refused = practitioner_client.post(edit, _session_data(points="LI4, SP6, ST36"))
    assert refused.status_code == 200
    assert "Tick to confirm" in _acknowledgement_block(refused.content.decode())
    assert [p.code for p in TreatmentSession.objects.get(pk=session.pk).point_list()] == [
        "LI4",
        "ST36",
    ]


def _intake_submitted_while_the_form_is_checked(monkeypatch, **answers):
    """A new intake arrives after the page read the patient's screening and before the
    session is saved: the form checks the old answers, the save the new ones."""
    real = sessions_views.session_context

    def context_then_new_intake(patient, **kwargs):
        context = real(patient, **kwargs)
        IntakeFactory(patient=patient, submitted=True, **answers)
        return context

    monkeypatch.setattr(sessions_views, "session_context", context_then_new_intake)


@pytest.mark.django_db
def test_a_pacemaker_recorded_while_the_form_was_checked_still_refuses_electroacupuncture(
    practitioner_client, monkeypatch
):
    patient = _patient_with()
    _intake_submitted_while_the_form_is_checked(monkeypatch, pacemaker="yes")

    response = practitioner_client.post(_new_session_url(patient), _electro())

    assert response.status_code == 200
    assert any(
        "Electroacupuncture is not allowed" in error for error in _errors(response.content.decode())
    )
    assert not TreatmentSession.objects.exists()


@pytest.mark.django_db
def test_a_pregnancy_recorded_while_the_form_was_checked_asks_for_the_tick(
    practitioner_client, monkeypatch
):
    patient = _patient_with()
    _intake_submitted_while_the_form_is_checked(monkeypatch, pregnant="yes")

    response = practitioner_client.post(_new_session_url(patient), _session_data(points="LI4"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tick to confirm" in _acknowledgement_block(html)
    assert 'data-safety-rule="pregnancy_points"' in html
    assert not TreatmentSession.objects.exists()


# --- Fainting, diabetes and broken skin on the session form and the chart ------------------


def _findings_of(html: str, rule: str) -> list[tuple[str, str]]:
    """(level, text) of each finding of this rule shown on the page."""
    return [
        (level, re.sub(r"<[^>]+>", "", text).strip())
        for level, text in re.findall(
            rf'data-safety-rule="{rule}"(?: data-safety-level="(\w+)")?[^>]*>(.*?)</div>',
            html,
            re.S,
        )
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "rule", "words"),
    [
        ({"fainting": "yes"}, "fainting", "treat lying down"),
        ({"fainting": "not_sure"}, "fainting", "Does the patient faint easily or fear needles?"),
        ({"diabetes": "yes"}, "diabetes", "check the skin of the feet and legs"),
        ({"diabetes": "not_sure"}, "diabetes", "Does the patient have diabetes?"),
    ],
)
def test_fainting_and_diabetes_show_a_caution_on_the_session_form_and_the_chart(
    practitioner_client, acupuncturist, answers, rule, words
):
    patient = _patient_with(**answers)
    TreatmentSessionFactory(patient=patient, created_by=acupuncturist, points="GB20")

    form = practitioner_client.get(_new_session_url(patient)).content.decode()
    chart = practitioner_client.get(f"/patients/{patient.code}/").content.decode()

    shown = _findings_of(form, rule)
    assert len(shown) == 1
    assert shown[0][0] == "caution"
    assert words in shown[0][1]
    on_chart = _findings_of(chart, rule)
    assert len(on_chart) == 1
    assert words in on_chart[0][1]
    assert 'id="safety-acknowledgement"' not in form


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["fainting", "diabetes"])
def test_a_fainting_or_diabetes_caution_does_not_stop_a_session_being_saved(
    practitioner_client, answer
):
    patient = _patient_with(**{answer: "yes"})
    response = practitioner_client.post(_new_session_url(patient), _session_data())
    assert response.status_code == 302
    assert TreatmentSession.objects.filter(patient=patient).exists()
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["yes", "not_sure"])
def test_broken_skin_blocks_saving_until_the_warning_is_acknowledged_and_stores_it(
    practitioner_client, acupuncturist, value
):
    patient = _patient_with(skin_problem=value)
    url = _new_session_url(patient)

    response = practitioner_client.post(url, _session_data(points="Taiyang, GB20 L"))

    assert response.status_code == 200
    html = response.content.decode()
    warning = _findings_of(html, "skin_problem")
    assert len(warning) == 1
    assert warning[0][0] == "acknowledge"
    assert "Never needle through broken or infected skin" in warning[0][1]
    assert "invalid-feedback" in _acknowledgement_block(html)
    assert not TreatmentSession.objects.exists()

    response = practitioner_client.post(
        url, _session_data(points="Taiyang, GB20 L", safety_acknowledged="on")
    )

    assert response.status_code == 302
    session = TreatmentSession.objects.get(patient=patient)
    assert session.points_text() == "Taiyang, GB20 L"
    acknowledgement = SafetyAcknowledgement.objects.get(session=session)
    assert acknowledgement.rule == Rule.SKIN_PROBLEM
    assert acknowledgement.acknowledged_by == acupuncturist
    assert "Never needle through broken or infected skin" in acknowledgement.warning


@pytest.mark.django_db
def test_broken_skin_with_no_point_chosen_needs_no_acknowledgement(practitioner_client):
    patient = _patient_with(skin_problem="yes")
    response = practitioner_client.post(
        _new_session_url(patient), _session_data(points="", modalities=["cupping"])
    )
    assert response.status_code == 302
    assert not SafetyAcknowledgement.objects.exists()


@pytest.mark.django_db
def test_a_pregnant_patient_with_lumbar_jiaji_is_warned_by_name_and_level(practitioner_client):
    patient = _patient_with(pregnant="yes")
    response = practitioner_client.post(
        _new_session_url(patient), _session_data(points="Jiaji T4, Jiaji L3-L5, Yaoyan, GB20")
    )
    assert response.status_code == 200
    warning = _findings_of(response.content.decode(), "pregnancy_points")
    assert len(warning) == 1
    assert "Jiaji L3-L5, Yaoyan are traditionally avoided in pregnancy" in warning[0][1]
    assert "T4" not in warning[0][1]
    assert not TreatmentSession.objects.exists()
