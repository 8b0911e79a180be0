"""A patient's signed sessions as CSV rows: one row a session, in the words of the
note. Cells a spreadsheet would run as a formula start with a quote."""

from progress.outcomes_views import spreadsheet_safe
from sessions.vocabulary import AdverseEventType, Causality, Severity

HEADER = [
    "Date",
    "Practitioner",
    "Pain before",
    "Pain after",
    "Points",
    "Modalities",
    "Adverse events",
]


def adverse_event_text(event) -> str:
    kind = dict(AdverseEventType.choices).get(event.kind, event.kind)
    severity = dict(Severity.choices).get(event.severity, event.severity).lower()
    causality = dict(Causality.choices).get(event.causality, event.causality).lower()
    return f"{kind} ({severity}, causality {causality})"


def session_row(session) -> list[str]:
    """Reads the session's prefetched points and adverse events, and its signer."""
    practitioner = session.signed_by or session.created_by
    cells = [
        session.date.isoformat(),
        str(practitioner),
        session.pain_before,
        session.pain_after,
        session.points_text(),
        "; ".join(session.modality_labels()),
        "; ".join(adverse_event_text(event) for event in session.adverse_events.all()),
    ]
    return [spreadsheet_safe(cell) for cell in cells]
