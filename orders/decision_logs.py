"""Routing decision logs as the orders app stores them: compact, and not kept for ever.

The planner's log (routing.explain) repeats what the strategy already says for every
candidate (each rating's weight, and weight x penalty), carries nulls for fenced-out
candidates and floats to 16 digits. Stored, it keeps only what cannot be recomputed, rounded
to what anyone reads; `decision_log_expand` gives the console the planner's shape back.
Retention (`decision_logs_prune`) deletes old logs but never an order's latest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef

from .models import RoutingDecision

# 1: candidates as a list of objects; 2 (since the seventh session): as a table (`columns`,
# `rows`) with the ratings as [raw, penalty] pairs in the order of `ratings`. Both read back.
COMPACT_VERSION = 2
ELIGIBLE = "eligible"
# Digits kept per figure: kilometres to 100 m, money to the cent, ratings to what decides.
DIGITS = {"distance_km": 1, "cost": 2, "total_penalty": 4, "raw": 3, "penalty": 4}
DEFAULT_DIGITS = 4
# The table's first columns (every planner entry has them); other keys follow as they come.
COLUMNS = (
    "location_id",
    "code",
    "role",
    "distance_km",
    "cost",
    "total_penalty",
    "eliminated_by",
    "reason",
)


def decision_log_compact(log: dict[str, Any]) -> dict[str, Any]:
    """The log to store. Per candidate only what cannot be recomputed: no weights or weighted
    penalties (they follow from the strategy), no nulls, no "eligible" reason, figures
    rounded; and the candidates as one table, each key written once instead of once per
    candidate (a 50-location order's log as jsonb prints it: 10.9 -> 5.8 KB of JSON, which
    PostgreSQL parses on every order).

    Runs on every routing decision of intake (one row per candidate location), so the loop is
    written for speed; `tests/unit/test_decision_logs.py` holds it to the rules above."""
    if log.get("compact"):
        return log
    columns = list(COLUMNS)
    position = {key: n for n, key in enumerate(columns)}
    names: list[str] = []
    rows: list[tuple[list[Any], dict[str, Any] | None]] = []
    digits = DIGITS.get
    for entry in log.get("candidates") or ():
        row: list[Any] = [None] * len(columns)
        rated = None
        for key, value in entry.items():
            if type(value) is float:
                value = round(value, digits(key, DEFAULT_DIGITS))
            elif value is None:
                continue
            elif key == "ratings":
                if value:
                    rated = value
                    names.extend(name for name in value if name not in names)
                continue
            elif type(value) is dict and not value:
                continue
            elif key == "reason" and value == ELIGIBLE and entry.get("eliminated_by") is None:
                continue
            n = position.get(key)
            if n is None:  # a key beyond COLUMNS: a column of its own
                n = position[key] = len(columns)
                columns.append(key)
            if n >= len(row):
                row.extend([None] * (n + 1 - len(row)))
            row[n] = value
        rows.append((row, rated))
    width = len(columns)
    table = []
    for row, rated in rows:
        row.extend([None] * (width - len(row)))
        row.append(None if rated is None else [_rating(rated.get(name)) for name in names])
        table.append(row)
    candidates = {"columns": [*columns, "ratings"], "ratings": names, "rows": table}
    return {**log, "candidates": candidates, "compact": COMPACT_VERSION}


def _rating(detail: dict[str, Any] | None) -> list[Any] | None:
    """A rating's raw value and penalty, rounded (weight and weighted follow from them)."""
    if detail is None:
        return None
    raw, penalty = detail.get("raw"), detail.get("penalty")
    return [
        round(raw, _RAW_DIGITS) if type(raw) is float else raw,
        round(penalty, _PENALTY_DIGITS) if type(penalty) is float else penalty,
    ]


_RAW_DIGITS = DIGITS["raw"]
_PENALTY_DIGITS = DIGITS["penalty"]


def _stored_candidates(log: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored candidates as objects without nulls, their ratings as {name: {raw,
    penalty}}, from either compact version."""
    table = log.get("candidates") or ()
    if not isinstance(table, dict):  # version 1: objects already
        return list(table)
    columns, names = table.get("columns") or [], table.get("ratings") or []
    entries = []
    for row in table.get("rows") or ():
        entry = {key: value for key, value in zip(columns, row, strict=False) if value is not None}
        pairs = entry.pop("ratings", None)
        if pairs is not None:
            entry["ratings"] = {
                name: {"raw": pair[0], "penalty": pair[1]}
                for name, pair in zip(names, pairs, strict=False)
                if pair is not None
            }
        entries.append(entry)
    return entries


def decision_log_expand(log: dict[str, Any]) -> dict[str, Any]:
    """A stored log in the planner's shape (weights, weighted penalties, nulls restored)."""
    if not log.get("compact"):
        return log
    weights = (log.get("strategy") or {}).get("rating_weights") or {}
    candidates = []
    for entry in _stored_candidates(log):
        full = {
            "eliminated_by": None,
            "distance_km": None,
            "total_penalty": None,
            "cost": None,
            **entry,
        }
        if full["eliminated_by"] is None:
            full.setdefault("reason", ELIGIBLE)
        ratings = {}
        for name, detail in (entry.get("ratings") or {}).items():
            weight = float(weights.get(name, 0.0))
            penalty = detail.get("penalty")
            ratings[name] = {
                "raw": detail.get("raw"),
                "penalty": penalty,
                "weight": weight,
                "weighted": None if penalty is None else weight * penalty,
            }
        full["ratings"] = ratings
        candidates.append(full)
    expanded = {**log, "candidates": candidates}
    expanded.pop("compact", None)
    return expanded


def decision_outcome(log: dict[str, Any]) -> tuple:
    """What a routing decided, without how it explained it: who sends which units where, what
    is missing and why, under which strategy. Two decisions with the same outcome say the same
    thing to staff, so the waiting room records a retry only when this changes."""
    chosen = log.get("chosen") or {}
    strategy = log.get("strategy") or {}
    return (
        strategy.get("name"),
        strategy.get("version"),
        tuple(
            sorted(
                (
                    part.get("location_id"),
                    part.get("transfer_to_location_id") or 0,
                    tuple(
                        sorted(
                            (str(ln.get("line_id")), ln.get("sku"), ln.get("quantity"))
                            for ln in part.get("lines") or ()
                        )
                    ),
                )
                for part in chosen.get("fulfilments") or ()
            )
        ),
        tuple(sorted(log.get("reasons") or ())),
    )


def decision_logs_prune(*, older_than: datetime, batch_size: int = 1000) -> int:
    """Delete routing decisions created before `older_than`, except each order's latest one
    (it explains where the order is now). Deletes in batches; returns how many went."""
    newer = RoutingDecision.objects.filter(order_id=OuterRef("order_id"), pk__gt=OuterRef("pk"))
    deleted = 0
    while True:
        ids = list(
            RoutingDecision.objects.filter(created_at__lt=older_than)
            .filter(Exists(newer))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += RoutingDecision.objects.filter(pk__in=ids).delete()[0]
