"""Names as staff type them into search: without accents, case or punctuation.

Pure functions, no database. A chart keeps its names in this form in
Patient.search_name (filled on every save), and a typed query is put in the same
form before it is compared, so "garcia" finds "García" and "muller" finds "Müller"
on SQLite and PostgreSQL alike.

    >>> normalise("  García-López, Tomás ")
    'garcia lopez tomas'
    >>> normalise("O’Brien")
    'obrien'
"""

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
