"""The clinic's outcomes page (/outcomes/) and its CSV download."""

import csv

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from progress.forms import OutcomesFilterForm
from progress.outcomes import (
    MIN_SESSIONS,
    REFERENCE_ANY_PERCENT,
    REFERENCE_BLEEDING_PERCENT,
    Outcomes,
    clinic_outcomes,
)

CSV_HEADER = ["Figure", "Group", "Count", "Out of", "Value", "Unit", "Published reference (%)"]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """The cell as text, with a leading quote when a spreadsheet would read it as a
    formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@require_safe
@login_required
@permission_required("intake.view_clinical_record", raise_exception=True)
def outcomes_view(request):
    """Figures over all the clinic's patients: no patient is named, so no read of a
    record is logged."""
    form = OutcomesFilterForm(request.GET)
    outcomes = clinic_outcomes(form.filters()) if form.is_valid() else None
    if outcomes is not None and request.GET.get("format") == "csv":
        return _csv(outcomes)
    query = request.GET.copy()
    query.pop("format", None)
    query["format"] = "csv"
    return render(
        request,
        "progress/outcomes.html",
        {
            "form": form,
            "outcomes": outcomes,
            "csv_query": query.urlencode(),
            "min_sessions": MIN_SESSIONS,
            "reference_any": REFERENCE_ANY_PERCENT,
            "reference_bleeding": REFERENCE_BLEEDING_PERCENT,
        },
    )


def _csv(outcomes: Outcomes) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in outcomes.rows():
        writer.writerow(
            spreadsheet_safe(cell)
            for cell in (
                row.figure,
                row.group,
                row.count,
                row.out_of,
                row.value,
                row.unit,
                row.reference,
            )
        )
    return response
