"""A reservation in one PostgreSQL statement: the conditional stock-level update, the
reservation rows and their ledger movements together (docs/decisions/0004-lean-order-intake.md).

Same rules as the portable path in `inventory.services.stock_reserve`, fewer round trips:
- one level: a conditional UPDATE (`... WHERE on_hand >= reserved + safety_stock + qty`); when
  it matches no row nothing is written and no row stays locked;
- several levels: they are locked first, in primary-key order (`ORDER BY id FOR NO KEY UPDATE`
  locks
  after sorting; the update waits for all of them through `all_locked`), then each gets the
  same conditional UPDATE. The condition lives in the UPDATE itself, so PostgreSQL re-checks
  it on the newest row version (a value read by the locking SELECT can be older). When a
  level is short, no reservation is written and the caller rolls back to its savepoint,
  which undoes the levels already updated and drops the locks.
The statement returns each reservation's id with its level and holder; the caller matches them
to its requests by (level, holder), never by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from .models import Reservation, StockLevel, StockMovement

_LEVEL = StockLevel._meta.db_table
_RESERVATION = Reservation._meta.db_table
_MOVEMENT = StockMovement._meta.db_table

_ONE_LEVEL = f"""
granted AS (
    UPDATE {_LEVEL} AS s SET reserved = s.reserved + %(qty)s
    WHERE s.id = %(level)s AND s.on_hand >= s.reserved + s.safety_stock + %(qty)s
    RETURNING s.id
),
verdict AS (SELECT count(*) > 0 AS ok FROM granted),"""

_SEVERAL_LEVELS = f"""
wanted (level_id, qty) AS (SELECT * FROM unnest(%(levels)s::bigint[], %(qtys)s::integer[])),
locked AS MATERIALIZED (
    SELECT s.id FROM {_LEVEL} AS s WHERE s.id = ANY(%(levels)s::bigint[])
    ORDER BY s.id FOR NO KEY UPDATE
),
all_locked AS MATERIALIZED (SELECT count(*) AS n FROM locked),
granted AS (
    UPDATE {_LEVEL} AS s SET reserved = s.reserved + w.qty
    FROM wanted AS w, all_locked AS a
    WHERE s.id = w.level_id AND a.n > 0
      AND s.on_hand >= s.reserved + s.safety_stock + w.qty
    RETURNING s.id
),
verdict AS (SELECT count(*) = cardinality(%(levels)s::bigint[]) AS ok FROM granted),"""

_WRITES = f"""
requested (ord, level_id, qty, holder) AS (
    SELECT * FROM unnest(
        %(ords)s::integer[], %(req_levels)s::bigint[], %(req_qtys)s::integer[], %(holders)s::text[]
    )
),
reservations AS (
    INSERT INTO {_RESERVATION} (stock_level_id, quantity, holder, status, created_at, closed_at)
    SELECT r.level_id, r.qty, r.holder, %(active)s, %(now)s, NULL
    FROM requested AS r, verdict AS v WHERE v.ok ORDER BY r.ord
    RETURNING id, stock_level_id, quantity, holder
),
movements AS (
    INSERT INTO {_MOVEMENT} (stock_level_id, kind, on_hand_delta, reserved_delta,
        safety_stock_delta, reason, reference, actor, reservation_id, created_at)
    SELECT res.stock_level_id, %(kind)s, 0, res.quantity, 0, '',
        COALESCE(NULLIF(%(reference)s, ''), res.holder), %(actor)s, res.id, %(now)s
    FROM reservations AS res ORDER BY res.id
)
SELECT (SELECT ok FROM verdict),
       (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM reservations),
       (SELECT coalesce(array_agg(stock_level_id ORDER BY id), '{{}}') FROM reservations),
       (SELECT coalesce(array_agg(holder ORDER BY id), '{{}}') FROM reservations)"""


@dataclass(frozen=True)
class ReservedRow:
    id: int
    stock_level_id: int
    holder: str


@dataclass(frozen=True)
class ReserveResult:
    ok: bool
    reservations: list[ReservedRow]  # in id order


def reserve_levels(
    *,
    per_level: Mapping[int, int],
    requests: Sequence[tuple[int, int, str]],
    reference: str,
    actor: str,
    now: datetime,
) -> ReserveResult:
    """Reserve `per_level` (stock level id -> units) for `requests` ((level id, quantity,
    holder), in order) or nothing. Needs PostgreSQL and the caller's transaction."""
    levels = sorted(per_level)
    params: dict[str, Any] = {
        "ords": list(range(len(requests))),
        "req_levels": [level for level, _, _ in requests],
        "req_qtys": [qty for _, qty, _ in requests],
        "holders": [holder for _, _, holder in requests],
        "active": Reservation.Status.ACTIVE,
        "kind": StockMovement.Kind.RESERVATION,
        "reference": reference,
        "actor": actor,
        "now": now,
    }
    if len(levels) == 1:
        head = _ONE_LEVEL
        params.update(level=levels[0], qty=per_level[levels[0]])
    else:
        head = _SEVERAL_LEVELS
        params.update(levels=levels, qtys=[per_level[level] for level in levels])
    with connection.cursor() as cursor:
        cursor.execute("WITH " + head + _WRITES, params)
        ok, ids, levels_of, holders = cursor.fetchone()
    rows = [
        ReservedRow(id=pk, stock_level_id=level, holder=holder)
        for pk, level, holder in zip(ids, levels_of, holders, strict=True)
    ]
    return ReserveResult(ok=bool(ok), reservations=rows)
