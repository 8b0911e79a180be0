"""WSGI entry point (gunicorn acuclinic.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acuclinic.settings")

application = get_wsgi_application()
