"""A browser test that fails on purpose.

Not collected by the suite (the name does not start with test_):
tests/acuclinic/test_ci_scripts.py runs it in a pytest of its own, to check that a
failing browser test leaves its screenshot and HTML behind, and that a missing
Chromium is a visible skip, or a failure under CI=true.
"""

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_fails_on_purpose(page_for):
    page = page_for()
    page.goto("/accounts/login/")
    assert page.title() == "A title the login page does not have"
