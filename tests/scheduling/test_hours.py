"""The clinic's hours and the booking rules that follow from them (scheduling.hours),
without the database."""

import datetime

import pytest

from scheduling.hours import ClinicHours, Closure, Period, overlap, slot_starts

T = datetime.time
MONDAY = datetime.date(2031, 3, 3)
WEDNESDAY = MONDAY + datetime.timedelta(days=2)
SATURDAY = MONDAY + datetime.timedelta(days=5)
MEI = 7

WEEKDAYS_9_TO_5 = {day: (Period(T(9), T(17)),) for day in range(5)}


def _at(day, hour, minute=0):
    return datetime.datetime.combine(day, T(hour, minute))


def _refusal(hours, day, start, end, practitioner=MEI):
    return hours.refusal(
        practitioner_id=practitioner,
        practitioner_name="Mei Okafor",
        starts=_at(day, *start),
        ends=_at(day, *end),
    )


def test_a_visit_within_the_opening_hours_is_accepted():
    hours = ClinicHours(opening=WEEKDAYS_9_TO_5)
    assert _refusal(hours, MONDAY, (9, 0), (9, 45)) is None
    assert _refusal(hours, MONDAY, (16, 15), (17, 0)) is None


def test_a_weekday_without_opening_hours_is_refused_on_the_date():
    refused = _refusal(ClinicHours(opening=WEEKDAYS_9_TO_5), SATURDAY, (10, 0), (10, 45))
    assert (refused.message, refused.field) == ("The clinic is closed on Saturdays.", "date")


@pytest.mark.parametrize(
    "start, end", [((8, 30), (9, 15)), ((16, 30), (17, 15)), ((17, 0), (17, 45))]
)
def test_a_visit_starting_or_ending_outside_the_opening_hours_is_refused_on_the_time(start, end):
    refused = _refusal(ClinicHours(opening=WEEKDAYS_9_TO_5), MONDAY, start, end)
    assert refused.message == (
        "The clinic is open 09:00–17:00 on Mondays: the visit must start and end within "
        "those hours."
    )
    assert refused.field == "time"


def test_a_visit_across_the_lunch_break_is_refused():
    split = {0: (Period(T(9), T(12, 30)), Period(T(13, 30), T(17)))}
    hours = ClinicHours(opening=split)
    refused = _refusal(hours, MONDAY, (12, 0), (12, 45))
    assert "09:00–12:30 and 13:30–17:00" in refused.message
    assert _refusal(hours, MONDAY, (11, 45), (12, 30)) is None
    assert _refusal(hours, MONDAY, (13, 30), (14, 15)) is None


def test_a_visit_running_past_midnight_is_refused():
    hours = ClinicHours(opening={0: (Period(T(9), T(23, 45)),)})
    refused = hours.refusal(
        practitioner_id=MEI,
        practitioner_name="Mei Okafor",
        starts=_at(MONDAY, 23, 30),
        ends=_at(MONDAY + datetime.timedelta(days=1), 0, 15),
    )
    assert refused.field == "time"


def test_a_closure_is_refused_on_the_date_with_its_reason():
    hours = ClinicHours(
        opening=WEEKDAYS_9_TO_5,
        closures=(Closure(MONDAY, WEDNESDAY, "Spring holiday"),),
    )
    for day in (MONDAY, WEDNESDAY):
        refused = _refusal(hours, day, (10, 0), (10, 45))
        assert refused.message == f"The clinic is closed on {day:%A %-d %B}: Spring holiday."
        assert refused.field == "date"
    assert _refusal(hours, WEDNESDAY + datetime.timedelta(days=1), (10, 0), (10, 45)) is None


def test_a_practitioner_without_hours_of_their_own_works_the_clinics_hours():
    hours = ClinicHours(opening=WEEKDAYS_9_TO_5, practitioners={99: {0: (Period(T(9), T(12)),)}})
    assert hours.working_periods(MONDAY, MEI) == (Period(T(9), T(17)),)
    assert _refusal(hours, MONDAY, (16, 0), (16, 45)) is None


def test_a_day_the_practitioner_does_not_work_is_refused_on_the_date():
    hours = ClinicHours(opening=WEEKDAYS_9_TO_5, practitioners={MEI: {0: (Period(T(9), T(13)),)}})
    refused = _refusal(hours, WEDNESDAY, (10, 0), (10, 45))
    assert (refused.message, refused.field) == ("Mei Okafor does not work on Wednesdays.", "date")


def test_a_time_outside_the_practitioners_hours_is_refused_on_the_time():
    hours = ClinicHours(opening=WEEKDAYS_9_TO_5, practitioners={MEI: {0: (Period(T(9), T(13)),)}})
    refused = _refusal(hours, MONDAY, (12, 30), (13, 15))
    assert refused.message == (
        "Mei Okafor works 09:00–13:00 on Mondays: the visit must start and end within those hours."
    )
    assert refused.field == "time"
    assert _refusal(hours, MONDAY, (12, 15), (13, 0)) is None


def test_a_practitioner_works_only_while_the_clinic_is_open():
    hours = ClinicHours(
        opening=WEEKDAYS_9_TO_5,
        practitioners={MEI: {0: (Period(T(7), T(11)),), 5: (Period(T(9), T(12)),)}},
    )
    assert hours.working_periods(MONDAY, MEI) == (Period(T(9), T(11)),)
    assert _refusal(hours, MONDAY, (8, 0), (8, 45)).message.startswith("The clinic is open")
    assert (
        _refusal(hours, SATURDAY, (9, 0), (9, 45)).message == "The clinic is closed on Saturdays."
    )


def test_overlap_keeps_only_the_times_in_both():
    clinic = (Period(T(9), T(12, 30)), Period(T(13, 30), T(17)))
    own = (Period(T(8), T(10)), Period(T(12), T(14)))
    assert overlap(clinic, own) == (
        Period(T(9), T(10)),
        Period(T(12), T(12, 30)),
        Period(T(13, 30), T(14)),
    )
    assert overlap(clinic, ()) == ()


def test_slot_starts_are_quarter_hours_where_the_whole_visit_fits():
    periods = (Period(T(9), T(10)), Period(T(16), T(16, 30)))
    assert slot_starts(periods, datetime.timedelta(minutes=45)) == [T(9), T(9, 15)]
    assert slot_starts(periods, datetime.timedelta(minutes=30)) == [
        T(9),
        T(9, 15),
        T(9, 30),
        T(16),
    ]


def test_slot_starts_begin_at_the_next_quarter_hour_of_an_odd_opening():
    assert slot_starts((Period(T(9, 5), T(10)),), datetime.timedelta(minutes=30)) == [
        T(9, 15),
        T(9, 30),
    ]
