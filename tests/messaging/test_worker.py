"""The queue as it runs outside the tests: django-tasks' database backend, and
`manage.py db_worker` taking the delivery tasks from it."""

import io
import signal

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from acuclinic import settings as project_settings
from messaging.models import Message
from messaging.services import message_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_queue(settings, monkeypatch):
    """The production TASKS setting, and the signal handlers the worker sets put back."""
    settings.TASKS = project_settings.TASKS
    # The worker drops its connection between tasks, as a long-running process
    # should; inside a test's transaction that would close the test's own.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in handlers.items():
        signal.signal(number, handler)


def test_the_settings_queue_tasks_in_the_database():
    assert project_settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def run_worker():
    call_command(
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval=0",
        stdout=io.StringIO(),
    )


def queue(patient) -> Message:
    return message_queue(
        patient=patient,
        kind=Message.Kind.REMINDER,
        key="reminder:appointment:1",
        subject="Reminder: your appointment",
        body="A reminder of your appointment.",
    ).message


def test_a_message_queued_is_a_task_in_the_database_that_the_worker_runs(
    by_email, database_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(by_email)
    task = DBTaskResult.objects.get()
    assert task.task_path == "messaging.tasks.deliver_message"
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}
    assert mail.outbox == []  # queued, not sent, until a worker runs

    run_worker()

    assert [email.to for email in mail.outbox] == [["jane.doe@example.com"]]
    task.refresh_from_db()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "sent")
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_failed_send_leaves_a_task_for_later_that_the_worker_does_not_run_early(
    by_email, database_queue, mail_server_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(by_email)

    with django_capture_on_commit_callbacks(execute=True):
        run_worker()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    # The attempt is the task's success: the error (which may name the address)
    # stays out of the task table, and the next try is a task of its own.
    assert (first.status, first.return_value, first.traceback) == ("SUCCESSFUL", "retry", "")
    assert (retry.status, retry.run_after) == ("READY", message.next_attempt_at)
    assert retry.args_kwargs == {"args": [message.pk], "kwargs": {}}
