import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_suite_runs_on_the_database_that_database_url_names():
    url = os.environ.get("DATABASE_URL", "")
    assert connection.vendor == ("postgresql" if url.startswith("postgres") else "sqlite")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL run only")
def test_postgresql_connections_come_from_the_psycopg_pool():
    from psycopg_pool import ConnectionPool

    assert isinstance(connection.pool, ConnectionPool)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite run only")
def test_sqlite_is_set_up_for_several_requests_at_once():
    # The race tests (tests/test_races.py) show what this buys; here, that it is on.
    connection.ensure_connection()
    assert connection.transaction_mode == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000
    # A file, not memory: two threads' connections meet as two requests would.
    assert not connection.is_in_memory_db()
