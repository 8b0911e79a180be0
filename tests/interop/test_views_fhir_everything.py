"""GET /fhir/Patient/<code>/$everything: the patient's record as a FHIR R4 Bundle,
checked with fhir.resources' R4B models (tests/interop/fhir_checks.py)."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from interop import codes
from tests.factories import TEN_POINTS, PatientFactory, TreatmentSessionFactory
from tests.interop.fhir_checks import codings, unresolved, validate, validate_bundle

pytestmark = pytest.mark.django_db


def url(patient) -> str:
    return f"/fhir/Patient/{patient.code}/$everything"


def get_bundle(client, patient) -> dict:
    response = client.get(url(patient))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture
def ac_client(client, acupuncturist):
    client.force_login(acupuncturist)
    return client


def test_a_full_record_validates_as_r4_resource_by_resource_and_as_a_bundle(
    ac_client, full_patient
):
    bundle = get_bundle(ac_client, full_patient)

    validate_bundle(bundle)
    for entry in bundle["entry"]:
        validate(entry["resource"])
    assert bundle["type"] == "searchset"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "Encounter",
        "Procedure",
        "MedicationStatement",
        "AdverseEvent",
        "Condition",
        "CarePlan",
        "Goal",
        "Consent",
        "Appointment",
    }


def test_every_reference_resolves_inside_the_bundle_to_a_type_its_field_allows(
    ac_client, full_patient
):
    bundle = get_bundle(ac_client, full_patient)
    addresses = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}

    assert all(address.startswith("urn:uuid:") for address in addresses)
    assert len(addresses) == len(bundle["entry"])  # no two entries share an address
    assert unresolved(addresses, [e["resource"] for e in bundle["entry"]]) == []


def test_the_standard_codes_are_there(ac_client, full_patient):
    bundle = get_bundle(ac_client, full_patient)
    found = codings(bundle)

    assert (codes.LOINC, "72514-3") in found
    assert (codes.SNOMED, "44868003") in found
    assert (codes.SNOMED, "386637004") not in found
    assert (codes.SNOMED, "736271009") in found
    (procedure, _) = sorted(by_type(bundle, "Procedure"), key=lambda p: p["performedDateTime"])
    assert procedure["code"]["coding"] == [codes.ACUPUNCTURE]


def test_the_patient_is_named_by_the_chart_code_with_their_details(ac_client, full_patient):
    (patient,) = by_type(get_bundle(ac_client, full_patient), "Patient")

    assert patient["id"] == str(full_patient.code)
    assert patient["identifier"] == [{"system": codes.CHART_CODE, "value": str(full_patient.code)}]
    assert patient["name"][0] == {"use": "official", "family": "Lindqvist", "given": ["Mei"]}
    assert patient["name"][1]["given"] == ["May"]
    assert patient["gender"] == full_patient.sex
    assert patient["birthDate"] == full_patient.date_of_birth.isoformat()
    assert {"system": "phone", "value": full_patient.phone, "use": "mobile"} in patient["telecom"]


def test_each_signed_session_is_a_finished_encounter_and_an_acupuncture_procedure(
    ac_client, full_patient
):
    bundle = get_bundle(ac_client, full_patient)
    encounters = by_type(bundle, "Encounter")

    assert {e["id"] for e in encounters} == {str(code) for code in full_patient.signed_codes}
    assert {e["status"] for e in encounters} == {"finished"}
    assert {e["class"]["code"] for e in encounters} == {"AMB"}
    first = min(by_type(bundle, "Procedure"), key=lambda p: p["performedDateTime"])
    sites = [
        (s["coding"][0]["code"], s["extension"][0]["valueCoding"]["code"])
        for s in first["bodySite"]
    ]
    assert sites == [("GB20", "left"), ("BL23", "bilateral"), ("GV20", "midline"), ("LI4", "right")]
    assert {s["coding"][0]["system"] for s in first["bodySite"]} == {
        codes.code_system("who-acupuncture-point")
    }
    extensions = {x["url"].rsplit("/", 1)[1]: x for x in first["extension"]}
    assert extensions["needles-inserted"]["valueInteger"] == 10
    assert extensions["needles-removed"]["valueInteger"] == 10
    assert extensions["retention"]["valueDuration"]["value"] == 20
    modalities = [
        x["valueCodeableConcept"]["coding"][0]["code"]
        for x in first["extension"]
        if x["url"].endswith("/modality")
    ]
    assert modalities == ["manual_needling", "electroacupuncture"]


def test_drafts_and_discarded_notes_stay_out_and_addenda_go_with_their_session(
    ac_client, full_patient
):
    response = ac_client.get(url(full_patient))
    text = response.content.decode()

    assert str(full_patient.draft_code) not in text
    assert str(full_patient.discarded_code) not in text
    assert "DRAFT-NOT-FOR-EXPORT" not in text
    bundle = json.loads(text)
    first = min(by_type(bundle, "Procedure"), key=lambda p: p["performedDateTime"])
    notes = [note["text"] for note in first["note"]]
    assert "Addendum: Patient rang: bruise gone next day." in notes
    assert "Subjective: Neck stiff after work." in notes


def test_pain_scores_say_which_session_and_whether_before_or_after_needling(
    ac_client, full_patient
):
    bundle = get_bundle(ac_client, full_patient)
    pain = [o for o in by_type(bundle, "Observation") if codes.PAIN_SCORE in o["code"]["coding"]]
    seen = {
        (o["code"]["coding"][1]["code"], o["valueInteger"], "encounter" in o, "derivedFrom" in o)
        for o in pain
    }

    assert seen == {
        ("pain-before-needling", 7, True, False),
        ("pain-after-needling", 4, True, False),
        ("pain-before-needling", 5, True, False),
        ("pain-after-needling", 3, True, False),
        ("pain-now", 7, False, True),  # intake
        ("pain-worst-7d", 8, False, True),
        ("pain-now", 4, False, True),  # check-in
        ("pain-worst-7d", 6, False, True),
    }


def test_psfs_pgic_headache_days_and_doses_are_observations(ac_client, full_patient):
    bundle = get_bundle(ac_client, full_patient)
    measures = [
        (o["code"]["coding"][0]["code"], o.get("code", {}).get("text"))
        for o in by_type(bundle, "Observation")
        if o["code"]["coding"][0]["system"] == codes.MEASURES
    ]
    names = [code for code, _text in measures]

    assert names.count("psfs-mean") == 2  # intake and check-in
    assert ("psfs-activity", "PSFS activity: Sleeping through the night") in measures
    assert names.count("pgic") == 1
    assert names.count("headache-days-30d") == 3  # intake, first session, check-in
    assert names.count("pain-medication-doses-7d") == 3
    intake = f"urn:uuid:{full_patient.intakes.get().code}"
    (mean,) = [
        o
        for o in by_type(bundle, "Observation")
        if o["code"]["coding"][0]["code"] == "psfs-mean"
        and o.get("derivedFrom") == [{"reference": intake}]
    ]
    assert mean["valueQuantity"]["value"] == 3.5  # (4 + 3) / 2


def test_the_intake_answers_its_questionnaire_in_the_patients_own_words(ac_client, full_patient):
    bundle = get_bundle(ac_client, full_patient)
    questionnaires = {q["url"]: q for q in by_type(bundle, "Questionnaire")}
    intake_q = questionnaires[codes.INTAKE_QUESTIONNAIRE]

    def link_ids(items):
        for item in items:
            yield item["linkId"]
            yield from link_ids(item.get("item", []))

    defined = list(link_ids(intake_q["item"]))
    assert len(defined) == len(set(defined))
    response = next(
        r
        for r in by_type(bundle, "QuestionnaireResponse")
        if r["questionnaire"].startswith(codes.INTAKE_QUESTIONNAIRE)
    )
    assert response["questionnaire"] == f"{intake_q['url']}|{intake_q['version']}"
    answered = list(link_ids(response["item"]))
    assert set(answered) <= set(defined)
    flat = json.dumps(response)
    assert "Worse after long drives =SUM(A1)" in flat
    assert "Turning my head to drive" in flat
    pain_types = next(
        item for step in response["item"] for item in step["item"] if item["linkId"] == "pain_types"
    )
    assert [a["valueCoding"]["code"] for a in pain_types["answer"]] == ["neck_pain", "migraine"]
    options = next(
        item for step in intake_q["item"] for item in step["item"] if item["linkId"] == "pain_types"
    )["answerOption"]
    assert {
        "system": codes.code_system("pain-type"),
        "code": "sciatica",
        "display": "Sciatica / pain running down a leg",
    } in [o["valueCoding"] for o in options]


def test_the_side_marked_on_the_body_map_travels_with_the_region(ac_client, full_patient):
    bundle = get_bundle(ac_client, full_patient)
    response = next(
        r
        for r in by_type(bundle, "QuestionnaireResponse")
        if r["questionnaire"].startswith(codes.INTAKE_QUESTIONNAIRE)
    )
    answers = {item["linkId"]: item for step in response["item"] for item in step["item"]}
    side = json.dumps(answers["pain_location_side_legs"]["answer"])
    assert "left" in side and "right" not in side
    assert "pain_location_side_neck" not in answers  # the neck has no sides
    sites = [site.get("text") for c in by_type(bundle, "Condition") for site in c["bodySite"]]
    assert "Legs, left side" in sites


def test_the_check_in_keeps_the_activity_the_patient_named(ac_client, full_patient):
    bundle = get_bundle(ac_client, full_patient)
    response = next(
        r
        for r in by_type(bundle, "QuestionnaireResponse")
        if r["questionnaire"].startswith(codes.CHECK_IN_QUESTIONNAIRE)
    )
    items = {item["linkId"]: item for item in response["item"]}

    assert items["psfs_score_2"]["text"] == "Sleeping through the night"
    assert items["psfs_score_2"]["answer"] == [{"valueInteger": 5}]
    assert items["pgic"]["answer"][0]["valueCoding"]["code"] == "2"


def test_plan_adverse_event_medications_consent_and_appointment(ac_client, full_patient):
    bundle = get_bundle(ac_client, full_patient)

    (plan,) = by_type(bundle, "CarePlan")
    assert plan["status"] == "active"
    timing = plan["activity"][0]["detail"]["scheduledTiming"]["repeat"]
    assert timing == {"frequency": 1, "period": 7, "periodUnit": "d"}
    assert len(plan["activity"][0]["outcomeReference"]) == 2
    assert any("Dr. Amal Haddad" in note["text"] for note in plan["note"])
    goals = by_type(bundle, "Goal")
    assert {g["description"]["text"] for g in goals} == {
        "Pain at most 2/10",
        "Drive for an hour without pain",
    }
    (event,) = by_type(bundle, "AdverseEvent")
    assert event["severity"]["coding"][0]["code"] == "mild"
    causality = event["suspectEntity"][0]["causality"][0]["assessment"]["coding"][0]
    assert (causality["system"], causality["code"]) == (codes.CAUSALITY_SYSTEM, "Probably-Likely")
    medications = {
        m["medicationCodeableConcept"]["text"]: m for m in by_type(bundle, "MedicationStatement")
    }
    assert set(medications) == {"Ibuprofen", "Levothyroxine"}
    assert len(medications["Ibuprofen"]["reasonReference"]) == 2  # neck pain, migraine
    assert {c["code"]["coding"][0]["code"] for c in by_type(bundle, "Condition")} == {
        "neck_pain",
        "migraine",
    }
    (consent,) = by_type(bundle, "Consent")
    assert consent["scope"]["coding"][0]["code"] == "treatment"
    (appointment,) = by_type(bundle, "Appointment")
    assert appointment["status"] == "booked"


def test_the_practitioner_carries_the_licence_as_a_qualification(
    ac_client, full_patient, acupuncturist
):
    (practitioner,) = by_type(get_bundle(ac_client, full_patient), "Practitioner")
    profile = acupuncturist.practitioner_profile

    qualification = practitioner["qualification"][0]
    assert qualification["identifier"][0]["value"] == profile.licence_number
    assert qualification["issuer"]["display"] == profile.licensing_body
    assert qualification["period"]["end"] == profile.licence_expiry.isoformat()


def test_a_patient_with_only_demographics_is_a_valid_bundle_of_the_patient(ac_client, front_desk):
    patient = PatientFactory(created_by=front_desk, email="")
    bundle = get_bundle(ac_client, patient)

    validate_bundle(bundle)
    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == ["Patient", "Questionnaire", "Questionnaire"]
    validate(bundle["entry"][0]["resource"])


def test_the_export_is_in_the_audit_trail(ac_client, full_patient, acupuncturist):
    get_bundle(ac_client, full_patient)

    entry = AuditEntry.objects.get(event=AuditEntry.Event.EXPORT)
    assert (entry.actor, entry.patient_id) == (acupuncturist, full_patient.pk)
    assert str(full_patient.code) in entry.path  # a UUID, never a name


def test_the_front_desk_is_refused_and_nothing_is_exported(desk_client, full_patient):
    response = desk_client.get(url(full_patient))

    assert response.status_code == 403
    assert not AuditEntry.objects.filter(event=AuditEntry.Event.EXPORT).exists()


def test_an_unknown_code_is_a_404(ac_client):
    assert (
        ac_client.get("/fhir/Patient/6f1c1f0e-3b7a-4c53-9d0e-000000000000/$everything").status_code
        == 404
    )


def test_the_bundle_runs_the_same_queries_for_2_or_20_sessions(
    ac_client, acupuncturist, front_desk
):
    patient = PatientFactory(created_by=front_desk)

    def add_sessions(count, start):
        for n in range(start, start + count):
            session = TreatmentSessionFactory(
                patient=patient,
                created_by=acupuncturist,
                signed=True,
                points=TEN_POINTS,
                date=timezone.localdate() - datetime.timedelta(days=n),
            )
            session.adverse_events.create(kind="bruising", severity="mild", causality="possible")
            session.addenda.create(text="Later note", created_by=acupuncturist)

    def run():
        with CaptureQueriesContext(connection) as captured:
            bundle = get_bundle(ac_client, patient)
        return len(by_type(bundle, "Encounter")), len(captured)

    add_sessions(2, 0)
    ac_client.get(url(patient))  # session and permission caches warmed alike
    few_shown, few = run()
    add_sessions(18, 2)
    many_shown, many = run()

    assert (few_shown, many_shown) == (2, 20)
    assert many == few
