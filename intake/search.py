"""What staff type into the patient search: names without accents, case or
punctuation, and dates of birth in the clinic's own order.

Pure functions, no database. A chart keeps its names in this form in
Patient.search_name (filled on every save), and a typed query is put in the same
form before it is compared, so "garcia" finds "García" and "muller" finds "Müller"
on SQLite and PostgreSQL alike.

    >>> normalise("  García-López, Tomás ")
    'garcia lopez tomas'
    >>> normalise("O’Brien")
    'obrien'
    >>> birth_dates("03/14/1958", order="MDY", today=datetime.date(2025, 1, 1))
    [datetime.date(1958, 3, 14)]
"""

import datetime
import re
import unicodedata

# Letters that are not a base letter plus a combining mark, so NFKD leaves them
# whole: written as the plain letters people type on an English keyboard.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "ħ": "h",
        "ŧ": "t",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)

# Dropped inside a word: "O'Brien" and "D’Angelo" are found by "obrien" and "dangelo".
_APOSTROPHES = frozenset("'’ʼ‘`´")


def normalise(text: str) -> str:
    """Lower case (casefolded: "ß" is "ss"), accents dropped, letters and digits kept,
    apostrophes dropped and any other punctuation read as a space; words separated by
    one space."""
    # Decomposed before and after casefolding: each can make what the other undoes
    # ("ϔ" decomposes to a capital, "ǰ" casefolds to a letter and a mark).
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    kept = []
    for char in folded:
        if unicodedata.combining(char) or char in _APOSTROPHES:
            continue
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).translate(_LETTERS).split())


def patient_search_name(first_name: str, last_name: str, preferred_name: str = "") -> str:
    """What Patient.search_name holds: the names a chart is found by."""
    return normalise(f"{first_name} {last_name} {preferred_name}")


# --- Dates of birth as typed ------------------------------------------------------------

# The order of day, month and year in a date typed with slashes or dots: the clinic's
# own (settings.DATE_INPUT_ORDER). ISO dates (1958-03-14) are read in every clinic.
DATE_ORDERS = ("MDY", "DMY")
DATE_HINTS = {"MDY": "MM/DD/YYYY", "DMY": "DD/MM/YYYY"}

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Day and month of one or two digits, the same separator twice, a year of two or four.
_TYPED_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})")


def birth_dates(typed: str, *, order: str, today: datetime.date) -> list[datetime.date]:
    """The dates of birth `typed` can mean, earliest first; empty when it is not a
    date, or is a date that cannot exist (30 February, a 13th month).

    `order` is "MDY" or "DMY", for dates typed with "/", "." or "-" between the day,
    month and year. A two-digit year means either century, as long as the date is
    not after `today`: "03/14/58" is 14 March 1958; "01/02/20" is 1920 or 2020.
    """
    if order not in DATE_ORDERS:
        raise ValueError(f"order must be one of {DATE_ORDERS}, not {order!r}")
    typed = typed.strip()
    iso = _ISO_DATE.fullmatch(typed)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        return _valid_dates([year], month, day, today=None)
    parts = _TYPED_DATE.fullmatch(typed)
    if parts is None:
        return []
    first, _separator, second, year_text = parts.groups()
    month, day = (int(first), int(second)) if order == "MDY" else (int(second), int(first))
    if len(year_text) == 4:
        return _valid_dates([int(year_text)], month, day, today=None)
    two_digits = int(year_text)
    return _valid_dates([1900 + two_digits, 2000 + two_digits], month, day, today=today)


def _valid_dates(years, month, day, *, today):
    dates = []
    for year in years:
        try:
            date = datetime.date(year, month, day)
        except ValueError:
            continue
        if today is None or date <= today:
            dates.append(date)
    return dates
