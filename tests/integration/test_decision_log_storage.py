"""Decision logs are stored compressed with lz4 where the server has it (migration
orders/0012), and read back whole."""

from __future__ import annotations

import pytest
from django.db import connection

from orders.models import RoutingDecision

pytestmark = pytest.mark.django_db


def _lz4_available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        return bool(cursor.fetchone()[0])


def test_the_log_column_compresses_with_lz4() -> None:
    if not _lz4_available():  # pragma: no cover - the servers we run on have lz4
        pytest.fail("this PostgreSQL was built without lz4: the migration leaves pglz")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass "
            "AND attname = 'log'",
            [RoutingDecision._meta.db_table],
        )
        assert cursor.fetchone()[0] == "l"
