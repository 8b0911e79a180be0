"""A patient's record as FHIR R4 (4.0.1) resources: plain JSON dicts.

One code path for both exports: the $everything Bundle of one patient (interop.views)
and the clinic's NDJSON files (interop.bulk). The builder reads only what
interop.selectors loaded (no query of its own) and notes every practitioner it
refers to, so the caller adds their Practitioner resources.

What travels where (README, "FHIR export"; docs/product-rules.md#fhir-export):
- pain scores are Observations coded LOINC 72514-3, with a second coding of the
  clinic's measure system that says which score it is (before or after needling,
  now, worst in the last 7 days); a session's scores refer to its Encounter, an
  intake's or check-in's to its QuestionnaireResponse (derivedFrom);
- a signed session is an Encounter and a Procedure (SNOMED CT 44868003); points are
  bodySites coded in the clinic's WHO point system, the side an extension on each;
  modalities, needle counts, retention, position and electroacupuncture settings are
  extensions of the Procedure; the note's sections and its addenda are the
  Procedure's notes (R4's Encounter has no note element);
- an adverse event names the session's Procedure as the suspect, with WHO-UMC
  causality mapped to the AdverseEvent causality assessment codes.
"""

import datetime
from collections.abc import Callable

from intake.body_map import SIDE_WORDS, has_sides
from intake.models import Intake, Patient
from intake.vocabulary import BodyRegion, PainType
from interop import codes
from interop.questionnaires import (
    canonical,
    checkin_answer_items,
    checkin_questionnaire,
    instant,
    intake_answer_items,
    intake_questionnaire,
)
from plans.cadence import INTERVAL_DAYS, Rung
from sessions.vocabulary import AdverseEventType, ElectroIntensity, Modality, Position, Severity

# The clinic's sessions are counted in whole needles and minutes.
MINUTES = {"system": codes.UCUM, "code": "min", "unit": "min"}
SCORE = {"system": codes.UCUM, "code": "{score}", "unit": "score"}

CARE_PLAN_STATUS = {"active": "active", "completed": "completed", "discontinued": "revoked"}
GOAL_STATUS = {"active": "active", "completed": "completed", "discontinued": "cancelled"}
ACTIVITY_STATUS = {"active": "in-progress", "completed": "completed", "discontinued": "stopped"}
APPOINTMENT_STATUS = {
    "booked": "booked",
    "arrived": "arrived",
    "attended": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
}
SIDES = {"left": "Left", "right": "Right", "bilateral": "Both sides", "midline": "Midline"}


def urn_reference(kind: str, id_: str) -> str:
    """Inside a Bundle: entries are named by their fullUrl, urn:uuid:<id>."""
    return f"urn:uuid:{id_}"


def relative_reference(kind: str, id_: str) -> str:
    """In NDJSON files: Type/id, resolved against the files of the same export."""
    return f"{kind}/{id_}"


def practitioner_id(user_id: int) -> str:
    return codes.stable_id("practitioner", user_id)


def _coding(system: str, code: str, display: str) -> dict:
    return {"system": system, "code": code, "display": display}


def _concept(*codings: dict, text: str | None = None) -> dict:
    concept = {"coding": list(codings)}
    if text:
        concept["text"] = text
    return concept


def _day(day: datetime.date) -> str:
    return day.isoformat()


def _measure(code: str) -> dict:
    return _coding(codes.MEASURES, code, codes.MEASURE_NAMES[code])


class RecordBuilder:
    """The resources of one patient, loaded by interop.selectors.load_records."""

    def __init__(self, patient: Patient, *, reference: Callable[[str, str], str]):
        self.patient = patient
        self._reference = reference
        self.practitioner_ids: set[int] = set()
        self.patient_id = str(patient.code)

    # --- references ---------------------------------------------------------------

    def ref(self, kind: str, id_) -> dict:
        return {"reference": self._reference(kind, str(id_))}

    def subject(self) -> dict:
        return self.ref("Patient", self.patient_id)

    def practitioner(self, user_id: int | None) -> dict | None:
        if user_id is None:
            return None
        self.practitioner_ids.add(user_id)
        return self.ref("Practitioner", practitioner_id(user_id))

    # --- the whole record ---------------------------------------------------------

    def resources(self) -> list[dict]:
        """Every resource of the patient's record, the Patient first. Practitioners
        are not among them: see practitioner_ids."""
        patient = self.patient
        out = [self.patient_resource()]
        conditions: list[dict] = []
        for intake in patient.fhir_intakes:
            out += self.intake_resources(intake)
            conditions = [r for r in out if r["resourceType"] == "Condition"]
        session_codes = {}
        for session in patient.fhir_sessions:
            session_codes[session.pk] = str(session.code)
            out += self.session_resources(session)
        for check_in in patient.fhir_check_ins:
            out += self.check_in_resources(check_in)
        for plan in patient.fhir_plans:
            out += self.plan_resources(plan, session_codes=session_codes, conditions=conditions)
        for appointment in patient.fhir_appointments:
            out.append(self.appointment(appointment))
        return out

    # --- Patient --------------------------------------------------------------------

    def patient_resource(self) -> dict:
        p = self.patient
        names = [{"use": "official", "family": p.last_name, "given": [p.first_name]}]
        if p.preferred_name and p.preferred_name != p.first_name:
            names.append({"use": "usual", "family": p.last_name, "given": [p.preferred_name]})
        telecom = [{"system": "phone", "value": p.phone, "use": "mobile"}]
        if p.email:
            telecom.append({"system": "email", "value": p.email})
        resource = {
            "resourceType": "Patient",
            "id": self.patient_id,
            "identifier": [{"system": codes.CHART_CODE, "value": str(p.code)}],
            "active": not p.is_archived,
            "name": names,
            "telecom": telecom,
            "gender": p.sex,
            "birthDate": _day(p.date_of_birth),
        }
        if p.address:
            resource["address"] = [{"text": p.address}]
        if p.emergency_contact_name or p.emergency_contact_phone:
            contact = {
                "relationship": [
                    _concept(codes.EMERGENCY_CONTACT, text=p.emergency_contact_relationship or None)
                ]
            }
            if p.emergency_contact_name:
                contact["name"] = {"text": p.emergency_contact_name}
            if p.emergency_contact_phone:
                contact["telecom"] = [{"system": "phone", "value": p.emergency_contact_phone}]
            resource["contact"] = [contact]
        return resource

    # --- Intake -------------------------------------------------------------------------

    def intake_resources(self, intake: Intake) -> list[dict]:
        qr_id = str(intake.code)
        questionnaire = intake_questionnaire()
        authored = instant(intake.submitted_at)
        response = {
            "resourceType": "QuestionnaireResponse",
            "id": qr_id,
            "questionnaire": canonical(questionnaire),
            "status": "completed",
            "subject": self.subject(),
            "authored": authored,
            "author": self.subject(),
            "source": self.subject(),
            "item": intake_answer_items(intake),
        }
        out = [response]
        source = {"derived_from": qr_id, "effective": authored, "performer": self.subject()}
        for code, value in (("pain-now", intake.pain_now), ("pain-worst-7d", intake.pain_worst)):
            if value is not None:
                out.append(self.pain(("intake", qr_id, code), code, value, **source))
        out += self.common_measures(
            ("intake", qr_id),
            headache_days=intake.headache_days,
            doses=intake.pain_medication_doses,
            psfs=intake.psfs_items,
            **source,
        )
        conditions = [self.condition(intake, pain_type) for pain_type in intake.pain_types]
        out += conditions
        condition_refs = [self.ref("Condition", c["id"]) for c in conditions]
        for medication in intake.medications.all():
            out.append(self.medication_statement(intake, medication, condition_refs))
        if intake.consented_at:
            out.append(self.consent(intake))
        return out

    def condition(self, intake: Intake, pain_type: str) -> dict:
        label = dict(PainType.choices).get(pain_type, pain_type)
        resource = {
            "resourceType": "Condition",
            "id": codes.stable_id("condition", intake.code, pain_type),
            "clinicalStatus": _concept(codes.CONDITION_ACTIVE),
            "category": [_concept(codes.PROBLEM_LIST_ITEM)],
            "code": _concept(_coding(codes.code_system("pain-type"), pain_type, label), text=label),
            "subject": self.subject(),
            "recordedDate": instant(intake.submitted_at),
            "asserter": self.subject(),
            "evidence": [{"detail": [self.ref("QuestionnaireResponse", intake.code)]}],
        }
        regions = list(intake.regions.all())
        if regions:
            region_labels = dict(BodyRegion.choices)
            resource["bodySite"] = [
                _concept(
                    _coding(codes.code_system("body-region"), r.region, region_labels[r.region]),
                    # The side the patient marked, in words: "Legs, left side".
                    text=f"{region_labels[r.region]}, {SIDE_WORDS[r.side]}"
                    if has_sides(r.region)
                    else None,
                )
                for r in regions
            ]
        if intake.months_with_pain is not None:
            onset = f"About {intake.months_with_pain} months before the intake"
            if intake.onset:
                onset += f", {intake.get_onset_display().lower()}"
            resource["onsetString"] = onset
        return resource

    def medication_statement(self, intake: Intake, medication, condition_refs) -> dict:
        resource = {
            "resourceType": "MedicationStatement",
            "id": codes.stable_id("medication", intake.code, medication.pk),
            "status": "active",
            "medicationCodeableConcept": {"text": medication.name},
            "subject": self.subject(),
            "dateAsserted": instant(intake.submitted_at),
            "informationSource": self.subject(),
            "derivedFrom": [self.ref("QuestionnaireResponse", intake.code)],
        }
        dosage = ", ".join(part for part in (medication.dose, medication.frequency) if part)
        if dosage:
            resource["dosage"] = [{"text": dosage}]
        if medication.for_pain:
            if condition_refs:
                resource["reasonReference"] = condition_refs
            else:
                resource["reasonCode"] = [{"text": "Pain"}]
        return resource

    def consent(self, intake: Intake) -> dict:
        return {
            "resourceType": "Consent",
            "id": codes.stable_id("consent", intake.code),
            "status": "active",
            "scope": _concept(codes.TREATMENT_CONSENT_SCOPE),
            "category": [
                _concept(
                    _coding(
                        codes.code_system("consent-category"),
                        "acupuncture-treatment",
                        "Consent to acupuncture treatment",
                    )
                )
            ],
            "patient": self.subject(),
            "dateTime": instant(intake.consented_at),
            "performer": [self.subject()],
            "policyRule": {
                "text": "Consent to treatment and acknowledgement of the privacy notice, "
                f"signed with the typed name “{intake.signature_name}” in the online intake"
            },
            "sourceReference": self.ref("QuestionnaireResponse", intake.code),
            "provision": {"type": "permit", "period": {"start": instant(intake.consented_at)}},
        }

    # --- Observations ---------------------------------------------------------------

    def observation(
        self,
        key: tuple,
        coding: list[dict],
        value: dict,
        *,
        effective: str,
        performer: dict | None,
        encounter: str | None = None,
        derived_from: str | None = None,
        text: str | None = None,
    ) -> dict:
        resource = {
            "resourceType": "Observation",
            "id": codes.stable_id("observation", *key),
            "status": "final",
            "category": [_concept(codes.SURVEY)],
            "code": _concept(*coding, text=text),
            "subject": self.subject(),
            "effectiveDateTime": effective,
            **value,
        }
        if encounter:
            resource["encounter"] = self.ref("Encounter", encounter)
        if performer:
            resource["performer"] = [performer]
        if derived_from:
            resource["derivedFrom"] = [self.ref("QuestionnaireResponse", derived_from)]
        return resource

    def pain(self, key, code: str, value: int, **source) -> dict:
        return self.observation(
            key, [codes.PAIN_SCORE, _measure(code)], {"valueInteger": value}, **source
        )

    def common_measures(
        self, key, *, headache_days, doses, psfs=(), pgic=None, pgic_label="", **source
    ) -> list[dict]:
        out = []
        if headache_days is not None:
            out.append(
                self.observation(
                    (*key, "headache-days-30d"),
                    [_measure("headache-days-30d")],
                    {
                        "valueQuantity": {
                            "value": headache_days,
                            "unit": "days",
                            "system": codes.UCUM,
                            "code": "d",
                        }
                    },
                    **source,
                )
            )
        if doses is not None:
            out.append(
                self.observation(
                    (*key, "pain-medication-doses-7d"),
                    [_measure("pain-medication-doses-7d")],
                    {"valueInteger": doses},
                    **source,
                )
            )
        activities = []
        for n, (activity, score) in enumerate(psfs, start=1):
            activities.append(
                self.observation(
                    (*key, "psfs-activity", n),
                    [_measure("psfs-activity")],
                    {"valueInteger": score},
                    text=f"PSFS activity: {activity}",
                    **source,
                )
            )
        out += activities
        if activities:
            mean = round(sum(score for _a, score in psfs) / len(psfs), 1)
            mean_resource = self.observation(
                (*key, "psfs-mean"),
                [_measure("psfs-mean")],
                # R4's Observation has no decimal value: a unitless quantity.
                {"valueQuantity": {"value": mean, **SCORE}},
                **source,
            )
            mean_resource["hasMember"] = [self.ref("Observation", a["id"]) for a in activities]
            out.append(mean_resource)
        if pgic is not None:
            out.append(
                self.observation(
                    (*key, "pgic"),
                    [_measure("pgic")],
                    {
                        "valueCodeableConcept": _concept(
                            _coding(codes.code_system("pgic"), str(pgic), pgic_label)
                        )
                    },
                    **source,
                )
            )
        return out

    # --- Check-ins -----------------------------------------------------------------

    def check_in_resources(self, check_in) -> list[dict]:
        qr_id = str(check_in.code)
        authored = instant(check_in.submitted_at)
        out = [
            {
                "resourceType": "QuestionnaireResponse",
                "id": qr_id,
                "questionnaire": canonical(checkin_questionnaire()),
                "status": "completed",
                "subject": self.subject(),
                "authored": authored,
                "author": self.subject(),
                "source": self.subject(),
                "item": checkin_answer_items(check_in),
            }
        ]
        source = {"derived_from": qr_id, "effective": authored, "performer": self.subject()}
        for code, value in (
            ("pain-now", check_in.pain_now),
            ("pain-worst-7d", check_in.pain_worst),
        ):
            if value is not None:
                out.append(self.pain(("check-in", qr_id, code), code, value, **source))
        psfs = [(a, s) for a, s in check_in.psfs_pairs() if s is not None]
        out += self.common_measures(
            ("check-in", qr_id),
            headache_days=check_in.headache_days,
            doses=check_in.pain_medication_doses,
            psfs=psfs,
            pgic=check_in.pgic,
            pgic_label=check_in.get_pgic_display() if check_in.pgic else "",
            **source,
        )
        return out

    # --- Sessions --------------------------------------------------------------------

    def session_resources(self, session) -> list[dict]:
        encounter_id = str(session.code)
        procedure_id = codes.stable_id("procedure", session.code)
        author = self.practitioner(session.created_by_id)
        signer = self.practitioner(session.signed_by_id) or author
        encounter = {
            "resourceType": "Encounter",
            "id": encounter_id,
            "status": "finished",
            "class": dict(codes.AMBULATORY),
            "type": [_concept(codes.ACUPUNCTURE, text="Acupuncture session")],
            "subject": self.subject(),
            "participant": [{"type": [_concept(codes.PRIMARY_PERFORMER)], "individual": signer}],
            "period": {"start": _day(session.date), "end": _day(session.date)},
        }
        if session.appointment_id and session.appointment is not None:
            encounter["appointment"] = [self.ref("Appointment", session.appointment.code)]
        source = {"effective": _day(session.date), "performer": signer, "encounter": encounter_id}
        out = [encounter, self.procedure(session, procedure_id, encounter_id, author, signer)]
        out.append(
            self.pain(
                ("session", encounter_id, "pain-before-needling"),
                "pain-before-needling",
                session.pain_before,
                **source,
            )
        )
        if session.pain_after is not None:
            out.append(
                self.pain(
                    ("session", encounter_id, "pain-after-needling"),
                    "pain-after-needling",
                    session.pain_after,
                    **source,
                )
            )
        out += self.common_measures(
            ("session", encounter_id),
            headache_days=session.headache_days,
            doses=session.pain_medication_doses,
            **source,
        )
        for event in session.adverse_events.all():
            out.append(self.adverse_event(session, event, procedure_id, encounter_id, signer))
        return out

    def procedure(self, session, procedure_id, encounter_id, author, signer) -> dict:
        extensions = []
        labels = dict(Modality.choices)
        for modality in session.modalities or ():
            extensions.append(
                {
                    "url": codes.extension("modality"),
                    "valueCodeableConcept": _concept(
                        _coding(
                            codes.code_system("modality"),
                            modality,
                            labels.get(modality, modality),
                        )
                    ),
                }
            )
        for name, value in (
            ("needles-inserted", session.needles_inserted),
            ("needles-removed", session.needles_removed),
        ):
            if value is not None:
                extensions.append({"url": codes.extension(name), "valueInteger": value})
        if session.retention_minutes is not None:
            extensions.append(
                {
                    "url": codes.extension("retention"),
                    "valueDuration": {"value": session.retention_minutes, **MINUTES},
                }
            )
        if session.position:
            extensions.append(
                {
                    "url": codes.extension("position"),
                    "valueCoding": _coding(
                        codes.code_system("position"),
                        session.position,
                        dict(Position.choices).get(session.position, session.position),
                    ),
                }
            )
        if session.ea_frequency_hz is not None:
            extensions.append(
                {
                    "url": codes.extension("electroacupuncture-frequency"),
                    "valueQuantity": {
                        "value": session.ea_frequency_hz,
                        "unit": "Hz",
                        "system": codes.UCUM,
                        "code": "Hz",
                    },
                }
            )
        if session.ea_intensity:
            extensions.append(
                {
                    "url": codes.extension("electroacupuncture-intensity"),
                    "valueCoding": _coding(
                        codes.code_system("electroacupuncture-intensity"),
                        session.ea_intensity,
                        dict(ElectroIntensity.choices)[session.ea_intensity],
                    ),
                }
            )
        resource = {
            "resourceType": "Procedure",
            "id": procedure_id,
        }
        if extensions:
            resource["extension"] = extensions
        resource |= {
            "status": "completed",
            "code": _concept(codes.ACUPUNCTURE),
            "subject": self.subject(),
            "encounter": self.ref("Encounter", encounter_id),
            "performedDateTime": _day(session.date),
            "recorder": author,
            "performer": [{"actor": signer}],
        }
        sites = [self.point_site(row) for row in session.needled_points.all()]
        if sites:
            resource["bodySite"] = sites
        notes = self.session_notes(session, signer)
        if notes:
            resource["note"] = notes
        return resource

    def point_site(self, row) -> dict:
        point = row.point
        return {
            "extension": [
                {
                    "url": codes.extension("point-side"),
                    "valueCoding": _coding(
                        codes.code_system("point-side"), row.side, SIDES[row.side]
                    ),
                }
            ],
            "coding": [
                _coding(
                    codes.code_system("who-acupuncture-point"),
                    point.code,
                    f"{point.code} {point.pinyin}",
                )
            ],
            "text": str(row),
        }

    def session_notes(self, session, signer) -> list[dict]:
        signed = instant(session.signed_at) if session.signed_at else _day(session.date)
        notes = []
        for label, text in (
            ("Subjective", session.subjective),
            ("Objective", session.objective),
            ("Range of motion", session.range_of_motion),
            ("Assessment", session.assessment),
            ("Plan", session.plan_notes),
            ("Needle counts", session.needle_count_explanation),
        ):
            if text.strip():
                notes.append(
                    {"authorReference": signer, "time": signed, "text": f"{label}: {text}"}
                )
        for addendum in session.addenda.all():
            notes.append(
                {
                    "authorReference": self.practitioner(addendum.created_by_id),
                    "time": instant(addendum.created_at),
                    "text": f"Addendum: {addendum.text}",
                }
            )
        return notes

    def adverse_event(self, session, event, procedure_id, encounter_id, signer) -> dict:
        kind = dict(AdverseEventType.choices).get(event.kind, event.kind)
        resource = {
            "resourceType": "AdverseEvent",
            "id": codes.stable_id("adverse-event", event.pk, session.code),
        }
        extensions = [
            {"url": codes.extension(f"adverse-event-{name}"), "valueString": value}
            for name, value in (("action-taken", event.action_taken), ("notes", event.notes))
            if value.strip()
        ]
        if extensions:
            resource["extension"] = extensions
        causality_code, causality_display = codes.CAUSALITY[event.causality]
        resource |= {
            "actuality": "actual",
            "event": _concept(
                _coding(codes.code_system("adverse-event-type"), event.kind, kind), text=kind
            ),
            "subject": self.subject(),
            "encounter": self.ref("Encounter", encounter_id),
            "date": _day(session.date),
            "recordedDate": instant(event.created_at),
            "recorder": signer,
            "severity": _concept(
                _coding(
                    codes.SEVERITY_SYSTEM, event.severity, dict(Severity.choices)[event.severity]
                )
            ),
            "suspectEntity": [
                {
                    "instance": self.ref("Procedure", procedure_id),
                    "causality": [
                        {
                            "assessment": _concept(
                                _coding(codes.CAUSALITY_SYSTEM, causality_code, causality_display)
                            ),
                            "method": {"text": "WHO-UMC causality assessment"},
                            "author": signer,
                        }
                    ],
                }
            ],
        }
        return resource

    # --- Plans -----------------------------------------------------------------------

    def plan_resources(self, plan, *, session_codes: dict, conditions: list[dict]) -> list[dict]:
        holder = self.practitioner(plan.practitioner_id)
        goals = []
        if plan.target_pain is not None:
            goal = self.goal(plan, "target-pain", f"Pain at most {plan.target_pain}/10", holder)
            goal["target"] = [
                {
                    "measure": _concept(codes.PAIN_SCORE),
                    "detailRange": {"high": {"value": plan.target_pain}},
                }
            ]
            goals.append(goal)
        if plan.functional_goals.strip():
            goals.append(self.goal(plan, "functional", plan.functional_goals, holder))
        rung = Rung(plan.cadence)
        status = "on-hold" if plan.is_active and plan.on_hold else ACTIVITY_STATUS[plan.status]
        activity = {
            "detail": {
                "code": _concept(codes.ACUPUNCTURE),
                "status": status,
                "scheduledTiming": {
                    "repeat": {"frequency": 1, "period": INTERVAL_DAYS[rung], "periodUnit": "d"}
                },
                "performer": [holder],
                "description": f"Acupuncture {rung.words} ({rung.label.lower()} cadence)",
            }
        }
        counted = [
            self.ref("Encounter", session_codes[link.session_id])
            for link in plan.plan_sessions.all()
            if link.session_id in session_codes
        ]
        if counted:
            activity["outcomeReference"] = counted
        period = {"start": _day(plan.start_date)}
        if plan.ended_on:
            period["end"] = _day(plan.ended_on)
        care_plan = {
            "resourceType": "CarePlan",
            "id": str(plan.code),
            "status": CARE_PLAN_STATUS[plan.status],
            "intent": "plan",
            "category": [_concept(codes.OUTPATIENT_CARE_PLAN)],
            "title": "Acupuncture treatment plan",
            "subject": self.subject(),
            "period": period,
            "created": instant(plan.created_at),
            "author": holder,
            "activity": [activity],
        }
        if plan.pain_pattern.strip():
            care_plan["description"] = plan.pain_pattern
        if conditions:
            care_plan["addresses"] = [self.ref("Condition", c["id"]) for c in conditions]
        if goals:
            care_plan["goal"] = [self.ref("Goal", g["id"]) for g in goals]
        notes = self.plan_notes(plan)
        if notes:
            care_plan["note"] = notes
        return [care_plan, *goals]

    def goal(self, plan, key: str, text: str, holder: dict) -> dict:
        return {
            "resourceType": "Goal",
            "id": codes.stable_id("goal", plan.code, key),
            "lifecycleStatus": GOAL_STATUS[plan.status],
            "description": {"text": text},
            "subject": self.subject(),
            "startDate": _day(plan.start_date),
            "expressedBy": holder,
        }

    def plan_notes(self, plan) -> list[dict]:
        texts = []
        for contact in plan.referrals.all():
            details = ", ".join(
                part for part in (contact.organisation, contact.phone, contact.email) if part
            )
            texts.append(
                f"Referral: {contact.name} ({contact.get_profession_display().lower()})"
                + (f", {details}" if details else "")
            )
        if plan.referral_notes.strip():
            texts.append(f"Referral notes: {plan.referral_notes}")
        advice = plan.advice_labels()
        if advice:
            texts.append("Home care advice: " + "; ".join(advice))
        if plan.advice_notes.strip():
            texts.append(f"Advice notes: {plan.advice_notes}")
        protocols = [protocol.name for protocol in plan.protocols.all()]
        if protocols:
            texts.append("Protocols: " + ", ".join(protocols))
        if plan.review_date:
            texts.append(f"Review date: {_day(plan.review_date)}")
        if plan.end_reason.strip():
            texts.append(f"Ended: {plan.end_reason}")
        return [{"text": text} for text in texts]

    # --- Appointments ---------------------------------------------------------------

    def appointment(self, appointment) -> dict:
        resource = {
            "resourceType": "Appointment",
            "id": str(appointment.code),
            "status": APPOINTMENT_STATUS[appointment.status],
            "start": instant(appointment.starts_at),
            "end": instant(appointment.ends_at),
            "minutesDuration": appointment.length_minutes,
            "created": instant(appointment.created_at),
            "participant": [
                {"actor": self.subject(), "status": "accepted"},
                {"actor": self.practitioner(appointment.practitioner_id), "status": "accepted"},
            ],
        }
        if appointment.status_reason and appointment.status in ("cancelled", "no_show"):
            resource["cancelationReason"] = {"text": appointment.status_reason}
        return resource


def practitioner_resource(user) -> dict:
    """A member of staff who touched a record; an acupuncturist's licence is their
    qualification."""
    name = {"text": str(user)}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    resource = {
        "resourceType": "Practitioner",
        "id": practitioner_id(user.pk),
        "active": user.is_active,
        "name": [name],
    }
    profile = getattr(user, "practitioner_profile", None)
    if profile is not None:
        resource["qualification"] = [
            {
                "identifier": [
                    {
                        "system": codes.LICENCE,
                        "value": profile.licence_number,
                        "assigner": {"display": profile.licensing_body},
                    }
                ],
                "code": _concept(
                    _coding(
                        codes.code_system("qualification"),
                        "licensed-acupuncturist",
                        "Licensed acupuncturist",
                    ),
                    text="Licensed acupuncturist",
                ),
                "period": {"end": _day(profile.licence_expiry)},
                "issuer": {"display": profile.licensing_body},
            }
        ]
    return resource


def questionnaires() -> list[dict]:
    return [intake_questionnaire(), checkin_questionnaire()]
