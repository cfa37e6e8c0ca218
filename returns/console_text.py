"""Return events in words, for the order's and the return's timelines (registered with the
order console's describers in ReturnsConfig.ready)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .events import ReturnEvent

Describe = Callable[[Mapping[str, Any], Mapping[int, str]], str]


def _lines(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"line {i.get('line')} {i.get('sku')} × {i.get('quantity')}" for i in items)


def _requested(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    reasons = ", ".join(sorted({str(i.get("reason")) for i in d.get("lines", [])}))
    return (
        f"Return #{d['return_id']} requested ({d.get('created_via')}, "
        f"{d.get('resolution')}): {_lines(d.get('lines', []))}; reason {reasons}"
    )


def _approved(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    how = "automatically (channel rule)" if d.get("auto") else "by staff"
    return f"Return #{d['return_id']} approved {how}"


def _received(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    units = ", ".join(f"line {n} × {q}" for n, q in (d.get("lines") or {}).items())
    return (
        f"Return #{d['return_id']}: parcel {d.get('parcel_reference')} received at "
        f"{d.get('location')} ({units}); now {str(d.get('state')).replace('_', ' ')}"
    )


def _inspected(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
    entries = "; ".join(
        f"line {e.get('line')} {e.get('sku')} × {e.get('quantity')} {e.get('condition')}: "
        f"{str(e.get('disposition')).replace('_', ' ')}"
        for e in d.get("entries", [])
    )
    return f"Return #{d['return_id']} inspected: {entries}"


def _with_reason(text: str) -> Describe:
    def describe(d: Mapping[str, Any], codes: Mapping[int, str]) -> str:
        reason = d.get("reason")
        return f"Return #{d['return_id']} {text}" + (f": {reason}" if reason else "")

    return describe


RETURN_DESCRIBERS: dict[str, Describe] = {
    ReturnEvent.REQUESTED: _requested,
    ReturnEvent.APPROVED: _approved,
    ReturnEvent.REJECTED: _with_reason("rejected"),
    ReturnEvent.IN_TRANSIT: lambda d, c: (
        f"Return #{d['return_id']} sent back by the customer (tracking {d.get('tracking_number')})"
    ),
    ReturnEvent.RECEIVED: _received,
    ReturnEvent.INSPECTED: _inspected,
    ReturnEvent.CANCELLED: _with_reason("cancelled"),
    ReturnEvent.CLOSED: lambda d, c: f"Return #{d['return_id']} closed",
    ReturnEvent.QUALITY_HOLD_DECIDED: lambda d, c: (
        f"Return #{d['return_id']}: quality hold #{d.get('hold_id')} ({d.get('sku')} × "
        f"{d.get('quantity')}) {str(d.get('status')).replace('_', ' ')}"
    ),
    ReturnEvent.EXCHANGE_CREATED: lambda d, c: (
        f"Return #{d['return_id']}: replacement order #{d.get('exchange_order_id')} placed"
    ),
    ReturnEvent.REFUND_ADJUSTED: lambda d, c: (
        f"Return #{d['return_id']}: refund adjusted by {d.get('amount')} ({d.get('reason')})"
    ),
}
