"""The identifier systems, code systems and extension URLs of the FHIR export.

The clinic's own URIs live under one base; standard terminologies are used only for
the codes listed in docs/clinical-rules.md#7-interoperability-codes and the FHIR
specification's own code systems (statuses, severity, causality).
"""

import uuid

BASE = "https://acuclinic.org/fhir"

# Identifiers.
CHART_CODE = f"{BASE}/sid/chart-code"
LICENCE = f"{BASE}/sid/practitioner-licence"

# Questionnaires (canonical URLs).
INTAKE_QUESTIONNAIRE = f"{BASE}/Questionnaire/intake"
CHECK_IN_QUESTIONNAIRE = f"{BASE}/Questionnaire/check-in"


def code_system(name: str) -> str:
    """The clinic's own code system of that name."""
    return f"{BASE}/CodeSystem/{name}"


def extension(name: str) -> str:
    """The clinic's own extension of that name."""
    return f"{BASE}/StructureDefinition/{name}"


# Standard terminologies.
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
PAIN_SCORE = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
ACUPUNCTURE = {"system": SNOMED, "code": "44868003", "display": "Acupuncture"}
OUTPATIENT_CARE_PLAN = {"system": SNOMED, "code": "736271009", "display": "Outpatient care plan"}

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem"
AMBULATORY = {"system": f"{TERMINOLOGY}/v3-ActCode", "code": "AMB", "display": "ambulatory"}
PRIMARY_PERFORMER = {
    "system": f"{TERMINOLOGY}/v3-ParticipationType",
    "code": "PPRF",
    "display": "primary performer",
}
SURVEY = {"system": f"{TERMINOLOGY}/observation-category", "code": "survey", "display": "Survey"}
EMERGENCY_CONTACT = {
    "system": f"{TERMINOLOGY}/v2-0131",
    "code": "C",
    "display": "Emergency Contact",
}
TREATMENT_CONSENT_SCOPE = {
    "system": f"{TERMINOLOGY}/consentscope",
    "code": "treatment",
    "display": "Treatment",
}
PROBLEM_LIST_ITEM = {
    "system": f"{TERMINOLOGY}/condition-category",
    "code": "problem-list-item",
    "display": "Problem List Item",
}
CONDITION_ACTIVE = {
    "system": f"{TERMINOLOGY}/condition-clinical",
    "code": "active",
    "display": "Active",
}
SEVERITY_SYSTEM = f"{TERMINOLOGY}/adverse-event-severity"
CAUSALITY_SYSTEM = f"{TERMINOLOGY}/adverse-event-causality-assess"
# WHO-UMC categories, as the AdverseEvent causality assessment codes them.
CAUSALITY = {
    "certain": ("Certain", "Certain"),
    "probable": ("Probably-Likely", "Probably/Likely"),
    "possible": ("Possible", "Possible"),
    "unlikely": ("Unlikely", "Unlikely"),
}
ADMINISTRATIVE_GENDER = "http://hl7.org/fhir/administrative-gender"

# The clinic's measures: what a score is of, beside LOINC's code where there is one.
MEASURES = code_system("measure")
MEASURE_NAMES = {
    "pain-before-needling": "Pain before needling (0-10)",
    "pain-after-needling": "Pain after needling (0-10)",
    "pain-now": "Pain now (0-10)",
    "pain-worst-7d": "Worst pain in the last 7 days (0-10)",
    "headache-days-30d": "Days with headache in the last 30 days",
    "pain-medication-doses-7d": "Doses of pain medication in the last 7 days",
    "psfs-activity": "Patient-Specific Functional Scale: one activity (0-10)",
    "psfs-mean": "Patient-Specific Functional Scale: mean score (0-10)",
    "pgic": "Patient Global Impression of Change (7 points)",
}

# Stable resource ids for rows without a UUID code of their own.
NAMESPACE = uuid.UUID("3d1b8a52-6f0e-4d4c-9a57-21c0f4b9e6a1")


def stable_id(*parts) -> str:
    """A UUID that is the same at every export of the same row."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))
