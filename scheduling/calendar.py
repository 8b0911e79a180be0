"""A visit as an iCalendar file, for the patient's or a staff calendar: the .ics
download on the chart, and the attachment of the booking confirmation.

Times carry the clinic's time zone (TZID, with its VTIMEZONE), so a phone set to
another zone still shows the visit at the clinic's hour. The file names the clinic
and the practitioner, never the patient, so it is safe to forward or to sync.
"""

import datetime

from django.utils import timezone
from icalendar import Calendar, Event

from core.models import Clinic
from scheduling.models import Appointment


def appointment_ics(appointment: Appointment) -> bytes:
    """The visit as an iCalendar (RFC 5545) file; a cancelled visit says CANCELLED,
    so a calendar that imported it takes it off."""
    zone = timezone.get_default_timezone()
    calendar = Calendar()
    calendar.add("prodid", "-//AcuClinic//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.code}@acuclinic")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", timezone.localtime(appointment.starts_at, zone))
    event.add("dtend", timezone.localtime(appointment.ends_at, zone))
    clinic = Clinic.current()
    event.add("summary", f"Acupuncture appointment at {clinic.name}")
    description = f"With {appointment.practitioner}."
    if clinic.phone:
        description += f" To change or cancel, call {clinic.phone}."
    event.add("description", description)
    if clinic.address:
        event.add("location", clinic.address)
    cancelled = appointment.status == Appointment.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    calendar.add_component(event)
    # The zone's rules around the visit only: a few lines rather than every change
    # since 1970.
    year = timezone.localtime(appointment.starts_at, zone).year
    calendar.add_missing_timezones(
        first_date=datetime.date(year - 1, 1, 1), last_date=datetime.date(year + 2, 1, 1)
    )
    return calendar.to_ical()
