"""Count orders intake refused (409 out of stock, 422 business rules), per channel, day and
code, for the dashboard: Prometheus' counter (orders.metrics) lives in one process and is
gone at a restart, and a refused order leaves no row of its own.

One UPSERT in its own short statement, run after the refused transaction has rolled back:
it holds none of that transaction's locks and the accepted path never runs it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError, connection
from django.utils import timezone

from ..models import IntakeRefusalCount

logger = logging.getLogger(__name__)


def _upsert_sql() -> str:
    meta = IntakeRefusalCount._meta
    columns = {field.name: field.column for field in meta.concrete_fields}
    day, channel, code, n = (columns[name] for name in ("day", "channel", "code", "n"))
    return (
        f'INSERT INTO "{meta.db_table}" ("{day}", "{channel}", "{code}", "{n}") '
        f"VALUES (%s, %s, %s, 1) "
        f'ON CONFLICT ("{day}", "{channel}", "{code}") '
        f'DO UPDATE SET "{n}" = "{meta.db_table}"."{n}" + 1'
    )


UPSERT_SQL = _upsert_sql()


def intake_refusal_record(*, channel_id: int, code: str, day: dt.date | None = None) -> None:
    """Count one refused order. Call it outside the refused order's transaction (in
    autocommit it is a one-statement transaction locking only its counter row). A failure
    to count is logged, never raised: the caller is answering the refusal."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(UPSERT_SQL, [day or timezone.localdate(), channel_id, code[:64]])
    except DatabaseError:
        logger.exception("could not count an intake refusal (%s)", code)
