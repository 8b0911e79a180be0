from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from clinic.management.commands.seed_demo import demo_totp_key


class Command(BaseCommand):
    help = "Print the demo users' current two-factor code (refuses with DEBUG off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs with DJANGO_DEBUG on, like seed_demo.")
        totp = TOTP(bytes.fromhex(demo_totp_key()))
        seconds_left = 30 - int(totp.time) % 30
        self.stdout.write(f"{totp.token():06d}  (changes in {seconds_left} s)")
