"""Writing to the audit trail from the app's own code."""

from django.contrib.contenttypes.models import ContentType

from audit.models import AuditEntry
from core.net import UNKNOWN, client_ip

Event = AuditEntry.Event


def client_address(request) -> str | None:
    """The client's address as an IP, or None when there is none worth storing."""
    if request is None:
        return None
    address = client_ip(request)
    return None if address == UNKNOWN else address


def _entry(request, event: str, *, user=None, username: str = "", **fields) -> AuditEntry:
    """An unsaved entry: `user` defaults to the request's user."""
    if user is None and request is not None:
        request_user = getattr(request, "user", None)
        if request_user is not None and request_user.is_authenticated:
            user = request_user
    return AuditEntry(
        event=event,
        action=AuditEntry.Action.ACCESS,
        actor=user,
        actor_email=getattr(user, "email", None) or None,
        username=(username or getattr(user, "username", ""))[:150],
        remote_addr=client_address(request),
        path=(request.path if request is not None else ""),
        **fields,
    )


def record(
    request,
    event: str,
    *,
    obj=None,
    patient=None,
    user=None,
    username: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    """Add one entry. `user` defaults to the request's user; `patient` to none."""
    entry = _entry(
        request,
        event,
        user=user,
        username=username,
        patient_id=getattr(patient, "pk", patient),
        changes=changes,
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj)
        entry.object_pk = str(obj.pk)
        entry.object_id = obj.pk if isinstance(obj.pk, int) else None
        entry.object_repr = _describe(obj)
    entry.save()
    return entry


def record_read(request, obj, *, patient, event: str = Event.READ) -> AuditEntry:
    """A staff member opened a clinical record (chart, intake, note, plan, export)."""
    return record(request, event, obj=obj, patient=patient)


def _record_each_chart(request, event: str, patients, **fields) -> None:
    """One `event` entry per chart, in one insert."""
    patients = list(patients)
    if not patients:
        return
    content_type = ContentType.objects.get_for_model(patients[0])
    entries = [
        _entry(
            request,
            event,
            content_type=content_type,
            object_pk=str(patient.pk),
            object_id=patient.pk,
            object_repr=_describe(patient),
            patient_id=patient.pk,
            **fields,
        )
        for patient in patients
    ]
    for entry in entries:
        entry.normalise()  # as save() would
    AuditEntry.objects.bulk_create(entries)


def record_listed(request, patients) -> None:
    """A staff member was shown a list of charts (the patient list, search results,
    the admin's list): one entry per chart shown, so "who has seen this patient"
    finds it. Never the search terms: the path is kept without its query string."""
    _record_each_chart(request, Event.LISTED, patients)


def record_exported(patients, *, username: str, changes: dict | None = None) -> None:
    """Charts exported with no request to tie them to (manage.py export_fhir): one
    entry per chart, under `username`, so "who has seen this patient" finds it."""
    _record_each_chart(None, Event.EXPORT, patients, username=username, changes=changes)


def record_children(parent, field: str, before: list, after: list) -> None:
    """Rows replaced in bulk under `parent` (e.g. a note's points): one change entry.

    The actor and address come from the request being served, as for auditlog's
    own entries.
    """
    if before == after:
        return
    AuditEntry.objects.log_create(
        parent, action=AuditEntry.Action.UPDATE, changes={field: [before, after]}
    )


def row_texts(rows) -> list[str]:
    """Child rows (tuples of values) as lines for record_children."""
    return [" / ".join(str(value) for value in row) for row in rows]


def _describe(obj) -> str:
    return f"{obj._meta.verbose_name} {getattr(obj, 'code', obj.pk)}"
