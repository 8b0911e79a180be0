"""Queue every message due now: `manage.py send_reminders [--at YYYY-MM-DDTHH:MM] [--deliver]`.

Reminders before booked visits (scheduling.notices), recalls for plans whose
next visit is due (plans.recalls) and check-ins at plans' review dates
(plans.checkin_triggers). Safe to run from cron every few minutes, and two
runs at once: each message has a key and is queued once. The worker sends the
queue; `--deliver` also sends it here before exiting (for set-ups without a worker).
Prints counts only, never a name, address or number.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from messaging import compose
from messaging.services import deliver_due
from messaging.tasks import FAILED, RETRY, SENT
from plans.checkin_triggers import review_date_check_ins
from plans.recalls import recalls_due
from scheduling.notices import reminders_due


def clinic_time(text: str) -> datetime.datetime:
    """ "2026-12-15T09:30", on the clinic's clock (settings.TIME_ZONE)."""
    try:
        moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M")  # noqa: DTZ007
    except ValueError:
        raise CommandError(f"--at: {text!r} is not a time like 2026-12-15T09:30.") from None
    return timezone.make_aware(moment, timezone.get_default_timezone())


class Command(BaseCommand):
    help = (
        "Queue the reminders and recalls due now (or --at a clinic-local time); "
        "--deliver sends the queue too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            type=clinic_time,
            help="the clinic-local time to act as if it were, YYYY-MM-DDTHH:MM (default: now)",
        )
        parser.add_argument(
            "--deliver",
            action="store_true",
            help="also send every queued message whose time has come, before exiting",
        )

    def handle(self, *args, at=None, deliver=False, **options):
        now = at or timezone.now()
        reminders = reminders_due(now)
        recalls = recalls_due(now)
        self.stdout.write(f"Queued {reminders} reminder(s) and {recalls} recall(s).")
        # Check-ins at plans' review dates, from the recalls' hour on (no texts at night).
        local = compose.clinic_local(now)
        check_ins = review_date_check_ins(local.date()) if local.hour >= settings.RECALL_HOUR else 0
        if check_ins:
            self.stdout.write(f"Queued {check_ins} check-in(s).")
        if deliver:
            # Always by the real clock: a message waiting to be tried again is not
            # sent early because --at names a later time.
            done = deliver_due(timezone.now())
            self.stdout.write(
                f"Sent {done[SENT]} message(s); {done[RETRY]} to try again later, "
                f"{done[FAILED]} failed."
            )
