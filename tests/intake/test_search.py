"""Names as search compares them (intake/search.py), and Patient.objects.search over
them: accents, case and punctuation do not matter, every typed word must match."""

import datetime
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.models import Patient
from intake.search import birth_dates, normalise, patient_search_name
from intake.services import intake_submit, patient_update
from tests.factories import IntakeFactory, PatientFactory

# --- The normaliser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("García", "garcia"),
        ("TOMÁS", "tomas"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("Øyvind Łukasz", "oyvind lukasz"),
        ("Nguyễn Thị Minh", "nguyen thi minh"),
        ("O'Brien", "obrien"),
        ("D’Angelo", "dangelo"),
        ("Smith-Jones", "smith jones"),
        ("  Anne   Marie, ", "anne marie"),
        ("Æsa", "aesa"),
        ("Смирнов", "смирнов"),
        ("%_\\", ""),
    ],
)
def test_names_are_normalised_as_staff_type_them(typed, normalised):
    assert normalise(typed) == normalised


def test_a_charts_search_name_holds_first_last_and_preferred_names():
    assert patient_search_name("Tomás", "García", "Tom") == "tomas garcia tom"
    assert patient_search_name("Lena", "Fischer") == "lena fischer"


LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Combining marks used by Latin-script names: acute, grave, circumflex, tilde,
# diaeresis, ring, caron, cedilla, ogonek, dot below.
MARKS = "\u0301\u0300\u0302\u0303\u0308\u030a\u030c\u0327\u0328\u0323"
words = st.lists(st.text(LETTERS, min_size=1, max_size=12), min_size=1, max_size=4)


@given(words=words, data=st.data())
def test_a_name_with_accents_normalises_as_the_same_name_without(words, data):
    plain = " ".join(words)
    accented = "".join(
        letter + data.draw(st.text(MARKS, max_size=2)) if letter != " " else letter
        for letter in plain
    )
    accented = unicodedata.normalize("NFC", accented)
    assert normalise(accented) == normalise(plain) == plain


@given(words=words, upper=st.lists(st.booleans(), min_size=60, max_size=60))
def test_case_does_not_matter(words, upper):
    plain = " ".join(words)
    mixed = "".join(c.upper() if flip else c for c, flip in zip(plain, upper, strict=False))
    assert normalise(mixed) == plain


@given(st.text())
def test_normalising_twice_changes_nothing_and_leaves_single_spaces(text):
    once = normalise(text)
    assert normalise(once) == once
    assert once == once.strip()
    assert "  " not in once


# --- Searching charts ---------------------------------------------------------------------


@pytest.fixture
def charts(front_desk):
    def chart(first, last, preferred="", **fields):
        return PatientFactory(
            first_name=first,
            last_name=last,
            preferred_name=preferred,
            created_by=front_desk,
            **fields,
        )

    return {
        "garcia": chart("Tomás", "García", date_of_birth=datetime.date(1958, 3, 14)),
        "muller": chart("Anna", "Muller"),
        "mueller": chart("Jörg", "Müller"),
        "obrien": chart("Siobhán", "O'Brien", "Shiv"),
        "lena": chart("Lena", "Fischer"),
    }


def _found(query) -> set[str]:
    return {p.last_name for p in Patient.objects.search(query)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Garcia", {"García"}),
        ("garcía", {"García"}),
        ("GARCIA TOMAS", {"García"}),
        ("tomás garcía", {"García"}),
        ("garc tom", {"García"}),
        ("müller", {"Muller", "Müller"}),
        ("MULLER", {"Muller", "Müller"}),
        ("jorg", {"Müller"}),
        ("obrien", {"O'Brien"}),
        ("O’Brien", {"O'Brien"}),
        ("siobhan", {"O'Brien"}),
        ("shiv", {"O'Brien"}),
        ("garcia lena", set()),
        ("!!", set()),
        ("100%", set()),
        ("_", set()),
    ],
)
def test_names_are_found_without_accents_case_or_punctuation(charts, query, found):
    assert _found(query) == found


@pytest.mark.django_db
def test_dates_of_birth_phones_and_emails_are_still_searched_as_before(front_desk):
    PatientFactory(
        first_name="Tomás",
        last_name="García",
        date_of_birth=datetime.date(1958, 3, 14),
        phone="+14155550134",
        email="tomas.garcia@example.com",
        created_by=front_desk,
    )
    for query in ["1958-03-14", "(415) 555-0134", "0134", "garcia@example"]:
        assert _found(query) == {"García"}, query


@pytest.mark.django_db
def test_a_name_changed_on_the_chart_is_found_by_its_new_spelling(front_desk, charts):
    patient_update(
        patient=charts["lena"],
        data={"last_name": "Fischér", "preferred_name": "Léni"},
        updated_by=front_desk,
    )
    assert _found("fischer leni") == {"Fischér"}
    assert Patient.objects.get(pk=charts["lena"].pk).search_name == "lena fischer leni"


@pytest.mark.django_db
def test_a_preferred_name_given_in_the_intake_is_found(front_desk, charts):
    patient = charts["lena"]
    intake = IntakeFactory(
        patient=patient, preferred_name="Lenchen", completed_steps=[1, 2, 3, 4, 5]
    )
    intake_submit(
        intake=intake,
        consent_to_treatment=True,
        privacy_acknowledged=True,
        signature_name="Lena Fischer",
        ip=None,
    )
    assert _found("lenchen") == {"Fischer"}


# --- Dates of birth as typed --------------------------------------------------------------

TODAY = datetime.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("typed", "order", "dates"),
    [
        ("1958-03-14", "MDY", [datetime.date(1958, 3, 14)]),
        ("1958-03-14", "DMY", [datetime.date(1958, 3, 14)]),
        ("1958-3-4", "DMY", [datetime.date(1958, 3, 4)]),
        ("03/14/1958", "MDY", [datetime.date(1958, 3, 14)]),
        ("3/14/1958", "MDY", [datetime.date(1958, 3, 14)]),
        ("03-14-1958", "MDY", [datetime.date(1958, 3, 14)]),
        ("14/03/1958", "DMY", [datetime.date(1958, 3, 14)]),
        ("14.03.1958", "DMY", [datetime.date(1958, 3, 14)]),
        ("04/03/1958", "MDY", [datetime.date(1958, 4, 3)]),
        ("04/03/1958", "DMY", [datetime.date(1958, 3, 4)]),
        # A two-digit year: either century, never a date still to come.
        ("03/14/58", "MDY", [datetime.date(1958, 3, 14)]),
        ("14.03.58", "DMY", [datetime.date(1958, 3, 14)]),
        ("01/02/20", "MDY", [datetime.date(1920, 1, 2), datetime.date(2020, 1, 2)]),
        ("05/31/25", "MDY", [datetime.date(1925, 5, 31), datetime.date(2025, 5, 31)]),
        ("06/02/25", "MDY", [datetime.date(1925, 6, 2)]),
        # Dates that cannot exist, in the clinic's order or at all: not dates.
        ("14/03/1958", "MDY", []),
        ("03/14/1958", "DMY", []),
        ("02/30/1958", "MDY", []),
        ("1958-02-29", "MDY", []),
        ("1958-13-01", "DMY", []),
        ("0000-01-01", "MDY", []),
        # Not written as a date.
        ("03/14-1958", "MDY", []),
        ("03/14/195", "MDY", []),
        ("14031958", "DMY", []),
        ("garcia", "MDY", []),
        ("555-0134", "MDY", []),
    ],
)
def test_dates_of_birth_are_read_in_the_clinics_order(typed, order, dates):
    assert birth_dates(typed, order=order, today=TODAY) == dates


def test_an_unknown_order_is_a_mistake_in_the_code_not_a_guess():
    with pytest.raises(ValueError, match="order"):
        birth_dates("03/14/1958", order="YMD", today=TODAY)


born = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)


@given(date=born, separator=st.sampled_from("/.-"))
def test_every_date_written_in_the_clinics_order_is_read_back(date, separator):
    mdy = separator.join([f"{date.month:02d}", f"{date.day:02d}", f"{date.year}"])
    dmy = separator.join([f"{date.day}", f"{date.month}", f"{date.year}"])
    assert birth_dates(mdy, order="MDY", today=TODAY) == [date]
    assert birth_dates(dmy, order="DMY", today=TODAY) == [date]
    assert birth_dates(date.isoformat(), order="DMY", today=TODAY) == [date]


@given(date=born, order=st.sampled_from(["MDY", "DMY"]))
def test_a_two_digit_year_finds_the_date_in_either_century_and_none_to_come(date, order):
    day_month = (
        [f"{date.month}", f"{date.day}"] if order == "MDY" else [f"{date.day}", f"{date.month}"]
    )
    typed = "/".join([*day_month, f"{date.year % 100:02d}"])
    dates = birth_dates(typed, order=order, today=TODAY)
    assert date in dates
    assert all(d <= TODAY and (d.month, d.day) == (date.month, date.day) for d in dates)
    assert {d.year % 100 for d in dates} == {date.year % 100}


@given(month=st.integers(13, 99), day=st.integers(1, 28), year=st.integers(1900, 2025))
def test_a_month_that_cannot_be_is_not_a_date(month, day, year):
    assert birth_dates(f"{month}/{day}/{year}", order="MDY", today=TODAY) == []
    assert birth_dates(f"{day}.{month}.{year}", order="DMY", today=TODAY) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("order", "query"),
    [
        ("MDY", "03/14/1958"),
        ("MDY", "3/14/1958"),
        ("MDY", "03/14/58"),
        ("MDY", "1958-03-14"),
        ("DMY", "14/03/1958"),
        ("DMY", "14.03.1958"),
        ("DMY", "1958-03-14"),
    ],
)
def test_a_date_of_birth_typed_in_the_clinics_order_finds_the_chart(charts, settings, order, query):
    settings.DATE_INPUT_ORDER = order
    assert _found(query) == {"García"}


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["02/30/1958", "14/03/1958", "1958-02-30", "99/99/9999"])
def test_a_date_that_cannot_exist_is_searched_as_text_and_finds_nothing(charts, settings, query):
    settings.DATE_INPUT_ORDER = "MDY"
    assert _found(query) == set()


# --- Part of an email ----------------------------------------------------------------------


@pytest.fixture
def emails(front_desk):
    def chart(first, last, email):
        return PatientFactory(first_name=first, last_name=last, email=email, created_by=front_desk)

    return [
        chart("Lena", "Fischer", "lena.fischer@example.org"),
        chart("Tomás", "García", "TGarcia@Example.COM"),
        chart("Ana", "Moreno", ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("lena.f", {"Fischer"}),
        ("LENA.FISCHER", {"Fischer"}),
        ("@example.org", {"Fischer"}),
        ("@EXAMPLE.com", {"García"}),
        ("tgarcia", {"García"}),
        ("fischer@", {"Fischer"}),
        ("nobody@example.org", set()),
        ("@", {"Fischer", "García"}),
    ],
)
def test_part_of_an_email_finds_the_chart_in_any_case(emails, query, found):
    assert _found(query) == found


# --- Closest first -------------------------------------------------------------------------


def _order(query) -> list[str]:
    return [f"{p.first_name} {p.last_name}" for p in Patient.objects.search(query)]


@pytest.mark.django_db
def test_whole_names_come_first_then_starts_of_names_then_names_within_then_emails(front_desk):
    for first, last, email in [
        ("Bo", "Mcgarcia", ""),
        ("Kim", "Lee", "garcia.fan@example.org"),
        ("Ana", "Garciaz", ""),
        ("Zoe", "García", ""),
        ("Al", "Garcia", ""),
    ]:
        PatientFactory(first_name=first, last_name=last, email=email, created_by=front_desk)

    assert _order("garcia") == [
        "Al Garcia",  # whole names, in name order
        "Zoe García",
        "Ana Garciaz",  # the start of a name
        "Bo Mcgarcia",  # within a name
        "Kim Lee",  # only the email
    ]


@pytest.mark.django_db
def test_with_several_words_the_loosest_word_places_the_chart(front_desk):
    for first, last in [("Atom", "Garcia"), ("Tomás", "García"), ("Tom", "Garcia")]:
        PatientFactory(first_name=first, last_name=last, email="", created_by=front_desk)

    assert _order("garcia tom") == ["Tom Garcia", "Tomás García", "Atom Garcia"]
