"""routing.solving's reason codes (why a plan is not, or not fully, routable) for people:
the console, the reroute preview and the strategy pages say them in words (pure)."""

from __future__ import annotations

from typing import Any

REASON_TEXT = {
    "no_candidate": "no location may serve this order (channel, country, service, exclusions)",
    "forced_location_unavailable": "the forced location cannot take it",
    "insufficient_stock": "not enough stock at the locations that may serve it",
    "split_not_allowed": "the stock is spread over several locations and the strategy does "
    "not split orders",
    "max_parts_exceeded": "it would need more parcels than the strategy allows",
    "min_part_value_not_met": "a part would be worth less than the strategy's minimum",
    "pickup_store_unavailable": "the pickup store cannot take it",
    "pickup_store_insufficient_stock": "the pickup store has too little stock and no transfer "
    "can cover it",
    "search_budget_exceeded": "the search gave up before finding a plan",
}


def reason_text(code: str) -> str:
    return REASON_TEXT.get(code, code.replace("_", " "))


def reasons_text(codes: Any) -> str:
    return "; ".join(reason_text(str(c)) for c in codes or ())
