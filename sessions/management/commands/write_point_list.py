"""Write the point list the completion fetches: `manage.py write_point_list [--check]`.

sessions/static/sessions/points.json is committed and served as a static file, so
the browser keeps it instead of every session form carrying it. It is made from the
Point table (the migrations' WHO points): run this after a migration changes the
points, and commit the file. --check only says whether the file is up to date
(tests/sessions/test_point_list.py checks it too).
"""

from django.core.management.base import BaseCommand, CommandError

from sessions.selectors import POINT_LIST_FILE, point_list_json


class Command(BaseCommand):
    help = "Write sessions/static/sessions/points.json from the Point table."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file differs; write nothing."
        )

    def handle(self, *args, check: bool = False, **options):
        text = point_list_json()
        current = POINT_LIST_FILE.read_text(encoding="utf-8") if POINT_LIST_FILE.exists() else ""
        if check:
            if current != text:
                raise CommandError(
                    f"{POINT_LIST_FILE} is out of date: run manage.py write_point_list."
                )
            self.stdout.write("The point list file is up to date.")
            return
        if current == text:
            self.stdout.write("The point list file was already up to date.")
            return
        POINT_LIST_FILE.parent.mkdir(parents=True, exist_ok=True)
        POINT_LIST_FILE.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {POINT_LIST_FILE}.")
