"""The idempotency claim (orders/idempotency.py `_claim_sql`) finds its record through the
unique (channel, scope, key) index, also with the generic plan a connection keeps once the
statement has run a few times, and also when that plan was made while the table was empty
(a new database, or one emptied by a benchmark). With a separate index on channel_id the
planner chose it for the empty table and then read every record of the channel on every
order: 0.875 ms and 445 buffers per order after 4,000 orders (benchmarks/README.md, sixth
session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from psycopg import pq

from oms.models import Channel
from orders.idempotency import _claim_sql, idempotency_lock_id
from orders.models import IdempotencyRecord

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def generic_plan() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
            cursor.execute("RESET plan_cache_mode")


def _plan(channel: Channel, key: str, *, checks_key: bool = False) -> str:
    """The claim's plan as a connection keeps it: PREPAREd (by libpq's simple protocol: the
    statement's $n are PREPARE's own parameters), then EXPLAIN EXECUTE. With `checks_key`,
    the claim that also checks a cached API key (three more text parameters)."""
    sql = _claim_sql(checks_key)
    count = sql.count("%s")
    for n in range(1, count + 1):
        sql = sql.replace("%s", f"${n}", 1)
    types = ", ".join(["bigint", "bigint"] + ["text"] * (count - 2))
    lock_id = idempotency_lock_id(channel.pk, "order_create", key)
    values = f"{lock_id}, {channel.pk}, 'order_create', '{key}'"
    if checks_key:
        values += ", 'v1', 'v2', 'no-such-prefix'"
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    prepared = pgconn.exec_(f"PREPARE oms_claim_plan ({types}) AS {sql}".encode())
    assert prepared.status == pq.ExecStatus.COMMAND_OK, prepared.error_message
    explained = pgconn.exec_(f"EXPLAIN (COSTS OFF) EXECUTE oms_claim_plan ({values})".encode())
    assert explained.status == pq.ExecStatus.TUPLES_OK, explained.error_message
    return "\n".join(
        bytes(explained.get_value(row, 0) or b"").decode() for row in range(explained.ntuples)
    )


@pytest.mark.usefixtures("generic_plan")
def test_the_claim_uses_the_unique_index_planned_on_an_empty_table() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the claim statement is PostgreSQL's")
    channel = Channel.objects.create(code="plan-web", name="Plan web")
    assert not IdempotencyRecord.objects.exists()
    plan = _plan(channel, "k-1")
    assert "idempotency_key_unique" in plan, plan
    assert "Filter" not in plan, plan  # every condition is an index condition


@pytest.mark.usefixtures("generic_plan")
def test_the_claim_that_checks_the_key_finds_record_and_key_by_their_unique_indexes() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the claim statement is PostgreSQL's")
    channel = Channel.objects.create(code="plan-web", name="Plan web")
    plan = _plan(channel, "k-1", checks_key=True)
    assert "idempotency_key_unique" in plan, plan
    assert "oms_apikey_prefix" in plan, plan  # the key by its unique prefix
    assert "Seq Scan on orders_idempotencyrecord" not in plan, plan
    assert "Seq Scan on oms_apikey" not in plan, plan
