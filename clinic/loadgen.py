"""Synthetic years of a multi-practitioner clinic, for `manage.py seed_load`.

Rows are plain tuples, made patient by patient from one seeded random stream, in
chunks of patients: the command writes each chunk (COPY on PostgreSQL, bulk_create
on SQLite) and forgets it, so memory stays flat whatever the size.

What the services would have stored is computed here with the same pure functions:
each plan's cadence, policy cadence, next visit due, flags and its history of
events come from plans.cadence.replay over its signed sessions, as signing each
session in turn would have made them (plans.services._replay). Not made: practitioners'
decisions (overrides, holds), addenda, protocols, messages and intake links.

Every chart made here has a code whose first 32 bits are SEED_CODE_PREFIX, so the
command can tell its own patients from real ones.
"""

import datetime
import hashlib
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from audit.models import AuditEntry
from checkins.models import CheckIn
from intake import body_map
from intake.models import Intake, IntakeMedication, IntakePainRegion, Patient
from intake.search import patient_search_name
from plans import cadence
from plans.models import Plan, PlanEvent, PlanSession
from scheduling.models import Appointment
from sessions.models import AdverseEvent, SessionPoint, TreatmentSession

# "5eed10ad-…": the charts seed_load made.
SEED_CODE_PREFIX = 0x5EED10AD
SEEDED_CODES = (
    uuid.UUID(int=SEED_CODE_PREFIX << 96),
    uuid.UUID(int=(SEED_CODE_PREFIX << 96) | ((1 << 96) - 1)),
)

# The load's shape. Shares of patients: no plan yet, an active plan, plans that ended.
SHARE_NEW = 0.03
SHARE_ACTIVE = 0.11
SHARE_SECOND_PLAN = 0.10
SHARE_ARCHIVED = 0.08
# Of active plans: overdue (next visit due more than 3 days ago), and newly started.
SHARE_OVERDUE = 0.30
SHARE_NEW_PLAN = 0.10
# Witt 2009: 8.6% of patients with an adverse event of any kind, 6.1% with bleeding
# or a haematoma (docs/clinical-rules.md section 3).
SHARE_ADVERSE = 0.086
SHARE_BLEEDING = 0.061
# Appointments are kept for visits in the last year, and booked a month ahead.
APPOINTMENT_DAYS = 365
BOOKING_DAYS = 30
VISIT_MINUTES = 30
BOOKING_MINUTES = 45

# --- names ------------------------------------------------------------------------------

FEMALE = (
    "Mary Jennifer Linda Elizabeth Susan Jessica Sarah Karen Lisa Nancy Margaret Emily "
    "Michelle Laura Rebecca Anna Hannah Grace Olivia Sophia Chloé Zoë Anaïs Renée Inés "
    "María Lucía Mónica Sofía Noémie Siobhán Aoife Łucja Małgorzata Ingrid Åsa Søs "
    "Ngọc Thảo Linh Mai Yuki Keiko Aiko Priya Ananya Fatima Aisha Amara Chiamaka Ewa "
    "Jürgen-Anne Beatriz Camila Valentina Gabriela Élodie Héloïse Marie"
).split()
MALE = (
    "James John Robert Michael William David Richard Joseph Thomas Charles Daniel Matthew "
    "Anthony Mark Paul Steven Andrew Joshua Kevin Brian George Samuel Benjamin Lucas "
    "José Tomás Andrés Jesús Martín Sebastián François Jérôme Björn Søren Jürgen Øystein "
    "Łukasz Paweł Seán Ciarán Minh Đức Huy Hiroshi Kenji Raj Arjun Omar Ahmed Chukwuemeka "
    "Kwame Diego Mateo Nicolás Renaud Loïc"
).split()
NEUTRAL = "Alex Sam Jordan Taylor Robin Noor Sasha Kai River Quinn".split()

# (name, weight): a few very common names so charts share names, and a long tail.
LAST_NAMES = [
    ("Smith", 30),
    ("García", 24),
    ("Nguyễn", 22),
    ("Johnson", 18),
    ("Williams", 16),
    ("Brown", 15),
    ("Jones", 15),
    ("Rodríguez", 14),
    ("Martínez", 14),
    ("Lee", 14),
    ("Chen", 13),
    ("Müller", 10),
    ("Kim", 10),
    ("Patel", 10),
    ("Wang", 10),
    ("Hernández", 9),
    ("López", 9),
    ("Davis", 9),
    ("Miller", 9),
    ("Trần", 8),
    ("Lê", 7),
    ("Phạm", 6),
    ("Schmidt", 6),
    ("Schröder", 4),
    ("Wilson", 8),
    ("Anderson", 7),
    ("Taylor", 7),
    ("Thomas", 6),
    ("Moore", 6),
    ("Jackson", 6),
    ("Martin", 6),
    ("Thompson", 6),
    ("White", 6),
    ("Harris", 5),
    ("Clark", 5),
    ("Lewis", 5),
    ("Robinson", 5),
    ("Walker", 5),
    ("Young", 5),
    ("Allen", 5),
    ("King", 5),
    ("Wright", 5),
    ("Scott", 4),
    ("Green", 4),
    ("Baker", 4),
    ("Adams", 4),
    ("Nelson", 4),
    ("Hill", 4),
    ("Ramírez", 4),
    ("Flores", 4),
    ("Pérez", 4),
    ("Sánchez", 4),
    ("González", 5),
    ("Gómez", 3),
    ("Díaz", 3),
    ("Cruz", 3),
    ("O'Brien", 3),
    ("O'Connor", 2),
    ("Ó Súilleabháin", 1),
    ("Murphy", 3),
    ("Kelly", 3),
    ("Kowalski", 2),
    ("Nowak", 2),
    ("Wiśniewski", 2),
    ("Dąbrowski", 1),
    ("Søndergaard", 1),
    ("Øberg", 1),
    ("Åkesson", 1),
    ("Lindqvist", 2),
    ("Johansson", 2),
    ("Rossi", 3),
    ("Russo", 2),
    ("Ferrari", 2),
    ("Dubois", 2),
    ("Lefèvre", 2),
    ("Moreau", 2),
    ("Béranger", 1),
    ("Tanaka", 3),
    ("Suzuki", 3),
    ("Satō", 2),
    ("Watanabe", 2),
    ("Park", 4),
    ("Choi", 3),
    ("Zhang", 4),
    ("Liu", 4),
    ("Huang", 3),
    ("Singh", 4),
    ("Kumar", 3),
    ("Shah", 2),
    ("Okafor", 2),
    ("Adeyemi", 2),
    ("Mensah", 2),
    ("Haddad", 2),
    ("Khalil", 2),
    ("Cohen", 3),
    ("Levi", 2),
    ("Weiß", 1),
    ("Fischer", 2),
    ("Becker", 2),
    ("Hoffmann", 2),
    ("Ivanova", 1),
    ("Petrov", 1),
    ("Papadopoulos", 1),
    ("Yılmaz", 1),
    ("Öztürk", 1),
]
NICKNAMES = {
    "Margaret": "Maggie",
    "Elizabeth": "Liz",
    "Robert": "Bob",
    "William": "Bill",
    "Michael": "Mike",
    "Jennifer": "Jen",
    "Rebecca": "Becky",
    "Anthony": "Tony",
    "Benjamin": "Ben",
    "Samuel": "Sam",
    "Małgorzata": "Gosia",
    "Chukwuemeka": "Emeka",
}
STREETS = "Oak Pine Maple Cedar Elm Mission Valencia Dolores Castro Market Geary Irving".split()
CITIES = [
    ("San Francisco", "941"),
    ("Oakland", "946"),
    ("Berkeley", "947"),
    ("Daly City", "940"),
    ("San Mateo", "944"),
]
AREA_CODES = ("415", "628", "510", "650", "925", "408", "707")
RELATIONSHIPS = ("Partner", "Wife", "Husband", "Daughter", "Son", "Sister", "Brother", "Friend")

# --- the clinical picture ---------------------------------------------------------------

# The side of a sided region the patient marks, by the row's id.
_SIDES = ("both", "left", "both", "right")

# pain type -> (share, pain types stored, body regions, point pool, core points, position)
CONDITIONS = {
    "neck": (
        0.34,
        [["neck_pain"], ["neck_pain", "upper_back_pain"], ["neck_pain", "tension_type_headache"]],
        ["neck", "shoulders", "upper_back"],
        "GB20 GB21 SI3 LI4 BL10 TE5 SI14 SI15 BL11 GV14 LI11 GB39 BL60 SI6 TE15",
        "GB20 GB21 SI3 LI4 BL10",
        ("prone", "seated", "side_lying"),
    ),
    "back": (
        0.44,
        [["lower_back_pain"], ["lower_back_pain", "sciatica"], ["upper_back_pain"]],
        ["lower_back", "hips", "legs", "mid_back"],
        "BL23 BL25 BL40 GV4 BL60 GB30 KI3 BL52 BL57 GB34 GV3 BL24 BL26 SP6 ST36",
        "BL23 BL25 BL40 GV4 BL60",
        ("prone", "side_lying"),
    ),
    "headache": (
        0.22,
        [["migraine"], ["tension_type_headache"], ["migraine", "neck_pain"]],
        ["head", "neck"],
        "GB20 GV20 LI4 LR3 TE5 GB41 GB8 ST8 BL2 GB14 PC6 SP6 ST36 GB34 TE17",
        "GB20 GV20 LI4 LR3 TE5",
        ("supine", "seated"),
    ),
}
PSFS = {
    "neck": ["Turning my head to reverse the car", "Working at the computer", "Sleeping"],
    "back": ["Lifting my child", "Walking for 30 minutes", "Gardening", "Sitting through a film"],
    "headache": ["Working a full day", "Reading", "Exercising", "Looking at screens"],
}
GOALS = {
    "neck": "Drive and work at my desk without neck pain.",
    "back": "Walk and garden again; sleep through the night.",
    "headache": "Fewer headache days; stop missing work.",
}
CAUSES = {
    "neck": ("repetitive_strain", "sleeping_posture", "stress", "accident", "unknown"),
    "back": ("lifting_injury", "muscle_strain", "disc", "arthritis", "sports_injury", "unknown"),
    "headache": ("stress", "unknown"),
}
TRIGGERS = {
    "neck": ("prolonged_sitting", "screen_time", "stress", "poor_sleep"),
    "back": ("lifting_or_bending", "prolonged_sitting", "weather"),
    "headache": ("stress", "bright_light", "noise", "poor_sleep", "menstrual_cycle", "weather"),
}
MEDICATIONS = {
    "neck": [("Ibuprofen", "400 mg", "as needed", True), ("Paracetamol", "1 g", "as needed", True)],
    "back": [
        ("Naproxen", "250 mg", "twice a day", True),
        ("Ibuprofen", "400 mg", "as needed", True),
    ],
    "headache": [
        ("Sumatriptan", "50 mg", "at onset", True),
        ("Ibuprofen", "400 mg", "as needed", True),
    ],
}
OTHER_MEDICATIONS = [
    ("Amlodipine", "5 mg", "daily"),
    ("Levothyroxine", "50 mcg", "daily"),
    ("Metformin", "500 mg", "twice a day"),
    ("Sertraline", "50 mg", "daily"),
]
SUBJECTIVE = {
    "neck": [
        "Neck stiff after long days at the desk.",
        "Slept better this week.",
        "Turning the head easier.",
    ],
    "back": [
        "Back sore after gardening.",
        "Walking further before pain starts.",
        "Stiff in the mornings.",
    ],
    "headache": [
        "Two headaches since last visit.",
        "Headaches milder this week.",
        "One migraine, shorter.",
    ],
}
ASSESSMENT = ["Improving.", "Steady.", "Slower progress this week.", "Good response to treatment."]
PLAN_NOTES = ["Continue as planned.", "Review at next visit.", "Add home stretches."]
OBJECTIVE = [
    "Muscles tight on palpation.",
    "Less guarding than last visit.",
    "Tender points reduced.",
]

ADVERSE_OTHER = [
    ("needling_pain", 40),
    ("dizziness", 25),
    ("nausea", 10),
    ("local_infection", 4),
    ("burn", 5),
    ("retained_needle", 2),
    ("nerve_injury", 2),
    ("other", 12),
]
ADVERSE_ACTIONS = {
    "bruising": "Pressure applied; patient told it may show for a few days.",
    "bleeding": "Pressure with cotton wool until it stopped.",
    "needling_pain": "Needle withdrawn and reinserted more superficially.",
    "dizziness": "Needles removed; patient rested supine and had water.",
    "nausea": "Treatment stopped; patient rested until it passed.",
    "local_infection": "Advised to see the GP; site to be checked next visit.",
    "burn": "Cooled with water; dressing applied.",
    "retained_needle": "Needle found and removed at the next visit; count procedure reviewed.",
    "nerve_injury": "Referred to the GP for assessment.",
    "other": "Observed; no further action needed.",
}

DISCHARGED = "Goals met: discharged."
STOPPED = (
    "Patient stopped coming.",
    "Moved out of the area.",
    "No clinically important improvement: referred to the GP.",
    "Cost: patient chose to stop.",
)
ARCHIVE_REASONS = ("No visit in over a year", "Moved out of the area", "Asked to close the chart")


@dataclass(frozen=True)
class Staff:
    """The users the load acts as: (id, username, email) each."""

    practitioners: list[tuple[int, str, str]]
    front_desk: list[tuple[int, str, str]]
    admin: tuple[int, str, str]


@dataclass
class Chunk:
    """The rows of one chunk of patients, by model, in the order they are written."""

    rows: dict = field(default_factory=lambda: {model: [] for model in COLUMNS})

    def add(self, model, row: tuple) -> None:
        self.rows[model].append(row)


# The columns each model's rows give, by attname. A field the model has and this
# does not list is written with its default (the command checks it has one).
COLUMNS = {
    Patient: (
        "id code first_name last_name preferred_name search_name date_of_birth sex email "
        "phone address emergency_contact_name emergency_contact_relationship "
        "emergency_contact_phone reminder_channel reminder_consent_at reminder_consent_by_id "
        "status archived_at archived_by_id archive_reason created_at created_by_id version "
        "updated_at updated_by_id"
    ).split(),
    Intake: (
        "id code patient_id status completed_steps first_name last_name preferred_name "
        "date_of_birth sex phone email address emergency_contact_name "
        "emergency_contact_relationship emergency_contact_phone reminder_channel pain_types "
        "pain_now pain_worst months_with_pain onset cause triggers headache_days "
        "pain_medication_doses pain_notes psfs_activity_1 psfs_score_1 psfs_activity_2 "
        "psfs_score_2 psfs_activity_3 psfs_score_3 pregnant pregnancy_weeks pacemaker "
        "bleeding_disorder anticoagulants epilepsy diabetes fainting skin_problem metal_implant "
        "health_notes previous_acupuncture previous_acupuncture_notes goals consent_to_treatment "
        "privacy_acknowledged signature_name consented_at consent_ip created_at updated_at "
        "submitted_at contact_changes reviewed_at reviewed_by_id registered_at registered_by_id "
        "discarded_at discarded_by_id discard_reason"
    ).split(),
    IntakePainRegion: "id intake_id region side score".split(),
    IntakeMedication: "id intake_id name dose frequency for_pain".split(),
    Plan: (
        "id code patient_id practitioner_id status start_date baseline_pain baseline_source "
        "months_with_pain target_pain functional_goals pain_pattern advice advice_notes "
        "referral_notes review_date check_in_every cadence policy_cadence on_hold next_due "
        "flags session_count ended_on ended_by_id end_reason created_at created_by_id version "
        "updated_at updated_by_id"
    ).split(),
    Appointment: (
        "id code patient_id practitioner_id starts_at length_minutes status status_reason "
        "arrived_at status_changed_at status_changed_by_id created_at created_by_id"
    ).split(),
    TreatmentSession: (
        "id code patient_id form_token appointment_id status date pain_before pain_after "
        "modalities ea_frequency_hz ea_intensity needles_inserted needles_removed "
        "needle_count_explanation retention_minutes position subjective objective "
        "range_of_motion assessment plan_notes pain_medication_doses headache_days "
        "created_by_id created_at updated_at signed_at signed_by_id discarded_at "
        "discarded_by_id discard_reason regions_treated"
    ).split(),
    SessionPoint: "id session_id point_id side level order".split(),
    AdverseEvent: "id session_id kind severity causality action_taken notes created_at".split(),
    PlanSession: "id plan_id session_id added_at".split(),
    PlanEvent: (
        "id plan_id kind from_value to_value rule numbers reason automatic session_id "
        "decision_id created_at created_by_id"
    ).split(),
    CheckIn: (
        "id code patient_id reason token_hash created_at created_by_id expires_at revoked_at "
        "submitted_at psfs_activity_1 psfs_activity_2 psfs_activity_3 asks_headache_days "
        "pain_now pain_worst psfs_score_1 psfs_score_2 psfs_score_3 pain_medication_doses "
        "headache_days pgic"
    ).split(),
    AuditEntry: (
        "id object_pk object_id object_repr action changes actor_id remote_addr timestamp "
        "actor_email content_type_id event patient_id username path"
    ).split(),
}
MODELS = tuple(COLUMNS)


def _phone(index: int, number: int) -> str:
    """A US number in E.164: a Bay Area code and seven digits from 2000000 to 9999999."""
    return f"+1{AREA_CODES[index % len(AREA_CODES)]}{number}"


def _clamp(value, low=0, high=10) -> int:
    return low if value < low else high if value > high else int(value)


class Generator:
    """Makes the clinic's rows. `ids` gives each model's first free id; `points` is
    {code: id} of the WHO point table; `content_types` is {model: id}."""

    def __init__(
        self,
        *,
        patients: int,
        seed: int,
        today: datetime.date,
        tz,
        hours: dict[int, list[tuple[datetime.time, datetime.time]]],
        years: int,
        staff: Staff,
        points: dict[str, int],
        ids: dict,
        content_types: dict,
    ):
        self.count = patients
        self.today = today
        self.tz = tz
        self.years = years
        self.staff = staff
        self.points = points
        self.next_id = dict(ids)
        self.ct = content_types
        # The same seed on the same database makes the same clinic; a load added to
        # an earlier one (--force) starts its stream where that one's ids end.
        self.rng = random.Random(f"{seed}:{ids[Patient]}")  # noqa: S311  # nosec B311
        self.now = datetime.datetime.combine(today, datetime.time(7, 0), tzinfo=tz)
        self.open_days = sorted(hours) or [0, 1, 2, 3, 4]
        self.visit_slots = {
            day: self._slots(periods, VISIT_MINUTES) for day, periods in hours.items()
        }
        self.booking_slots = {
            day: self._slots(periods, BOOKING_MINUTES) for day, periods in hours.items()
        }
        self.taken = {}  # (practitioner id, date) -> visits placed that day
        self.booked = {}  # (practitioner id, date) -> bookings placed that day
        self.last_names = [name for name, _ in LAST_NAMES]
        self.last_weights = [weight for _, weight in LAST_NAMES]
        self.condition_names = list(CONDITIONS)
        self.condition_weights = [spec[0] for spec in CONDITIONS.values()]
        # Points added to the core ones at a visit (never a core point twice).
        self.pools = {
            name: [
                code for code in spec[3].split() if code in points and code not in spec[4].split()
            ]
            for name, spec in CONDITIONS.items()
        }
        self.cores = {
            name: [code for code in spec[4].split() if code in points]
            for name, spec in CONDITIONS.items()
        }
        self.adverse_kinds = [kind for kind, _ in ADVERSE_OTHER]
        self.adverse_weights = [weight for _, weight in ADVERSE_OTHER]
        self.paths = {}

    @staticmethod
    def _slots(periods, minutes: int) -> list[datetime.time]:
        slots = []
        for starts, ends in periods:
            at = datetime.datetime.combine(datetime.date(2000, 1, 1), starts)
            end = datetime.datetime.combine(datetime.date(2000, 1, 1), ends)
            while at + datetime.timedelta(minutes=minutes) <= end:
                slots.append(at.time())
                at += datetime.timedelta(minutes=minutes)
        return slots

    # --- small helpers ----------------------------------------------------------------

    def _id(self, model) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def _code(self, prefix: int | None = None) -> uuid.UUID:
        bits = self.rng.getrandbits(128)
        if prefix is not None:
            bits = (prefix << 96) | (bits >> 32)
        return uuid.UUID(int=bits, version=4)

    def _open(self, day: datetime.date) -> datetime.date:
        """The day, or the next day the clinic opens."""
        for _ in range(7):
            if day.weekday() in self.visit_slots:
                return day
            day += datetime.timedelta(days=1)
        return day

    def _at(self, day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=self.tz)

    def _visit_time(self, practitioner: int, day: datetime.date) -> datetime.datetime:
        """The next free visit of the practitioner's day (a full day wraps round)."""
        key = (practitioner, day)
        number = self.taken.get(key, 0)
        self.taken[key] = number + 1
        slots = self.visit_slots.get(day.weekday()) or [datetime.time(9, 0)]
        return self._at(day, slots[number % len(slots)])

    def _booking_time(self, practitioner: int, day: datetime.date) -> datetime.datetime | None:
        """A free 45-minute booking on the practitioner's day from `day` on, never two at
        once (the booking rules refuse a clash); None past the month ahead."""
        last = self.today + datetime.timedelta(days=BOOKING_DAYS)
        while day <= last:
            day = self._open(day)
            slots = self.booking_slots.get(day.weekday(), [])
            key = (practitioner, day)
            number = self.booked.get(key, 0)
            while number < len(slots):
                starts = self._at(day, slots[number])
                number += 1
                if starts > self.now:
                    self.booked[key] = number
                    return starts
            self.booked[key] = number
            day += datetime.timedelta(days=1)
        return None

    def _audit(
        self,
        chunk: Chunk,
        *,
        model,
        obj_id: int,
        repr_: str,
        action: int,
        event: str,
        actor,
        at: datetime.datetime,
        patient_id: int | None,
        path: str,
        changes=None,
    ) -> None:
        actor_id, username, email = actor if actor else (None, "", None)
        chunk.add(
            AuditEntry,
            (
                self._id(AuditEntry),
                str(obj_id),
                obj_id,
                repr_,
                action,
                changes,
                actor_id,
                f"192.0.2.{1 + (actor_id or 0) % 250}",
                at,
                email,
                self.ct[model],
                event,
                patient_id,
                username,
                path,
            ),
        )

    # --- the load ---------------------------------------------------------------------

    def chunks(self, size: int) -> Iterator[Chunk]:
        made = 0
        while made < self.count:
            chunk = Chunk()
            for _ in range(min(size, self.count - made)):
                self._patient(chunk)
            made += min(size, self.count - made)
            yield chunk

    def logins(self) -> Chunk:
        """A login each working day of the last year, for every seeded staff member."""
        chunk = Chunk()
        staff = [*self.staff.practitioners, *self.staff.front_desk, self.staff.admin]
        for back in range(APPOINTMENT_DAYS, 0, -1):
            day = self.today - datetime.timedelta(days=back)
            if day.weekday() not in self.visit_slots:
                continue
            for user in staff:
                at = self._at(day, datetime.time(8, 30 + self.rng.randrange(25)))
                chunk.add(
                    AuditEntry,
                    (
                        self._id(AuditEntry),
                        "",
                        None,
                        "",
                        AuditEntry.Action.ACCESS,
                        None,
                        user[0],
                        f"192.0.2.{1 + user[0] % 250}",
                        at,
                        user[2],
                        None,
                        AuditEntry.Event.LOGIN,
                        None,
                        user[1],
                        "/accounts/login/",
                    ),
                )
        return chunk

    def _patient(self, chunk: Chunk) -> None:
        rng = self.rng
        pid = self._id(Patient)
        code = self._code(SEED_CODE_PREFIX)
        sex = rng.choices(("female", "male", "other", "unknown"), (60, 37, 2, 1))[0]
        names = FEMALE if sex == "female" else MALE if sex == "male" else NEUTRAL + FEMALE
        first = rng.choice(names)
        last = rng.choices(self.last_names, self.last_weights)[0]
        preferred = NICKNAMES.get(first, "") if rng.random() < 0.5 else ""
        dob = self.today - datetime.timedelta(days=rng.randint(18 * 365, 88 * 365))
        number = (pid * 2654435761) % 8_000_000 + 2_000_000
        phone = _phone(pid, number)
        ascii_name = patient_search_name(first, last).replace(" ", "")
        email = f"{ascii_name[:20]}.{pid}@example.{('com', 'org', 'net')[pid % 3]}"
        email = email if rng.random() < 0.85 else ""
        desk = rng.choice(self.staff.front_desk)
        practitioner = rng.choice(self.staff.practitioners)
        condition = rng.choices(self.condition_names, self.condition_weights)[0]

        kind = rng.random()
        plans = []
        if kind < SHARE_NEW:
            first_day = self.today - datetime.timedelta(days=rng.randint(1, 30))
        else:
            active = kind < SHARE_NEW + SHARE_ACTIVE
            plans = self._plan_shapes(active)
            first_day = plans[0]["dates"][0]
        registered = self._at(
            first_day - datetime.timedelta(days=rng.randint(12, 20)), datetime.time(10)
        )
        archived = (
            bool(plans)
            and not plans[-1]["active"]
            and rng.random() < SHARE_ARCHIVED / (1 - SHARE_NEW - SHARE_ACTIVE)
        )
        archived_at = None
        if archived:
            day = plans[-1]["dates"][-1] + datetime.timedelta(days=rng.randint(200, 900))
            archived = day < self.today
            archived_at = self._at(day, datetime.time(12)) if archived else None
        channel = rng.choices(("email", "sms", "none"), (45, 35, 20))[0] if email else "sms"
        address = ""
        if rng.random() < 0.6:
            city, zip3 = rng.choice(CITIES)
            street = f"{rng.randint(1, 3999)} {rng.choice(STREETS)} Street"
            address = f"{street}\n{city}, CA {zip3}{rng.randint(10, 99)}"
        contact = rng.random() < 0.4
        chunk.add(
            Patient,
            (
                pid,
                code,
                first,
                last,
                preferred,
                patient_search_name(first, last, preferred),
                dob,
                sex,
                email,
                phone,
                address,
                f"{rng.choice(FEMALE + MALE)} {last}" if contact else "",
                rng.choice(RELATIONSHIPS) if contact else "",
                _phone(pid + 3, (number + 7919) % 8_000_000 + 2_000_000) if contact else "",
                channel,
                registered,
                None,
                "archived" if archived else "active",
                archived_at,
                self.staff.admin[0] if archived else None,
                rng.choice(ARCHIVE_REASONS) if archived else "",
                registered,
                desk[0],
                1,
                archived_at or registered,
                self.staff.admin[0] if archived else desk[0],
            ),
        )
        self._audit(
            chunk,
            model=Patient,
            obj_id=pid,
            repr_=f"{first} {last}",
            action=AuditEntry.Action.CREATE,
            event=AuditEntry.Event.CREATE,
            actor=desk,
            at=registered,
            patient_id=pid,
            path="/patients/new/",
            changes={"first_name": ["None", first], "last_name": ["None", last]},
        )
        person = {
            "id": pid,
            "code": code,
            "first": first,
            "last": last,
            "preferred": preferred,
            "dob": dob,
            "sex": sex,
            "phone": phone,
            "email": email,
            "address": address,
            "channel": channel,
            "condition": condition,
            "practitioner": practitioner,
            "desk": desk,
            "archived_at": archived_at,
            "open_check_in": None,
        }
        if not plans:
            if rng.random() < 0.6:
                self._intake(chunk, person, None, registered + datetime.timedelta(days=2))
            return
        adverse = None
        if rng.random() < SHARE_ADVERSE:
            adverse = "bleeding" if rng.random() < SHARE_BLEEDING / SHARE_ADVERSE else "other"
        total = sum(len(p["dates"]) for p in plans)
        adverse_at = {rng.randrange(total) for _ in range(1 if rng.random() < 0.85 else 2)}
        offset = 0
        for shape in plans:
            self._plan(chunk, person, shape, adverse, {i - offset for i in adverse_at})
            offset += len(shape["dates"])

    # --- plans and their sessions -----------------------------------------------------

    def _scores(self, baseline: int, n: int) -> tuple[list[int], str]:
        rng = self.rng
        response = rng.random()
        if response < 0.65:
            floor, kind = rng.choice((0, 1, 1, 2, 2, 3)), "responder"
        elif response < 0.82:
            floor, kind = max(baseline - rng.randint(2, 3), 1), "partial"
        else:
            floor, kind = baseline, "none"
        tau = rng.uniform(2.5, 7.0)
        scores = []
        for k in range(n):
            level = floor + (baseline - floor) * math.exp(-k / tau)
            score = level + rng.gauss(0, 0.7)
            if k and rng.random() < 0.07:  # a flare
                score += rng.randint(2, 4)
            scores.append(_clamp(round(score)))
        return scores, kind

    def _plan_shapes(self, active: bool) -> list[dict]:
        """The patient's plans: pain scores, the replay, and dates that follow the
        cadence in force after each visit."""
        rng = self.rng
        count = 2 if rng.random() < SHARE_SECOND_PLAN else 1
        shapes = []
        for number in range(count):
            is_active = active and number == count - 1
            if is_active and rng.random() < SHARE_NEW_PLAN:
                n = rng.randint(1, 7)
            else:
                n = int(rng.triangular(8, 41, 8))
            low = rng.random() < 0.02
            baseline = (
                rng.randint(0, 1)
                if low
                else rng.choices(range(3, 11), (2, 6, 10, 14, 14, 10, 5, 2))[0]
            )
            scores, response = self._scores(max(baseline, 3) if low else baseline, n)
            if response == "none" and not is_active:
                n = min(n, rng.randint(8, 14))
                scores = scores[:n]
            # A returning patient fills a new intake; the first may have none.
            has_intake = number > 0 or rng.random() < 0.92
            # The baseline is the intake's pain now; without an intake, the first
            # session's pain before (plans.selectors.derive_baseline).
            if has_intake:
                intake_pain = baseline
            else:
                intake_pain = None
                baseline = scores[0]
            months = rng.choices(
                (rng.randint(1, 6), rng.randint(6, 24), rng.randint(24, 120)), (25, 45, 30)
            )[0]
            visits = [
                cadence.Visit(str(k), datetime.date(2000, 1, 1) + datetime.timedelta(days=k), s)
                for k, s in enumerate(scores)
            ]
            outcome = cadence.replay(baseline=baseline, visits=visits, months_with_pain=months)
            offsets = [0]
            for step in outcome.steps[:-1]:
                r = rng.random()
                late = (
                    rng.randint(-1, 2)
                    if r < 0.75
                    else rng.randint(3, 10)
                    if r < 0.93
                    else rng.randint(11, 35)
                )
                offsets.append(offsets[-1] + step.after.interval.days + late)
            shapes.append(
                {
                    "active": is_active,
                    "scores": scores,
                    "baseline": baseline,
                    "intake_pain": intake_pain,
                    "months": months,
                    "outcome": outcome,
                    "offsets": offsets,
                    "response": response,
                }
            )
        # Place the plans in time: an active plan's last visit so that its next visit is
        # due around today (some long overdue); ended plans in the years before.
        gaps = [rng.randint(90, 900) for _ in shapes]
        if active:
            interval = shapes[-1]["outcome"].cadence.interval.days
            if rng.random() < SHARE_OVERDUE:
                back = interval + 4 + min(int(rng.expovariate(1 / 30)), 200)
            else:
                back = rng.randint(1, interval)
            end = self.today - datetime.timedelta(days=back)
        else:
            span = sum(s["offsets"][-1] for s in shapes) + sum(gaps[1:]) + 14
            latest = (self.today - datetime.timedelta(days=span)).toordinal()
            earliest = (self.today - datetime.timedelta(days=365 * self.years)).toordinal()
            start = datetime.date.fromordinal(rng.randint(min(earliest, latest), latest))
            end = start + datetime.timedelta(days=span - 14)
        for index in range(len(shapes) - 1, -1, -1):
            shape = shapes[index]
            start = end - datetime.timedelta(days=shape["offsets"][-1])
            dates = [self._open(start + datetime.timedelta(days=d)) for d in shape["offsets"]]
            while dates[-1] >= self.today:
                dates = [self._open(d - datetime.timedelta(days=7)) for d in dates]
            shape["dates"] = dates
            end = dates[0] - datetime.timedelta(days=gaps[index])
        return shapes

    def _plan(self, chunk: Chunk, person: dict, shape: dict, adverse, adverse_at: set) -> None:
        rng = self.rng
        condition = person["condition"]
        practitioner = person["practitioner"]
        dates = shape["dates"]
        first_visit = self._visit_time(practitioner[0], dates[0])
        intake = None
        if shape["intake_pain"] is not None:
            submitted = first_visit - datetime.timedelta(
                days=rng.randint(1, 10), hours=rng.randint(1, 10)
            )
            intake = self._intake(
                chunk,
                person,
                shape,
                submitted,
                reviewed=first_visit - datetime.timedelta(minutes=30),
            )
        outcome = shape["outcome"]
        plan_id = self._id(Plan)
        created = first_visit - datetime.timedelta(minutes=15)
        is_active = shape["active"]
        scores = shape["scores"]
        baseline = shape["baseline"]
        last_day = dates[-1]
        ended_on = end_reason = None
        status = "active"
        if not is_active:
            ended_on = min(
                last_day + datetime.timedelta(days=rng.choice((0, 0, 7, 21, 42))),
                self.today - datetime.timedelta(days=1),
            )
            goals_met = (
                outcome.cadence in (cadence.Rung.MONTHLY, cadence.Rung.MAINTENANCE)
                or scores[-1] <= 2
            )
            if shape["response"] == "none" and rng.random() < 0.7:
                status, end_reason = "discontinued", STOPPED[2]
            elif goals_met and rng.random() < 0.85:
                status, end_reason = "completed", DISCHARGED
            else:
                status, end_reason = "discontinued", rng.choice(STOPPED)
        code = self._code()
        path = f"/patients/{person['code']}/plan/"
        check_in_every = rng.choices((4, 0, 6), (85, 5, 10))[0]
        types = intake["pain_types"] if intake else CONDITIONS[condition][1][0]
        chunk.add(
            Plan,
            (
                plan_id,
                code,
                person["id"],
                practitioner[0],
                status,
                dates[0],
                baseline,
                "intake" if intake else "first_session",
                shape["months"],
                max(baseline // 3, 1) if baseline else None,
                GOALS[condition],
                ", ".join(t.replace("_", " ").capitalize() for t in types),
                rng.sample(
                    ["exercise", "posture", "sleep", "stress", "heat", "headache_diary"],
                    rng.randint(1, 3),
                ),
                "",
                "",
                dates[0] + datetime.timedelta(weeks=6),
                check_in_every,
                str(outcome.cadence),
                str(outcome.policy_cadence),
                False,
                last_day + outcome.cadence.interval,
                [str(flag) for flag, _ in outcome.flags],
                outcome.session_count,
                ended_on,
                practitioner[0] if ended_on else None,
                end_reason or "",
                created,
                practitioner[0],
                1,
                self._at(ended_on, datetime.time(18)) if ended_on else created,
                practitioner[0],
            ),
        )
        self._audit(
            chunk,
            model=Plan,
            obj_id=plan_id,
            repr_=f"Plan for {person['first']} {person['last']} from {dates[0]:%Y-%m-%d}",
            action=0,
            event="create",
            actor=practitioner,
            at=created,
            patient_id=person["id"],
            path=path + "new/",
            changes={"status": ["None", "active"]},
        )
        event = self._event_row(chunk, plan_id, practitioner, created)
        event("created", to_value="weekly", numbers="0 signed session(s) counted in the plan")
        if intake:
            event(
                "baseline",
                to_value=f"{baseline}/10",
                numbers="baseline from the intake's pain now",
                automatic=True,
            )
        flags_before = set()
        if baseline is not None and baseline < cadence.AUTOMATIC_MIN_BASELINE and intake:
            flags_before = self._new_flags(
                event, baseline, [], cadence.Rung.WEEKLY, shape["months"], set(), None
            )
        self._sessions(
            chunk,
            person,
            shape,
            plan_id,
            event,
            flags_before,
            adverse,
            adverse_at,
            first_visit,
            intake,
            check_in_every,
        )
        if ended_on:
            at = self._at(ended_on, datetime.time(18))
            event(status, from_value="active", to_value=status, reason=end_reason, at=at)
            self._audit(
                chunk,
                model=Plan,
                obj_id=plan_id,
                repr_=f"Plan for {person['first']} {person['last']} from {dates[0]:%Y-%m-%d}",
                action=1,
                event="update",
                actor=practitioner,
                at=at,
                patient_id=person["id"],
                path=f"/plans/{code}/close/",
                changes={"status": ["active", status]},
            )
        if is_active:
            self._bookings(chunk, person, last_day + outcome.cadence.interval, outcome.cadence)

    def _event_row(self, chunk: Chunk, plan_id: int, practitioner, created):
        def event(
            kind,
            *,
            from_value="",
            to_value="",
            rule="",
            numbers="",
            reason="",
            automatic=False,
            session=None,
            at=None,
            by=None,
        ):
            chunk.add(
                PlanEvent,
                (
                    self._id(PlanEvent),
                    plan_id,
                    kind,
                    from_value,
                    to_value,
                    rule,
                    numbers,
                    reason,
                    automatic,
                    session,
                    None,
                    at or created,
                    (by or practitioner)[0],
                ),
            )

        return event

    @staticmethod
    def _new_flags(
        event, baseline, scores, rung, months, before: set, session, at=None, by=None
    ) -> set:
        # plans.services._record_new_flags: an event for each flag not raised before.
        raised = dict(cadence._flags(baseline, scores, rung, cadence.course_estimate(months)))
        for flag, message in raised.items():
            if flag not in before:
                event(
                    "flag",
                    to_value=str(flag),
                    numbers=message,
                    automatic=True,
                    session=session,
                    at=at,
                    by=by,
                )
        return set(raised)

    def _sessions(
        self,
        chunk,
        person,
        shape,
        plan_id,
        event,
        flags,
        adverse,
        adverse_at,
        first_visit,
        intake,
        check_in_every,
    ):
        rng = self.rng
        condition = person["condition"]
        practitioner = person["practitioner"]
        pool = self.pools[condition]
        core = self.cores[condition]
        positions = CONDITIONS[condition][5]
        no_electro = intake is not None and intake["no_electro"]
        baseline = shape["baseline"]
        months = shape["months"]
        steps = shape["outcome"].steps
        scores = shape["scores"]
        doses = intake["doses"] if intake else None
        headaches = condition == "headache"
        regions_treated = (
            intake["regions_treated"]
            if intake
            else body_map.stored([body_map.MarkedRegion(CONDITIONS[condition][2][0])])
        )
        appointments_from = self.today - datetime.timedelta(days=APPOINTMENT_DAYS)
        measurable = baseline is not None and baseline >= cadence.AUTOMATIC_MIN_BASELINE
        estimate = cadence.course_estimate(months)
        improved = False
        patient_id = person["id"]
        pcode = str(person["code"])
        for k, day in enumerate(shape["dates"]):
            covered = k and rng.random() < 0.08  # a colleague covers the visit
            author = rng.choice(self.staff.practitioners) if covered else practitioner
            starts = first_visit if k == 0 else self._visit_time(author[0], day)
            session_id = self._id(TreatmentSession)
            scode = self._code()
            pain = scores[k]
            after = max(pain - rng.choice((0, 1, 1, 2, 2, 3)), 0)
            modalities = ["manual_needling"]
            electro = not no_electro and rng.random() < 0.2
            if electro:
                modalities.append("electroacupuncture")
            moxa = rng.random() < 0.08
            for name, share in (
                ("cupping", 0.1),
                ("moxibustion", 0.08 if moxa else 0),
                ("heat_lamp", 0.15),
                ("gua_sha", 0.03),
            ):
                if rng.random() < share or (name == "moxibustion" and moxa):
                    modalities.append(name)
            chosen = list(core)
            for code in rng.sample(pool, rng.randint(1, 7)):
                if code not in chosen:
                    chosen.append(code)
            if rng.random() < 0.3:
                chosen.pop(rng.randrange(len(chosen)))
            chosen = chosen[:12]
            needles = 0
            for order, code in enumerate(chosen, start=1):
                if code[:2] in ("GV", "CV"):
                    side, needles = "midline", needles + 1
                elif rng.random() < 0.85:
                    side, needles = "bilateral", needles + 2
                else:
                    side, needles = rng.choice(("left", "right")), needles + 1
                chunk.add(
                    SessionPoint,
                    (self._id(SessionPoint), session_id, self.points[code], side, "", order),
                )
            removed = needles
            explanation = ""
            if rng.random() < 0.002:
                removed = needles - 1
                explanation = "One needle dropped on removal; found on the floor and disposed of."
            signed = starts + datetime.timedelta(minutes=50)
            created = starts + datetime.timedelta(minutes=5)
            appointment = None
            if day >= appointments_from:
                appointment = self._appointment(
                    chunk,
                    person,
                    author,
                    starts,
                    "attended",
                    arrived=starts - datetime.timedelta(minutes=5),
                    changed=signed,
                    by=author,
                )
                if rng.random() < 0.06:
                    earlier = self._open(day - datetime.timedelta(days=rng.randint(2, 6)))
                    if earlier < day and earlier >= appointments_from:
                        when = self._visit_time(author[0], earlier)
                        self._appointment(
                            chunk,
                            person,
                            author,
                            when,
                            "cancelled",
                            changed=when - datetime.timedelta(hours=rng.randint(3, 40)),
                            by=person["desk"],
                            reason="Patient called to cancel.",
                        )
                elif rng.random() < 0.03:
                    earlier = self._open(day - datetime.timedelta(days=rng.randint(2, 6)))
                    if earlier < day and earlier >= appointments_from:
                        when = self._visit_time(author[0], earlier)
                        self._appointment(
                            chunk,
                            person,
                            author,
                            when,
                            "no_show",
                            changed=when + datetime.timedelta(hours=1),
                            by=person["desk"],
                        )
            record_doses = doses is not None and k % 4 == 0
            chunk.add(
                TreatmentSession,
                (
                    session_id,
                    scode,
                    patient_id,
                    None,
                    appointment,
                    "signed",
                    day,
                    pain,
                    after,
                    modalities,
                    rng.choice((2, 4, 10, 100)) if electro else None,
                    rng.choice(("mild", "moderate", "moderate", "strong")) if electro else "",
                    needles,
                    removed,
                    explanation,
                    rng.choice((20, 25, 25, 30, 30, 30)),
                    rng.choice(positions),
                    f"Pain {pain}/10 on arrival. {rng.choice(SUBJECTIVE[condition])}",
                    rng.choice(OBJECTIVE),
                    "",
                    rng.choice(ASSESSMENT),
                    rng.choice(PLAN_NOTES),
                    round(doses * pain / max(baseline or 1, 1)) if record_doses else None,
                    _clamp(round(pain * 1.6), 0, 30) if headaches and record_doses else None,
                    author[0],
                    created,
                    signed,
                    signed,
                    author[0],
                    None,
                    None,
                    "",
                    regions_treated,
                ),
            )
            chunk.add(PlanSession, (self._id(PlanSession), plan_id, session_id, signed))
            if k in adverse_at and adverse:
                self._adverse(chunk, session_id, adverse, modalities, signed)
            # The audit trail of the visit: the chart opened, the note saved, signed,
            # and sometimes read again.
            self._audit(
                chunk,
                model=Patient,
                obj_id=patient_id,
                repr_=f"patient {pcode}",
                action=3,
                event="read",
                actor=author,
                at=starts,
                patient_id=patient_id,
                path=f"/patients/{pcode}/",
            )
            self._audit(
                chunk,
                model=TreatmentSession,
                obj_id=session_id,
                repr_=f"Session {day:%Y-%m-%d} (Draft)",
                action=0,
                event="create",
                actor=author,
                at=created,
                patient_id=patient_id,
                path=f"/patients/{pcode}/sessions/new/",
                changes={
                    "status": ["None", "draft"],
                    "date": ["None", str(day)],
                    "pain_before": ["None", str(pain)],
                },
            )
            self._audit(
                chunk,
                model=TreatmentSession,
                obj_id=session_id,
                repr_=f"Session {day:%Y-%m-%d} (Signed)",
                action=1,
                event="update",
                actor=author,
                at=signed,
                patient_id=patient_id,
                path=f"/sessions/{scode}/sign/",
                changes={"status": ["draft", "signed"], "signed_at": ["None", signed.isoformat()]},
            )
            if rng.random() < 0.25:
                self._audit(
                    chunk,
                    model=TreatmentSession,
                    obj_id=session_id,
                    repr_=f"treatment session {scode}",
                    action=3,
                    event="read",
                    actor=rng.choice(self.staff.practitioners),
                    at=signed + datetime.timedelta(days=rng.randint(1, 20)),
                    patient_id=patient_id,
                    path=f"/sessions/{scode}/",
                )
            # What signing did to the plan (plans.services._replay).
            step = steps[k]
            if k == 0 and not intake:
                event(
                    "baseline",
                    to_value=f"{baseline}/10",
                    numbers="baseline from the first session's pain before",
                    automatic=True,
                    session=session_id,
                    at=signed,
                    by=author,
                )
            if step.changed:
                event(
                    "cadence",
                    from_value=str(step.before),
                    to_value=str(step.after),
                    rule=str(step.rule),
                    numbers=step.numbers,
                    automatic=True,
                    session=session_id,
                    at=signed,
                    by=author,
                )
            # The flags the replay gives after this session (cadence._flags), worked out
            # cheaply; their messages are asked for only when one is new.
            if measurable and not improved:
                improved = cadence.meets(cadence.Rung.FORTNIGHTLY, baseline, pain)
            count = k + 1
            codes = set()
            if baseline is not None and baseline < cadence.AUTOMATIC_MIN_BASELINE:
                codes.add(cadence.Flag.BASELINE_LOW)
            if measurable and count >= cadence.NON_RESPONSE_SESSIONS and not improved:
                codes.add(cadence.Flag.NON_RESPONSE)
            if count >= estimate:
                codes.add(cadence.Flag.REVIEW_DUE)
            if (
                step.after == cadence.Rung.MAINTENANCE
                and count >= 2
                and max(scores[k - 1 : k + 1]) <= cadence.DISCHARGE_MAX_SCORE
            ):
                codes.add(cadence.Flag.DISCHARGE_SUGGESTED)
            if codes - flags:
                self._new_flags(
                    event,
                    baseline,
                    scores[:count],
                    step.after,
                    months,
                    flags,
                    session_id,
                    at=signed,
                    by=author,
                )
            flags = codes
            if intake and check_in_every and count % check_in_every == 0:
                self._check_in(
                    chunk, person, intake, pain, baseline, signed + datetime.timedelta(minutes=1)
                )

    def _adverse(self, chunk, session_id, adverse, modalities, at) -> None:
        rng = self.rng
        if adverse == "bleeding":
            kind = rng.choice(("bruising", "bruising", "bleeding"))
        else:
            kind = rng.choices(self.adverse_kinds, self.adverse_weights)[0]
            if kind == "burn" and "moxibustion" not in modalities:
                kind = "needling_pain"
        severity = rng.choices(("mild", "moderate", "severe"), (88, 11, 1))[0]
        causality = (
            rng.choice(("certain", "probable"))
            if kind in ("bruising", "bleeding", "needling_pain", "burn")
            else rng.choice(("probable", "possible", "unlikely"))
        )
        chunk.add(
            AdverseEvent,
            (
                self._id(AdverseEvent),
                session_id,
                kind,
                severity,
                causality,
                ADVERSE_ACTIONS[kind],
                "",
                at,
            ),
        )

    def _appointment(
        self,
        chunk,
        person,
        practitioner,
        starts,
        status,
        *,
        arrived=None,
        changed=None,
        by=None,
        reason="",
    ) -> int:
        appointment_id = self._id(Appointment)
        created = min(
            starts - datetime.timedelta(days=self.rng.randint(2, 21)),
            self.now - datetime.timedelta(hours=1),
        )
        chunk.add(
            Appointment,
            (
                appointment_id,
                self._code(),
                person["id"],
                practitioner[0],
                starts,
                VISIT_MINUTES if status != "booked" else BOOKING_MINUTES,
                status,
                reason,
                arrived,
                changed,
                by[0] if by else None,
                created,
                person["desk"][0],
            ),
        )
        when = f"{starts:%Y-%m-%d %H:%M}"
        self._audit(
            chunk,
            model=Appointment,
            obj_id=appointment_id,
            repr_=f"Appointment {when}",
            action=0,
            event="create",
            actor=person["desk"],
            at=created,
            patient_id=person["id"],
            path="/schedule/book/",
            changes={"status": ["None", "booked"], "starts_at": ["None", when]},
        )
        if changed is not None:
            self._audit(
                chunk,
                model=Appointment,
                obj_id=appointment_id,
                repr_=f"Appointment {when}",
                action=1,
                event="update",
                actor=by,
                at=changed,
                patient_id=person["id"],
                path="",
                changes={"status": ["booked", status]},
            )
        return appointment_id

    def _bookings(self, chunk, person, next_due: datetime.date, rung) -> None:
        """The next visit booked, for most plans due in the month ahead; some overdue
        patients have booked again, most have not."""
        rng = self.rng
        practitioner = person["practitioner"]
        if person["archived_at"]:
            return
        if next_due < self.today - datetime.timedelta(days=cadence.OVERDUE_AFTER_DAYS):
            if rng.random() > 0.25:
                return
            day = self.today + datetime.timedelta(days=rng.randint(0, 21))
        elif rng.random() < 0.85:
            day = max(next_due, self.today)
        else:
            return
        starts = self._booking_time(practitioner[0], day)
        if starts is None:
            return
        self._appointment(chunk, person, practitioner, starts, "booked")
        if rung == cadence.Rung.WEEKLY and rng.random() < 0.6:
            again = self._booking_time(practitioner[0], starts.date() + datetime.timedelta(days=7))
            if again is not None:
                self._appointment(chunk, person, practitioner, again, "booked")

    # --- intakes and check-ins --------------------------------------------------------

    def _intake(self, chunk, person, shape, submitted, *, reviewed=None) -> dict:
        rng = self.rng
        condition = person["condition"]
        spec = CONDITIONS[condition]
        intake_id = self._id(Intake)
        types = rng.choice(spec[1])
        pain = shape["intake_pain"] if shape else rng.randint(3, 9)
        headache = condition == "headache" or "tension_type_headache" in types
        activities = rng.sample(PSFS[condition], 3)
        scores = [rng.randint(2, 6) for _ in activities]
        doses = rng.choice((0, 2, 4, 7, 10, 14))
        answers = {
            name: "no"
            for name in (
                "pregnant",
                "pacemaker",
                "bleeding_disorder",
                "anticoagulants",
                "epilepsy",
                "diabetes",
                "fainting",
                "skin_problem",
                "metal_implant",
            )
        }
        for name, share in (
            ("diabetes", 0.07),
            ("anticoagulants", 0.05),
            ("metal_implant", 0.03),
            ("fainting", 0.04),
            ("pacemaker", 0.01),
            ("epilepsy", 0.01),
        ):
            if rng.random() < share:
                answers[name] = "yes"
        no_electro = any(answers[n] == "yes" for n in ("pacemaker", "epilepsy", "metal_implant"))
        status = "reviewed" if reviewed is not None else rng.choice(("submitted", "draft"))
        done = status != "draft"
        name = f"{person['first']} {person['last']}"
        chunk.add(
            Intake,
            (
                intake_id,
                self._code(),
                person["id"],
                status,
                [1, 2, 3, 4, 5, 6] if done else [1, 2],
                person["first"],
                person["last"],
                person["preferred"],
                person["dob"],
                person["sex"],
                person["phone"],
                person["email"],
                person["address"],
                "",
                "",
                "",
                person["channel"],
                types,
                pain,
                _clamp(pain + rng.randint(1, 3)),
                shape["months"] if shape else rng.randint(1, 60),
                rng.choice(("sudden", "gradual")),
                rng.choice(CAUSES[condition]),
                rng.sample(TRIGGERS[condition], 2),
                rng.randint(4, 20) if headache else None,
                doses,
                "",
                activities[0],
                scores[0],
                activities[1],
                scores[1],
                activities[2],
                scores[2],
                answers["pregnant"] if done else "",
                None,
                answers["pacemaker"] if done else "",
                answers["bleeding_disorder"] if done else "",
                answers["anticoagulants"] if done else "",
                answers["epilepsy"] if done else "",
                answers["diabetes"] if done else "",
                answers["fainting"] if done else "",
                answers["skin_problem"] if done else "",
                answers["metal_implant"] if done else "",
                "",
                rng.choice(("yes", "no", "no")) if done else "",
                "",
                GOALS[condition],
                done,
                done,
                name if done else "",
                submitted if done else None,
                f"198.51.100.{rng.randint(1, 254)}" if done else None,
                submitted - datetime.timedelta(minutes=25),
                reviewed or submitted,
                submitted if done else None,
                {},
                reviewed,
                person["practitioner"][0] if reviewed else None,
                None,
                None,
                None,
                None,
                "",
            ),
        )
        regions = rng.sample(spec[2], rng.randint(1, min(3, len(spec[2]))))
        marks = []
        for region in regions:
            # A side from the row's id, not the random stream: the same seed makes the
            # same clinic as before sides were kept. Half are both sides.
            region_id = self._id(IntakePainRegion)
            side = _SIDES[region_id % 4] if body_map.has_sides(region) else "both"
            marks.append(body_map.MarkedRegion(region, side=side))
            chunk.add(
                IntakePainRegion,
                (region_id, intake_id, region, side, _clamp(pain - rng.randint(0, 2))),
            )
        if rng.random() < 0.7:
            med = rng.choice(MEDICATIONS[condition])
            chunk.add(IntakeMedication, (self._id(IntakeMedication), intake_id, *med))
        if rng.random() < 0.25:
            med = rng.choice(OTHER_MEDICATIONS)
            chunk.add(IntakeMedication, (self._id(IntakeMedication), intake_id, *med, False))
        if done:
            self._audit(
                chunk,
                model=Intake,
                obj_id=intake_id,
                repr_=f"Intake ({status})",
                action=1,
                event="update",
                actor=None,
                at=submitted,
                patient_id=person["id"],
                path="",
                changes={"status": ["draft", "submitted"]},
            )
        if reviewed:
            self._audit(
                chunk,
                model=Intake,
                obj_id=intake_id,
                repr_="Intake (Reviewed)",
                action=1,
                event="update",
                actor=person["practitioner"],
                at=reviewed,
                patient_id=person["id"],
                path="/intakes/review/",
                changes={"status": ["submitted", "reviewed"]},
            )
        return {
            "pain_types": types,
            "activities": activities,
            "psfs": scores,
            "doses": doses,
            "headache": headache,
            "no_electro": no_electro,
            # What the sessions treat: where the intake says it hurts.
            "regions_treated": body_map.stored(marks),
        }

    def _check_in(self, chunk, person, intake, pain, baseline, created) -> None:
        """A check-in the plan asked for (plans.checkin_triggers): the one left open
        before it is stopped, as checkins.services.checkin_create does."""
        rng = self.rng
        if person["archived_at"] and person["archived_at"] <= created:
            return
        expires = created + CheckIn.VALID_FOR
        previous = person["open_check_in"]
        if previous is not None:
            row = previous
            # Still open: the plan asks for nothing more until it is answered or expires.
            if row[7] > created:
                return
            chunk_rows, index = person["open_check_in_at"]
            chunk_rows[index] = row[:8] + (created,) + row[9:]
            person["open_check_in"] = None
        answered = rng.random() < 0.72
        submitted = created + datetime.timedelta(hours=rng.randint(2, 60))
        if submitted > self.now:
            answered = False
        row = (
            self._id(CheckIn),
            self._code(),
            person["id"],
            "sessions",
            hashlib.sha256(self.rng.getrandbits(256).to_bytes(32, "big")).hexdigest(),
            created,
            None,
            expires,
            None,
            submitted if answered else None,
            *intake["activities"],
            intake["headache"],
        )
        if answered:
            now = _clamp(pain + rng.randint(-1, 1))
            gain = 0 if not baseline else (baseline - now) / baseline
            psfs = [_clamp(round(s + gain * 6 + rng.gauss(0, 1))) for s in intake["psfs"]]
            pgic = (
                1
                if gain >= 0.6
                else 2
                if gain >= 0.4
                else 3
                if gain >= 0.2
                else 4
                if gain >= 0
                else 5
            )
            row += (
                now,
                _clamp(now + rng.randint(1, 3)),
                *psfs,
                round(intake["doses"] * now / max(baseline or 1, 1)),
                _clamp(round(now * 1.6), 0, 30) if intake["headache"] else None,
                pgic,
            )
        else:
            row += (None,) * 8
        rows = chunk.rows[CheckIn]
        rows.append(row)
        if not answered:
            person["open_check_in"] = row
            person["open_check_in_at"] = (rows, len(rows) - 1)
