"""The order output built by hand (the hot path of intake and order reads): the same JSON
as OrderOutputSerializer's declared fields (tests/api/test_order_output.py holds them equal)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from orders.models import Fulfilment, Order

_CENT = Decimal("0.01")


def money(value: Decimal | None) -> str | None:
    """DRF's DecimalField output for the models' two decimal places."""
    return None if value is None else f"{Decimal(value).quantize(_CENT):f}"


def when(value: datetime | None) -> str | None:
    """DRF's DateTimeField output: ISO 8601 in the current time zone, UTC as `Z`."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def promised_date(order: Order) -> str | None:
    dates = [
        f.promised_date
        for f in order.fulfilments.all()
        if f.promised_date is not None and f.state not in ("cancelled", "rejected")
    ]
    return max(dates).isoformat() if dates else None


def fulfilment_dict(f: Fulfilment) -> dict[str, Any]:
    return {
        "id": f.pk,
        "order_id": f.order_id,
        "location": f.location.code,
        "transfer_to": f.transfer_to.code if f.transfer_to_id else None,
        "state": f.state,
        "source": f.source,
        "promised_date": f.promised_date.isoformat() if f.promised_date else None,
        "awaiting_stock": f.awaiting_stock,
        "lines": [
            {
                "line_number": fl.order_line.line_number,
                "sku": fl.order_line.sku,
                "quantity": fl.quantity,
            }
            for fl in f.lines.all()
        ],
        "carrier": f.carrier,
        "tracking_number": f.tracking_number,
        "tracking_url": f.tracking_url,
        "rejection_reason": f.rejection_reason,
        "distance_km": f.distance_km,
        "created_at": when(f.created_at),
        "updated_at": when(f.updated_at),
    }
