"""A cache backend that counts exactly, for django-ratelimit, in the app's own database.

django-ratelimit needs a counter that every app process shares and that adds one
atomically. Django's database cache reads then writes (requests arriving together
are not all counted) and resets the expiry on every increment. This backend keeps
each count in a row of core.RateLimitCounter and adds with one UPDATE, which
PostgreSQL serialises on the row lock; SQLite serialises every write anyway.
It implements what django-ratelimit uses (add, incr, get) and the basics around them.
"""

import datetime

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.models import RateLimitCounter


def _now() -> datetime.datetime:
    return timezone.now()


class DatabaseCounterCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)

    def _expiry(self, timeout) -> datetime.datetime:
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:  # "never": a counter outlives any rate window
            timeout = 366 * 24 * 3600
        return _now() + datetime.timedelta(seconds=timeout)

    def _live(self, key):
        return RateLimitCounter.objects.filter(key=key, expires_at__gt=_now())

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        if self._live(key).exists():
            return False
        # A new window: clear the rows of windows that have ended, then start a count.
        RateLimitCounter.objects.filter(expires_at__lte=_now()).delete()
        try:
            with transaction.atomic():
                RateLimitCounter.objects.create(
                    key=key, value=int(value), expires_at=self._expiry(timeout)
                )
        except IntegrityError:  # another request started it first
            return False
        return True

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        with transaction.atomic():
            # The UPDATE locks the row until commit, so the value read back is this
            # request's own count.
            if not self._live(key).update(value=F("value") + delta):
                raise ValueError(f"Key '{key}' not found")
            return self._live(key).values_list("value", flat=True).get()

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        value = self._live(key).values_list("value", flat=True).first()
        return default if value is None else value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        RateLimitCounter.objects.update_or_create(
            key=key, defaults={"value": int(value), "expires_at": self._expiry(timeout)}
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(self._live(key).update(expires_at=self._expiry(timeout)))

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return bool(RateLimitCounter.objects.filter(key=key).delete()[0])

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._live(key).exists()

    def clear(self):
        RateLimitCounter.objects.all().delete()
