"""Names as search compares them (intake/search.py), and Patient.objects.search over
them: accents, case and punctuation do not matter, every typed word must match."""

import datetime
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.models import Patient
from intake.search import normalise, patient_search_name
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
