"""Search terms travel in /patients/?q=: they must not leave the site or reach logs."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_search_pages_never_send_the_query_to_other_sites(desk_client, patient):
    response = desk_client.get("/patients/", {"q": "Doe"})
    assert response["Referrer-Policy"] == "same-origin"


def test_refused_and_missing_pages_log_no_search_terms(client, acupuncturist, caplog):
    client.force_login(acupuncturist)
    with caplog.at_level(logging.INFO):
        client.get("/patients/new/", {"q": "Holloway 415-555-0134"})
        client.get("/patients/00000000-0000-4000-8000-000000000000/", {"q": "Holloway"})
    assert caplog.records, "Django should log the 403 and 404"
    assert "Holloway" not in caplog.text
    assert "415" not in caplog.text
