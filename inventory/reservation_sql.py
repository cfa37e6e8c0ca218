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
to its requests by (level, holder), never by position. A savepoint the caller needs before it
goes out in the same round trip (`oms.db.pipelined`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from oms.db import array_param, pipelined

from .models import Reservation, StockMovement

# The statement itself is the PL/pgSQL functions of migration
# inventory/0006_reservation_functions (one generic plan per connection instead of planning
# on every call; the rules above are theirs).
_RESERVE = (
    "%(ords)s::integer[], %(req_levels)s::bigint[], %(req_qtys)s::integer[], "
    "%(holders)s::text[], %(active)s, %(kind)s, %(reference)s, %(actor)s, %(now)s)"
)
_ONE_LEVEL = "SELECT * FROM oms_reserve_one(%(level)s::bigint, %(qty)s::integer, " + _RESERVE
_SEVERAL_LEVELS = (
    "SELECT * FROM oms_reserve_many(%(levels)s::bigint[], %(qtys)s::integer[], " + _RESERVE
)


@dataclass(frozen=True)
class ReservedRow:
    id: int
    stock_level_id: int
    holder: str


@dataclass(frozen=True)
class ReserveResult:
    ok: bool
    reservations: list[ReservedRow]  # in id order
    savepoint: str | None = None  # set just before the statement, when asked for


def reserve_levels(
    *,
    per_level: Mapping[int, int],
    requests: Sequence[tuple[int, int, str]],
    reference: str,
    actor: str,
    now: datetime,
    savepoint: bool = False,
) -> ReserveResult:
    """Reserve `per_level` (stock level id -> units) for `requests` ((level id, quantity,
    holder), in order) or nothing. Needs PostgreSQL and the caller's transaction. With
    `savepoint`, a savepoint is set just before, in the same round trip; its id is in the
    result for the caller to roll back to."""
    levels = sorted(per_level)
    params: dict[str, Any] = {
        "ords": array_param(range(len(requests))),
        "req_levels": array_param([level for level, _, _ in requests]),
        "req_qtys": array_param([qty for _, qty, _ in requests]),
        "holders": array_param([holder for _, _, holder in requests]),
        "active": Reservation.Status.ACTIVE,
        "kind": StockMovement.Kind.RESERVATION,
        "reference": reference,
        "actor": actor,
        "now": now,
    }
    if len(levels) == 1:
        sql = _ONE_LEVEL
        params.update(level=levels[0], qty=per_level[levels[0]])
    else:
        sql = _SEVERAL_LEVELS
        params.update(
            levels=array_param(levels), qtys=array_param([per_level[level] for level in levels])
        )
    point = None
    with connection.cursor() as cursor:
        if savepoint:
            with pipelined():
                point = transaction.savepoint()
                cursor.execute(sql, params)
        else:
            cursor.execute(sql, params)
        ok, ids, levels_of, holders = cursor.fetchone()
    rows = [
        ReservedRow(id=pk, stock_level_id=level, holder=holder)
        for pk, level, holder in zip(ids, levels_of, holders, strict=True)
    ]
    return ReserveResult(ok=bool(ok), reservations=rows, savepoint=point)
