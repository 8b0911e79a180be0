import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings

from accounts import roles
from accounts.middleware import NEEDS_OTP
from tests.ci import in_ci
from tests.factories import PatientFactory, PractitionerProfileFactory, UserFactory

# CI runs the property tests with a fixed seed, so a run of the same commit is
# repeatable; on developers' machines they explore new examples every time.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if in_ci():
    hypothesis_settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    # A transactional test empties the database afterwards. A plain one then
    # re-creates content types and permissions (post_migrate), which the next test's
    # restore of the migrations' data (serialized_rollback: roles, WHO points)
    # collides with. So each must restore that data itself, or name its apps
    # (available_apps), either of which leaves the database empty behind it.
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = marker.kwargs if marker is not None else {}
        transactional = kwargs.get("transaction") or {"live_server", "transactional_db"} & set(
            item.fixturenames
        )
        if transactional and not (
            kwargs.get("serialized_rollback") or kwargs.get("available_apps")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: a transactional test needs "
                "@pytest.mark.django_db(transaction=True, serialized_rollback=True)"
            )
    # Browser tests run last: they are the slowest, and once Playwright's loop is
    # running the ORM guard is relaxed for the rest of the session
    # (tests/browser/conftest.py).
    browser = {item for item in items if "tests/browser/" in item.nodeid}
    if browser:
        items[:] = [item for item in items if item not in browser] + [
            item for item in items if item in browser
        ]


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


@pytest.fixture(autouse=True)
def _tasks_kept_not_run(settings):
    # Messages are sent by a worker (manage.py db_worker), and no test runs one.
    # Tasks are kept in memory (django-tasks' dummy backend) and never run by
    # themselves, so nothing is sent behind a test's back, in its thread or after it:
    # a test sends with messaging.services.deliver_due, or calls the task, when it
    # chooses. tests/messaging/test_worker.py runs the database queue and its worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _two_factor_passed_on_force_login(monkeypatch):
    """client.force_login stands for a whole login, the two-factor step included.

    A user who owes a code (a clinic admin, or anyone with a device) gets a
    confirmed authenticator and a session verified by it. Tests of the login
    itself post to the login and two-factor pages instead.
    """
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        if session.get(NEEDS_OTP):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _content_types_cached(request):
    # The audit trail finds content types through Django's per-process cache; a
    # fresh, warm cache per test keeps pinned query counts independent of order.
    names = request.fixturenames
    if "transactional_db" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return
    ContentType.objects.clear_cache()
    ContentType.objects.get_for_models(*apps.get_models())


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
