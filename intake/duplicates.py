"""Whether a new chart may be a patient the clinic already has: the duplicate guard's
rule (docs/product-rules.md, "Duplicate guard").

Pure functions, no database. Two charts may be one person when they share a date of
birth and one of:

- a similar name: the same first and last names once accents, case, spaces and
  punctuation are set aside, or one typo apart (one letter added, dropped, changed, or
  two neighbours swapped, in the first or the last name), or the first and last names
  swapped;
- the same phone number (compared as stored, in international form);
- the same email address (in any case).

    >>> born = datetime.date(1958, 3, 14)
    >>> duplicate_reasons(
    ...     Identity("Tomas", "Garcia", born), Identity("Tomás", "García", born)
    ... )
    ('same name',)
    >>> duplicate_reasons(
    ...     Identity("Lena", "Fisher", born, phone="+14155550134"),
    ...     Identity("Lena", "Fischer", born, phone="+14155550134"),
    ... )
    ('name one typo apart', 'same phone')

A different date of birth is never a match: parents and children, and couples, share
phone numbers and email addresses, and the clinic registers them all.
"""

import datetime
import re
from dataclasses import dataclass

from intake.search import normalise

# Why a chart may be the same person, as staff read it beside the chart.
SAME_NAME = "same name"
NAME_ONE_TYPO = "name one typo apart"
NAMES_SWAPPED = "first and last names swapped"
SAME_PHONE = "same phone"
SAME_EMAIL = "same email"


@dataclass(frozen=True)
class Identity:
    """What the guard compares of a chart, or of a registration about to be one."""

    first_name: str
    last_name: str
    date_of_birth: datetime.date | None
    phone: str = ""  # E.164, as intake.phone stores it
    email: str = ""

    @classmethod
    def of(cls, record) -> "Identity":
        """The identity of a chart or an intake (anything with these attributes)."""
        return cls(
            first_name=record.first_name,
            last_name=record.last_name,
            date_of_birth=record.date_of_birth,
            phone=record.phone or "",
            email=record.email or "",
        )

    @classmethod
    def from_data(cls, data: dict) -> "Identity":
        """The identity in a form's cleaned data (missing contact details are empty)."""
        return cls(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            phone=data.get("phone") or "",
            email=data.get("email") or "",
        )


def name_key(name: str) -> str:
    """A name as the guard compares it: letters and digits only, no accents or case
    ("García-López" and "garcia lopez" are both "garcialopez")."""
    return normalise(name).replace(" ", "")


def phone_key(phone: str) -> str:
    """A stored number's digits: "+1 415 555 0134" and "+14155550134" are one number."""
    return re.sub(r"\D", "", phone)


def email_key(email: str) -> str:
    return email.strip().casefold()


def within_one_typo(a: str, b: str) -> bool:
    """True when `a` and `b` are equal, or one letter added, dropped or changed, or two
    neighbouring letters swapped, turns one into the other."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(differ) == 1:
            return True
        first, *rest = differ
        return rest == [first + 1] and a[first] == b[first + 1] and a[first + 1] == b[first]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    same = 0
    while same < len(shorter) and shorter[same] == longer[same]:
        same += 1
    return shorter[same:] == longer[same + 1 :]


def name_likeness(new: Identity, chart: Identity) -> str | None:
    """Why the two names may be one person's, or None when they are not alike."""
    first, last = name_key(new.first_name), name_key(new.last_name)
    chart_first, chart_last = name_key(chart.first_name), name_key(chart.last_name)
    if (first, last) == (chart_first, chart_last):
        return SAME_NAME
    if (first == chart_first and within_one_typo(last, chart_last)) or (
        last == chart_last and within_one_typo(first, chart_first)
    ):
        return NAME_ONE_TYPO
    if (first, last) == (chart_last, chart_first):
        return NAMES_SWAPPED
    return None


def duplicate_reasons(new: Identity, chart: Identity) -> tuple[str, ...]:
    """Why `chart` may be the person `new` describes; empty when it is not."""
    if new.date_of_birth is None or new.date_of_birth != chart.date_of_birth:
        return ()
    reasons = []
    name = name_likeness(new, chart)
    if name is not None:
        reasons.append(name)
    if phone_key(new.phone) and phone_key(new.phone) == phone_key(chart.phone):
        reasons.append(SAME_PHONE)
    if email_key(new.email) and email_key(new.email) == email_key(chart.email):
        reasons.append(SAME_EMAIL)
    return tuple(reasons)
