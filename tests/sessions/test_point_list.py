"""The point list the completion fetches: a committed static file
(sessions/static/sessions/points.json) that must hold what the Point table holds,
written by `manage.py write_point_list`."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command

from sessions.selectors import POINT_LIST_FILE, point_list_json, point_reference

pytestmark = pytest.mark.django_db


def test_the_committed_file_is_the_point_table_as_it_stands():
    # Fails when a migration changes the points and the file was not written again:
    # run `python manage.py write_point_list` and commit the file.
    assert POINT_LIST_FILE.read_text(encoding="utf-8") == point_list_json()
    points = json.loads(POINT_LIST_FILE.read_text(encoding="utf-8"))
    assert points == point_reference()
    assert len(points) == 361 + 48
    # [code, pinyin, what the code belongs to, 1 if it takes a side (L / R) else 0].
    assert ["GB20", "Fengchi", "Gallbladder", 1] in points
    assert ["GV20", "Baihui", "Governor Vessel", 0] in points
    # The extra points, in the same shape; Yintang is on the midline, Jiaji paired.
    assert ["EX-HN3", "Yintang", "Extra points: head and neck", 0] in points
    assert ["EX-B2", "Jiaji", "Extra points: back", 1] in points
    assert points[-1] == ["EX-LE12", "Qiduan", "Extra points: lower extremities", 1]


def test_the_file_is_a_static_file_the_app_serves():
    assert finders.find("sessions/points.json") == str(POINT_LIST_FILE)


def test_the_command_checks_and_writes_the_file(tmp_path, monkeypatch):
    target = tmp_path / "points.json"
    monkeypatch.setattr("sessions.management.commands.write_point_list.POINT_LIST_FILE", target)
    with pytest.raises(CommandError, match="out of date"):
        call_command("write_point_list", "--check")
    assert not target.exists()

    call_command("write_point_list")

    assert target.read_text(encoding="utf-8") == point_list_json()
    call_command("write_point_list", "--check")


def test_in_production_the_form_links_a_hashed_name_the_browser_keeps(
    settings, tmp_path, client, acupuncturist, patient
):
    # collectstatic with a manifest storage, as deployed: the name changes with the
    # content, so the browser may keep the file for good. (Production's whitenoise
    # storage also compresses every file, which takes half a minute and is checked
    # by tests/acuclinic/test_static.py; the names are the same.)
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    client.force_login(acupuncturist)

    html = client.get(f"/patients/{patient.code}/sessions/new/").content.decode()

    url = re.search(r'data-point-list="(/static/sessions/points\.[0-9a-f]{12}\.json)"', html)
    assert url, "the session form should name the hashed point list"
    response = client.get(url.group(1))
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert json.loads(b"".join(response.streaming_content)) == point_reference()
