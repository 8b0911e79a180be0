import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_no_template_loads_anything_from_another_site():
    external = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "templates").rglob("*.html")
        if external.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.django_db
def test_vendored_bootstrap_is_served_by_the_app():
    response = Client().get("/static/vendor/bootstrap/bootstrap.min.css")
    assert response.status_code == 200
    assert b"Bootstrap" in b"".join(response.streaming_content)[:200]


@pytest.mark.django_db
def test_pages_render_with_production_static_storage(settings, tmp_path, client):
    """collectstatic with whitenoise's manifest storage, then a page links hashed files."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    response = client.get(reverse("login"))
    assert response.status_code == 200
    hashed = re.search(
        rb"/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css", response.content
    )
    assert hashed, "the login page should link the hashed Bootstrap file"
    assert (tmp_path / hashed.group().decode().removeprefix("/static/")).exists()
