"""Pages of a long list, newest first, that never count the list.

A numbered pager counts every row that matches, and skips the rows before its page:
over millions of audit entries, that is most of a request's time. A keyset page
instead continues from the last row shown: "Older" asks for the rows before
(time, id) of the page's last row, "Newer" for those after its first, and an index
on the list's order (with the filters' columns first) reads just one page.

The position travels in the query string as an opaque, signed value. One that was
altered, cut short or made with another secret key is ignored: the list starts
again at its first page.
"""

import datetime
import heapq
from dataclasses import dataclass

from django.core import signing
from django.db.models import Q, QuerySet

_SALT = "core.keyset"
OLDER, NEWER = "older", "newer"


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the rows older (or newer) than the row at (moment, pk)."""

    moment: datetime.datetime
    pk: int
    direction: str  # OLDER or NEWER

    def encode(self) -> str:
        return signing.dumps([self.moment.isoformat(), self.pk, self.direction], salt=_SALT)

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        """The cursor of a query string; None when absent or not one we made."""
        if not value:
            return None
        try:
            moment, pk, direction = signing.loads(value, salt=_SALT)
            cursor = cls(datetime.datetime.fromisoformat(moment), int(pk), direction)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        if cursor.direction not in (OLDER, NEWER) or cursor.moment.tzinfo is None:
            return None
        return cursor


@dataclass(frozen=True)
class KeysetPage:
    """One page: its rows, newest first, and the cursors of the pages either side
    (None where there is none)."""

    object_list: list
    newer: str | None
    older: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def keyset_page(
    lists: list[QuerySet], *, field: str, cursor: str | None, per_page: int
) -> KeysetPage:
    """The page of the rows of `lists`, newest first by (`field`, pk), that `cursor`
    points to (the first page without one).

    `lists` are querysets of one model whose rows together make the list: usually
    one; two when a filter is an OR that no single index serves in order, so that
    each is read from its own index (a row in both is shown once). Each runs once,
    reading at most per_page + 1 rows."""
    position = Cursor.decode(cursor)
    newer = position is not None and position.direction == NEWER
    rows: dict[int, object] = {}
    for query in page_queries(lists, field=field, position=position, per_page=per_page):
        for row in query:
            rows[row.pk] = row
    # Nearest the position first: the oldest when going newer, the newest otherwise.
    ordered = (heapq.nsmallest if newer else heapq.nlargest)(
        per_page + 1, rows.values(), key=lambda row: (getattr(row, field), row.pk)
    )
    more = len(ordered) > per_page
    shown = ordered[:per_page]
    if newer:
        shown.reverse()
    if not shown:
        # Past either end (the rows after it were of another filter): start again.
        if position is not None:
            return keyset_page(lists, field=field, cursor=None, per_page=per_page)
        return KeysetPage([], None, None)

    def link(row, direction: str) -> str:
        return Cursor(getattr(row, field), row.pk, direction).encode()

    # Going older, the page we came from is newer; going newer, the one we came from
    # is older; the first page has nothing newer.
    has_newer = more if newer else position is not None
    has_older = position is not None if newer else more
    return KeysetPage(
        shown,
        newer=link(shown[0], NEWER) if has_newer else None,
        older=link(shown[-1], OLDER) if has_older else None,
    )


def page_queries(
    lists: list[QuerySet], *, field: str, position: Cursor | None, per_page: int
) -> list[QuerySet]:
    """The queries keyset_page runs for a page: each list from the position on, in
    order, at most per_page + 1 rows (the one more tells whether there is a next page)."""
    return [_after(rows, field, position)[: per_page + 1] for rows in lists]


def _after(rows: QuerySet, field: str, position: Cursor | None) -> QuerySet:
    if position is None:
        return rows.order_by(f"-{field}", "-pk")
    at, pk = position.moment, position.pk
    if position.direction == NEWER:
        # The plain bound on `field` is what an index range uses; the OR settles ties.
        return rows.filter(
            Q(**{f"{field}__gte": at}),
            Q(**{f"{field}__gt": at}) | Q(**{field: at, "pk__gt": pk}),
        ).order_by(field, "pk")
    return rows.filter(
        Q(**{f"{field}__lte": at}),
        Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk}),
    ).order_by(f"-{field}", "-pk")
