import datetime

import pytest
from django.db import IntegrityError
from django.utils import timezone

from tests.factories import PractitionerProfileFactory

pytestmark = pytest.mark.django_db


def test_licence_is_current_until_the_end_of_its_expiry_day():
    today = timezone.localdate()
    assert PractitionerProfileFactory(licence_expiry=today).licence_is_current
    expired = PractitionerProfileFactory(licence_expiry=today - datetime.timedelta(days=1))
    assert not expired.licence_is_current


def test_two_practitioners_cannot_share_a_licence():
    PractitionerProfileFactory(licence_number="AC-1", licensing_body="Board")
    with pytest.raises(IntegrityError):
        PractitionerProfileFactory(licence_number="AC-1", licensing_body="Board")
