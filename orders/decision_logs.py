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

COMPACT_VERSION = 1
ELIGIBLE = "eligible"
# Digits kept per figure: kilometres to 100 m, money to the cent, ratings to what decides.
DIGITS = {"distance_km": 1, "cost": 2, "total_penalty": 4, "raw": 3, "penalty": 4}
DEFAULT_DIGITS = 4


def _rounded(key: str, value: Any) -> Any:
    if type(value) is float:
        return round(value, DIGITS.get(key, DEFAULT_DIGITS))
    return value


def decision_log_compact(log: dict[str, Any]) -> dict[str, Any]:
    """The log to store: per candidate without nulls, empty ratings, the "eligible" reason and
    each rating's weight and weighted penalty (both follow from the strategy); figures rounded.

    Runs on every routing decision of intake (one entry per candidate location), so the loop
    is written for speed; `tests/unit/test_decision_logs.py` holds it to the rules above."""
    if log.get("compact"):
        return log
    candidates: list[dict[str, Any]] = []
    append = candidates.append
    digits = DIGITS.get
    for entry in log.get("candidates") or ():
        slim: dict[str, Any] = {}
        for key, value in entry.items():
            kind = type(value)
            if kind is float:
                value = round(value, digits(key, DEFAULT_DIGITS))
            elif value is None:
                continue
            elif kind is dict:
                if not value:
                    continue
                if key == "ratings":
                    value = {name: _rating(detail) for name, detail in value.items()}
            elif key == "reason" and value == ELIGIBLE and entry.get("eliminated_by") is None:
                continue
            slim[key] = value
        append(slim)
    return {**log, "candidates": candidates, "compact": COMPACT_VERSION}


def _rating(detail: dict[str, Any]) -> dict[str, Any]:
    """A rating's raw value and penalty, rounded (weight and weighted follow from them)."""
    if "raw" in detail and "penalty" in detail:  # the planner's shape: the common case
        raw, penalty = detail["raw"], detail["penalty"]
        return {
            "raw": round(raw, _RAW_DIGITS) if type(raw) is float else raw,
            "penalty": round(penalty, _PENALTY_DIGITS) if type(penalty) is float else penalty,
        }
    return {k: _rounded(k, v) for k, v in detail.items() if k in ("raw", "penalty")}


_RAW_DIGITS = DIGITS["raw"]
_PENALTY_DIGITS = DIGITS["penalty"]


def decision_log_expand(log: dict[str, Any]) -> dict[str, Any]:
    """A stored log in the planner's shape (weights, weighted penalties, nulls restored)."""
    if not log.get("compact"):
        return log
    weights = (log.get("strategy") or {}).get("rating_weights") or {}
    candidates = []
    for entry in log.get("candidates") or ():
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
