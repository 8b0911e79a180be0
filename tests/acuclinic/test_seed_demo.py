import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from acuclinic import roles
from acuclinic.models import User
from intake.models import Patient

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.filter(username="frontdesk").exists()


def test_seed_demo_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    counts = (User.objects.count(), Patient.objects.count())
    call_command("seed_demo", stdout=None)
    assert (User.objects.count(), Patient.objects.count()) == counts
    assert counts[1] >= 12
    assert Patient.objects.archived().exists()
    assert Patient.objects.active().count() >= 10


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("frontdesk", roles.FRONT_DESK),
        ("acupuncturist", roles.ACUPUNCTURIST),
        ("clinicadmin", roles.CLINIC_ADMIN),
    ],
)
def test_demo_users_log_in_with_the_documented_password(settings, client, username, role):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    response = client.post(reverse("login"), {"username": username, "password": "acuclinic-demo"})
    assert response.status_code == 302
    assert User.objects.get(username=username).role_names == [role]


def test_demo_acupuncturist_holds_a_current_licence(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=None)
    profile = User.objects.get(username="acupuncturist").practitioner_profile
    assert profile.licence_is_current
