import os

import pytest
from hypothesis import settings as hypothesis_settings

from acuclinic import roles
from tests.factories import PatientFactory, PractitionerProfileFactory, UserFactory

# CI runs the property tests with a fixed seed, so a run of the same commit is
# repeatable; on developers' machines they explore new examples every time.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Production uses whitenoise's manifest storage, which needs collectstatic
    # first; tests/acuclinic/test_static.py checks that path on its own. Here the
    # files are served straight from the apps' static folders.
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every factory user gets a hashed password; the production hasher is slow on
    # purpose. Tests only need passwords to check, not to resist cracking.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def front_desk(db):
    return UserFactory(username="desk", role=roles.FRONT_DESK)


@pytest.fixture
def acupuncturist(db):
    return PractitionerProfileFactory(user__username="needles").user


@pytest.fixture
def clinic_admin(db):
    return UserFactory(username="boss", role=roles.CLINIC_ADMIN, is_staff=True)


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="newhire")


@pytest.fixture
def users(front_desk, acupuncturist, clinic_admin, no_role_user):
    """Every kind of staff account, by the name the access tests use."""
    return {
        "front_desk": front_desk,
        "acupuncturist": acupuncturist,
        "clinic_admin": clinic_admin,
        "no_role": no_role_user,
    }


@pytest.fixture
def patient(front_desk):
    return PatientFactory(
        first_name="Jane",
        last_name="Doe",
        preferred_name="Janie",
        phone="+14155550100",
        email="jane.doe@example.com",
        created_by=front_desk,
    )


@pytest.fixture
def desk_client(client, front_desk):
    client.force_login(front_desk)
    return client
