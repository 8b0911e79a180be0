"""What the clinic's outcomes need from each plan's signed visits, kept on the plan.

The outcomes page (progress.outcomes) asks of every plan in the clinic: how many signed
visits, the pain at the latest, the number of the visit that first met the clinically
important rule (core.measures) against the plan's baseline, and the first and last
doses of pain medication recorded at a visit. Worked out from every session of every
plan on each request, that was a window over a million sessions at 50,000 patients
(seconds). So the replay, which reads the plan's visits anyway on every signing and
every change of the baseline, keeps these figures on the plan (`_store_outcome`), and
the outcomes read one row per plan. A period that ends before today still needs the
sessions up to its end, and is worked out from them (progress.outcomes).

`backfill` fills them for plans whose figures were never kept (the migration that added
them, and seed_load's bulk load) in one pass over the sessions, plans in order.
"""

import datetime
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db import connections

from core.measures import meets

# The Plan fields these figures are kept in, as named on the model.
FIELDS = (
    "latest_pain",
    "first_important_visit",
    "first_visit_date",
    "first_doses",
    "first_doses_date",
    "last_doses",
    "last_doses_date",
    "dosed_visits",
)


@dataclass(frozen=True)
class Visit:
    date: datetime.date
    pain_before: int | None
    doses: int | None


@dataclass(frozen=True)
class Figures:
    latest_pain: int | None = None
    # 1 for the first signed visit: the first whose pain before met the rule.
    first_important_visit: int | None = None
    first_visit_date: datetime.date | None = None
    first_doses: int | None = None
    first_doses_date: datetime.date | None = None
    last_doses: int | None = None
    last_doses_date: datetime.date | None = None
    dosed_visits: int = 0

    def as_fields(self) -> dict:
        return asdict(self)


def figures(baseline: int | None, visits: Iterable[Visit]) -> Figures:
    """`visits` in the plan's order (date, then the order signed)."""
    latest = first_important = first_date = None
    first_doses = first_doses_date = last_doses = last_doses_date = None
    dosed = 0
    for number, visit in enumerate(visits, start=1):
        if first_date is None:
            first_date = visit.date
        latest = visit.pain_before
        if first_important is None and meets(baseline, visit.pain_before):
            first_important = number
        if visit.doses is not None:
            dosed += 1
            if first_doses is None:
                first_doses, first_doses_date = visit.doses, visit.date
            last_doses, last_doses_date = visit.doses, visit.date
    return Figures(
        latest_pain=latest,
        first_important_visit=first_important,
        first_visit_date=first_date,
        first_doses=first_doses,
        first_doses_date=first_doses_date,
        last_doses=last_doses,
        last_doses_date=last_doses_date,
        dosed_visits=dosed,
    )


def backfill(
    plan_model, session_model, *, signed: str, first_id: int = 1, batch: int = 2000
) -> int:
    """Keep the figures of every plan (from `first_id` on) from its signed sessions;
    returns how many plans. The models are passed in so that a migration can give its
    historical ones. Memory holds one batch of plans' sessions at a time."""
    connection = connections[plan_model.objects.db]
    quote = connection.ops.quote_name
    update = (
        f"UPDATE {quote(plan_model._meta.db_table)} SET "  # noqa: S608  # nosec B608
        + ", ".join(f"{quote(plan_model._meta.get_field(name).column)} = %s" for name in FIELDS)
        + f" WHERE {quote(plan_model._meta.pk.column)} = %s"
    )
    done = 0
    last_id = first_id - 1
    while True:
        plans = list(
            plan_model.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "baseline_pain")[:batch]
        )
        if not plans:
            return done
        last_id = plans[-1][0]
        rows = (
            session_model.objects.filter(
                plan_link__plan_id__in=[pk for pk, _ in plans], status=signed
            )
            .order_by("plan_link__plan_id", "date", "signed_at", "pk")
            .values_list("plan_link__plan_id", "date", "pain_before", "pain_medication_doses")
        )
        by_plan: dict[int, list[Visit]] = {}
        for plan_id, date, pain, doses in rows.iterator(chunk_size=5000):
            by_plan.setdefault(plan_id, []).append(Visit(date, pain, doses))
        rows = [
            (*figures(baseline, by_plan.get(pk, ())).as_fields().values(), pk)
            for pk, baseline in plans
        ]
        # One statement sent for every plan (bulk_update's CASE over 8 columns took a
        # minute for 50,000 plans; this takes seconds).
        with connection.cursor() as cursor:
            cursor.executemany(update, rows)
        done += len(plans)
