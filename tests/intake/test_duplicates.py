"""The duplicate guard's rule (intake/duplicates.py), without the database: which
charts may be the person a registration describes, and why."""

import datetime
import doctest

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from intake import duplicates
from intake.duplicates import (
    NAME_ONE_TYPO,
    NAMES_SWAPPED,
    SAME_EMAIL,
    SAME_NAME,
    SAME_PHONE,
    Identity,
    duplicate_reasons,
    within_one_typo,
)

BORN = datetime.date(1958, 3, 14)
OTHER_DAY = datetime.date(1958, 3, 15)


def person(first, last, born=BORN, phone="", email=""):
    return Identity(first, last, born, phone=phone, email=email)


def test_the_modules_examples_hold():
    assert doctest.testmod(duplicates).failed == 0


@pytest.mark.parametrize(
    ("new", "chart", "reasons"),
    [
        # The reported misses.
        (person("Tomas", "Garcia"), person("Tomás", "García"), (SAME_NAME,)),
        (
            person("Lena", "Fisher", phone="+14155550134"),
            person("Lena", "Fischer", phone="+14155550134"),
            (NAME_ONE_TYPO, SAME_PHONE),
        ),
        # The guard as it was: the same name in another case.
        (person("MARIA ", "lopez"), person("Maria", "Lopez"), (SAME_NAME,)),
        # Punctuation and spaces are not letters.
        (person("Anne Marie", "O'Brien"), person("Anne-Marie", "OBrien"), (SAME_NAME,)),
        (person("Ana", "De la Cruz"), person("Ana", "Delacruz"), (SAME_NAME,)),
        # One typo, of each kind, in either name.
        (person("Tomas", "Garcai"), person("Tomás", "García"), (NAME_ONE_TYPO,)),
        (person("Toms", "Garcia"), person("Tomás", "García"), (NAME_ONE_TYPO,)),
        (person("Tomas", "Garciaa"), person("Tomás", "García"), (NAME_ONE_TYPO,)),
        (person("Tomas", "Gorcia"), person("Tomás", "García"), (NAME_ONE_TYPO,)),
        # First and last names the wrong way round.
        (person("Garcia", "Tomas"), person("Tomás", "García"), (NAMES_SWAPPED,)),
        # The same phone or email with an unlike name: twins, or a new surname.
        (
            person("Ana", "Moreno", phone="+14155550134"),
            person("Eva", "Moreno", phone="+14155550134"),
            (SAME_PHONE,),
        ),
        (
            person("Lena", "Weber", email="Lena.F@Example.org"),
            person("Lena", "Fischer", email="lena.f@example.org"),
            (SAME_EMAIL,),
        ),
        (
            person("Lena", "Fischer", phone="+14155550134", email="lena@example.org"),
            person("Lena", "Fischer", phone="+14155550134", email="LENA@example.org"),
            (SAME_NAME, SAME_PHONE, SAME_EMAIL),
        ),
    ],
)
def test_a_chart_born_the_same_day_that_is_alike_is_named_with_its_reasons(new, chart, reasons):
    assert duplicate_reasons(new, chart) == reasons


@pytest.mark.parametrize(
    ("new", "chart"),
    [
        # Two typos are two names.
        (person("Tomas", "Gorciu"), person("Tomás", "García")),
        (person("Tomis", "Gorcia"), person("Tomás", "García")),
        # Swapped names with a typo as well.
        (person("Garcai", "Tomas"), person("Tomás", "García")),
        # Born another day: never, whatever else is alike.
        (person("Tomás", "García", OTHER_DAY), person("Tomás", "García")),
        (
            person("Ana", "Moreno", OTHER_DAY, phone="+14155550134", email="a@example.org"),
            person("Ana", "Moreno", phone="+14155550134", email="a@example.org"),
        ),
        # Born the same day and nothing else: a different person.
        (person("Ana", "Moreno"), person("Eva", "Lindqvist")),
        # Empty contact details are not "the same".
        (person("Ana", "Moreno"), person("Eva", "Lindqvist", phone="", email="")),
        # A registration without a date of birth matches nothing.
        (person("Tomás", "García", None), person("Tomás", "García")),
    ],
)
def test_a_chart_that_is_not_alike_enough_is_not_named(new, chart):
    assert duplicate_reasons(new, chart) == ()


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("garcia", "garcia", True),
        ("garcia", "garcai", True),  # neighbours swapped
        ("garcia", "gracia", True),
        ("garcia", "garci", True),
        ("garcia", "xgarcia", True),
        ("garcia", "garxia", True),
        ("garcia", "agrcai", False),
        ("garcia", "gacria", True),
        ("garcia", "gaicra", False),  # two letters apart swapped: two typos
        ("garcia", "garc", False),
        ("", "a", True),
        ("", "ab", False),
    ],
)
def test_one_typo_is_one_letter_added_dropped_changed_or_two_neighbours_swapped(a, b, close):
    assert within_one_typo(a, b) is close
    assert within_one_typo(b, a) is close


# --- Properties -------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz"
names = st.text(LETTERS, min_size=2, max_size=14)
phones = st.integers(2012000000, 9899999999).map(lambda n: f"+1{n}")


def typo_distance(a: str, b: str) -> int:
    """Edits (add, drop, change a letter, swap two neighbours) from a to b: the
    textbook dynamic programme, to check the guard's quicker test against."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


@st.composite
def one_typo(draw, name: str) -> str:
    """`name` with one letter added, dropped or changed, or two neighbours swapped."""
    kind = draw(st.sampled_from(["add", "drop", "change", "swap"]))
    at = draw(st.integers(0, len(name) - (0 if kind == "add" else 1)))
    letter = draw(st.sampled_from(LETTERS))
    if kind == "add":
        return name[:at] + letter + name[at:]
    if kind == "drop":
        return name[:at] + name[at + 1 :]
    if kind == "change":
        return name[:at] + letter + name[at + 1 :]
    at = min(at, len(name) - 2)
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


@given(a=st.text("abc", max_size=8), b=st.text("abc", max_size=8))
def test_within_one_typo_agrees_with_the_edit_distance(a, b):
    assert within_one_typo(a, b) == (typo_distance(a, b) <= 1)


@given(first=names, last=names, which=st.sampled_from(["first", "last"]), data=st.data())
def test_any_one_typo_in_the_first_or_last_name_is_caught(first, last, which, data):
    if which == "first":
        new = person(data.draw(one_typo(first)), last)
    else:
        new = person(first, data.draw(one_typo(last)))
    assume(new.first_name and new.last_name)
    reasons = duplicate_reasons(new, person(first, last))
    assert reasons and reasons[0] in (SAME_NAME, NAME_ONE_TYPO, NAMES_SWAPPED)


MARKS = "\u0301\u0300\u0302\u0303\u0308\u030a\u030c\u0327"


@given(first=names, last=names, upper=st.booleans(), data=st.data())
def test_accents_and_case_never_make_a_name_different(first, last, upper, data):
    def dressed(name):
        accented = "".join(letter + data.draw(st.text(MARKS, max_size=1)) for letter in name)
        return accented.upper() if upper else accented.capitalize()

    new = person(dressed(first), dressed(last))
    assert duplicate_reasons(new, person(first, last)) == (SAME_NAME,)


@given(first=names, last=names)
def test_first_and_last_names_swapped_are_caught(first, last):
    assert duplicate_reasons(person(last, first), person(first, last))


@given(
    new=st.tuples(names, names, phones),
    chart=st.tuples(names, names, phones),
    days=st.integers(1, 40000),
)
def test_a_different_date_of_birth_is_never_a_match(new, chart, days):
    born_new = BORN + datetime.timedelta(days=days)
    shared_email = "family@example.org"
    assert (
        duplicate_reasons(
            person(*new[:2], born_new, phone=new[2], email=shared_email),
            person(*chart[:2], phone=chart[2], email=shared_email),
        )
        == ()
    )


@given(new=st.tuples(names, names, phones), chart=st.tuples(names, names, phones))
def test_born_the_same_day_with_a_different_name_and_contacts_is_not_a_match(new, chart):
    first, last, phone = new
    chart_first, chart_last, chart_phone = chart
    assume(phone != chart_phone)
    assume(typo_distance(first, chart_first) + typo_distance(last, chart_last) > 1)
    assume((first, last) != (chart_last, chart_first))

    reasons = duplicate_reasons(
        person(first, last, phone=phone, email=f"{first}@example.org"),
        person(chart_first, chart_last, phone=chart_phone, email=f"{chart_first}@example.net"),
    )

    assert reasons == ()


@given(new=st.tuples(names, names), chart=st.tuples(names, names), phone=phones)
def test_born_the_same_day_with_the_same_phone_is_always_a_match(new, chart, phone):
    reasons = duplicate_reasons(person(*new, phone=phone), person(*chart, phone=phone))
    assert SAME_PHONE in reasons


@given(new=st.tuples(names, names, phones), chart=st.tuples(names, names, phones))
def test_the_rule_reads_the_same_both_ways(new, chart):
    a = person(new[0], new[1], phone=new[2])
    b = person(chart[0], chart[1], phone=chart[2])
    assert bool(duplicate_reasons(a, b)) == bool(duplicate_reasons(b, a))
