"""Order-intake experiments: monkeypatches that emulate proposed application changes, so their
effect can be measured before anyone edits the app. Benchmark use only, never production.

    .venv/bin/python benchmarks/bench_orders.py --experiments all --breakdown 100
    .venv/bin/python benchmarks/bench_orders.py --experiments response,snapshot

Each experiment mirrors one proposal in benchmarks/README.md ("Order intake: where the time
goes"):
- response:   answer the 201 from the objects intake already holds instead of re-reading the
              order with its lines and fulfilments (4 queries);
- serializer: build the order's JSON with plain Python instead of DRF's ModelSerializer
              (which rebuilds its nested fields for every order);
- snapshot:   routing_snapshot keeps the channel's locations (and SKU ids) in a per-process
              cache for a few seconds; stock levels are still read fresh every time;
- strategy:   strategy_for_context keeps the active strategy versions for a few seconds;
- auth:       the API key row is kept for a few seconds (a revocation then takes that long);
- prepared:   server-side parameter binding with prepared statements (DATABASES OPTIONS
              server_side_binding=True, prepare_threshold=5): PostgreSQL parses and plans each
              statement shape once per connection instead of on every execution.
gunicorn serves them through benchmarks/wsgi_experiments.py (BENCH_ORDERS_EXPERIMENTS).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

# ("response", answering from memory, is now what the application does.)
EXPERIMENTS = ("serializer", "snapshot", "strategy", "auth", "prepared")
CACHE_SECONDS = 5.0


def selected(spec: str | None) -> list[str]:
    names = [n.strip() for n in (spec or "").split(",") if n.strip()]
    if names == ["all"]:
        return list(EXPERIMENTS)
    unknown = sorted(set(names) - set(EXPERIMENTS))
    if unknown:
        raise SystemExit(f"unknown experiments {unknown}; choose from {', '.join(EXPERIMENTS)}")
    return names


def apply(names: Sequence[str]) -> None:
    """Install the named experiments (Django must be set up)."""
    if "serializer" in names:
        _plain_serializer()
    if "snapshot" in names:
        _snapshot_cache()
    if "strategy" in names:
        _strategy_cache()
    if "auth" in names:
        _auth_cache()
    if "prepared" in names:
        _prepared_statements()


class _TTLCache:
    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self.values: dict[Any, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self.values.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self.lock:
            self.values[key] = (now + self.seconds, value)
        return value


# --- response + serializer --------------------------------------------------------------


def _plain_serializer() -> None:
    """Serialise orders with a plain function instead of DRF's nested serializers."""
    from orders.api import serializers, views  # noqa: F401  (views' schema decorators first)

    class PlainOrderOutput:
        def __init__(self, instance: Any = None, many: bool = False, **kwargs: Any) -> None:
            self.instance, self.many = instance, many

        @property
        def data(self) -> Any:
            if self.many:
                return [order_representation(order) for order in self.instance]
            return order_representation(self.instance)

    serializers.OrderOutputSerializer = PlainOrderOutput  # type: ignore[misc,assignment]


_CENT = Decimal("0.01")


def _money(value: Any) -> str:
    return f"{Decimal(value).quantize(_CENT):f}"


def _when(value: Any) -> str | None:
    if not value:
        return None
    from django.utils import timezone

    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def order_representation(order: Any) -> dict[str, Any]:
    """The OrderOutputSerializer's output, in plain Python."""
    return {
        "id": order.pk,
        "external_reference": order.external_reference,
        "channel": order.channel.code,
        "state": order.state,
        "version": order.version,
        "customer": {
            "email": order.customer_email,
            "name": order.customer_name,
            "phone": order.customer_phone,
        },
        "billing_address": order.billing_address,
        "shipping_address": order.shipping_address,
        "delivery_type": order.delivery_type,
        "pickup_location": order.pickup_location.code if order.pickup_location_id else None,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "shipping_total": _money(order.shipping_total),
        "total": _money(order.total),
        "payment_status": order.payment_status,
        "priority": order.priority,
        "strategy_name": order.strategy_name,
        "lines": [
            {
                "line_number": line.line_number,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "cancelled_quantity": line.cancelled_quantity,
                "open_quantity": line.open_quantity,
                "unit_price": _money(line.unit_price),
            }
            for line in order.lines.all()
        ],
        "fulfilments": [
            {
                "id": f.pk,
                "order_id": f.order_id,
                "location": f.location.code,
                "transfer_to": f.transfer_to.code if f.transfer_to_id else None,
                "state": f.state,
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
                "rejection_reason": f.rejection_reason,
                "distance_km": f.distance_km,
                "created_at": _when(f.created_at),
                "updated_at": _when(f.updated_at),
            }
            for f in order.fulfilments.all()
        ],
        "placed_at": _when(order.placed_at),
        "updated_at": _when(order.updated_at),
        "waiting_since": _when(order.waiting_since),
        "escalated_at": _when(order.escalated_at),
    }


# --- snapshot ---------------------------------------------------------------------------


def _snapshot_cache() -> None:
    """Cache the channel's locations and channel links per process (stock stays fresh)."""
    from routing import selectors

    original = selectors.snapshot_locations
    networks = _TTLCache()

    def snapshot_locations(*, channel: Any, extra_location_ids: Sequence[int] = ()) -> Any:
        if channel is None or any(extra_location_ids):
            return original(channel=channel, extra_location_ids=extra_location_ids)
        return networks.get(channel.pk, lambda: original(channel=channel))

    selectors.snapshot_locations = snapshot_locations


# --- strategy ---------------------------------------------------------------------------


def _strategy_cache() -> None:
    from orders.services import allocation

    original = allocation.strategy_for_context
    cache = _TTLCache()

    def strategy_for_context(*, channel: Any, country: str, delivery_type: str) -> Any:
        key = (channel.pk if channel is not None else None, country, delivery_type)
        return cache.get(
            key,
            lambda: original(channel=channel, country=country, delivery_type=delivery_type),
        )

    allocation.strategy_for_context = strategy_for_context


# --- auth -------------------------------------------------------------------------------


def _auth_cache() -> None:
    from django.utils import timezone
    from rest_framework import exceptions

    from oms.api import auth
    from oms.models import ApiKey

    cache = _TTLCache()

    def authenticate(self: Any, request: Any) -> tuple[None, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme != auth.KEYWORD or not raw.strip():
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Api-Key <key>'.")
        raw = raw.strip()
        parts = raw.split("_")
        if len(parts) < 3 or parts[0] != "oms":
            raise exceptions.AuthenticationFailed("Invalid API key.")
        key = cache.get(
            parts[1],
            lambda: (
                ApiKey.objects.select_related("channel")
                .filter(prefix=parts[1], revoked_at__isnull=True, channel__active=True)
                .first()
            ),
        )
        if key is None or not key.matches(raw):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > (
            auth._LAST_USED_RESOLUTION_SECONDS
        ):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return (None, key)

    auth.ApiKeyAuthentication.authenticate = authenticate


# --- prepared ---------------------------------------------------------------------------


def _prepared_statements() -> None:
    """What `DATABASES["default"]["OPTIONS"] = {"server_side_binding": True,
    "prepare_threshold": 5}` would do; connections opened from now on use it."""
    from django.db import connections

    connections.settings["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
    connections["default"].close()
