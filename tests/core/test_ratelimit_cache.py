"""The rate-limit counter cache (core.ratelimit): shared, exact, expiring."""

import datetime
import threading
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection

from core.models import RateLimitCounter


@pytest.fixture
def cache(db):
    cache = caches["ratelimit"]
    cache.clear()
    return cache


def test_add_starts_a_count_only_once(cache):
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 1, 60) is False
    assert cache.get("k") == 1


def test_incr_adds_and_returns_the_new_count(cache):
    cache.add("k", 1, 60)
    assert cache.incr("k") == 2
    assert cache.incr("k", 3) == 5
    assert cache.get("k") == 5


def test_incr_of_a_missing_count_raises(cache):
    with pytest.raises(ValueError):
        cache.incr("missing")


def test_a_count_expires_with_its_window_not_with_its_last_increment(cache):
    start = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    with mock.patch("core.ratelimit._now", return_value=start):
        cache.add("k", 1, 3600)
    with mock.patch("core.ratelimit._now", return_value=start + datetime.timedelta(minutes=50)):
        assert cache.incr("k") == 2
    with mock.patch("core.ratelimit._now", return_value=start + datetime.timedelta(minutes=59)):
        assert cache.get("k") == 2
    later = start + datetime.timedelta(minutes=61)
    with mock.patch("core.ratelimit._now", return_value=later):
        assert cache.get("k") is None
        assert cache.add("other", 1, 60) is True  # a new window clears ended ones
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == [cache.make_key("other")]


def test_set_delete_and_has_key(cache):
    cache.set("k", 7, 60)
    assert cache.has_key("k")
    assert cache.get("k") == 7
    assert cache.delete("k") is True
    assert not cache.has_key("k")
    assert cache.get("k", "gone") == "gone"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requests_from_many_processes_at_once_are_each_counted():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    cache = caches["ratelimit"]
    cache.clear()
    cache.add("k", 0, 60)
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)

    def hammer():
        from django.db import connections

        barrier.wait()
        for _ in range(per_thread):
            cache.incr("k")
        connections.close_all()

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert cache.get("k") == threads * per_thread
