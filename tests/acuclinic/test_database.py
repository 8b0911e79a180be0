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
