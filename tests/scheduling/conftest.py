"""The scheduling tests' clock and calendar.

Booking depends on the day of the week (the clinic opens Monday to Friday,
09:00-17:00, as its data migration sets) and on the time of day (a time that has
passed is refused). So these tests run at a fixed moment: `clock` stops the
clinic's clock at 10:07 on a Wednesday (the next one after the real today), and can
move it.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone


@dataclass
class Clock:
    now: datetime.datetime

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    def day(self, offset: int) -> datetime.date:
        return self.today + datetime.timedelta(days=offset)

    def at(self, day: datetime.date | int, hour: int, minute: int = 0) -> datetime.datetime:
        """An aware moment at that clinic-local time; `day` a date or days from today."""
        if isinstance(day, int):
            day = self.day(day)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def set(self, moment: datetime.datetime) -> None:
        self.now = moment


def next_wednesday() -> datetime.date:
    today = datetime.datetime.now(tz=timezone.get_default_timezone()).date()
    return today + datetime.timedelta(days=(2 - today.weekday()) % 7 or 7)


@pytest.fixture
def clock(monkeypatch):
    """Stop timezone.now (and so localdate, the services and the views) at 10:07 on a
    Wednesday. Tuesday is day(-1), Friday day(2), Saturday day(3), Monday day(5)."""
    moment = timezone.make_aware(datetime.datetime.combine(next_wednesday(), datetime.time(10, 7)))
    stopped = Clock(moment)
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped
