from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Refuses: AcuClinic's audit trail is never emptied by the app (django-auditlog's "
    "own command would)."

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*")
        parser.add_argument("-y", "--yes", action="store_true")
        parser.add_argument("-b", "--before-date")
        parser.add_argument("-t", "--truncate", action="store_true")

    def handle(self, *args, **options):
        raise CommandError(
            "The audit trail is part of the clinic's records and is never emptied by the app. "
            "Archive or purge old entries only under the clinic's retention policy, in the "
            "database, with a backup."
        )
