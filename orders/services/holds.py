"""Checkout holds: stock held for a few minutes while a shopper checks out."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.errors import InsufficientStock
from inventory.models import Reservation
from inventory.services import ReservationRequest, stock_release, stock_reserve
from oms.models import Channel
from routing.errors import UnknownSku
from routing.planner import Destination, Plan, PlanLine, RoutingRequest, plan_order
from routing.selectors import ChosenStrategy, Snapshot, routing_snapshot, strategy_for_context

from ..errors import NOT_ROUTABLE_MESSAGE, UNKNOWN_SKU_MESSAGE, HoldNotActive, HoldNotFound
from ..models import CheckoutHold
from ..selectors import fulfilments_today_by_location
from .plan_reserve import plan_reserve_retry

MAX_HOLD_MINUTES = 60


def hold_create(
    *,
    channel: Channel,
    lines: list[tuple[str, int]],
    country: str,
    latitude: float | None = None,
    longitude: float | None = None,
    minutes: int | None = None,
    actor: str,
) -> CheckoutHold:
    """Hold the units at the locations the active strategy would pick for this destination.

    Placing the order with the hold's token releases and re-routes them in one transaction,
    so the held units are the first the order can take.
    """
    minutes = min(minutes or channel.hold_minutes, MAX_HOLD_MINUTES)
    skus = [sku for sku, _ in lines]
    with transaction.atomic():
        hold = CheckoutHold.objects.create(
            channel=channel,
            token=secrets.token_urlsafe(16),
            lines=[{"sku": sku, "quantity": qty} for sku, qty in lines],
            expires_at=timezone.now() + timedelta(minutes=minutes),
        )
        chosen = strategy_for_context(channel=channel, country=country, delivery_type="ship")
        request = RoutingRequest(
            lines=tuple(
                PlanLine(line_id=str(i), sku=sku, quantity=qty, unit_price=Decimal("0"))
                for i, (sku, qty) in enumerate(lines)
            ),
            destination=Destination(country=country, latitude=latitude, longitude=longitude),
            channel_id=channel.pk,
        )

        def plan() -> tuple[Plan, ChosenStrategy, Snapshot]:
            snapshot = routing_snapshot(
                skus=skus, channel=channel, capacity_used=fulfilments_today_by_location
            )
            unknown = sorted(set(skus) - snapshot.product_ids.keys())
            if unknown:
                raise UnknownSku(UNKNOWN_SKU_MESSAGE, details={"skus": unknown})
            return plan_order(request, snapshot.candidates, chosen.config), chosen, snapshot

        def reserve(plan: Plan, snapshot: Snapshot) -> None:
            stock_reserve(
                requests=[
                    ReservationRequest(
                        location_id=part.location_id,
                        product_id=snapshot.product_ids[pl.sku],
                        quantity=pl.quantity,
                        holder=hold.holder,
                    )
                    for part in plan.fulfilments
                    for pl in part.lines
                ],
                actor=actor,
                reference=hold.holder,
                known_level_ids=snapshot.level_ids,
            )

        attempt = plan_reserve_retry(plan=plan, reserve=reserve, require_complete=True)
        if not attempt.plan.routable:
            raise InsufficientStock(
                [
                    {"sku": lines[int(k)][0], "missing": v}
                    for k, v in attempt.plan.unallocated.items()
                ],
                NOT_ROUTABLE_MESSAGE,
                reasons=list(attempt.plan.reasons),
            )
        if attempt.reservation_failed:
            raise InsufficientStock(
                [{"sku": s, "missing": q} for s, q in lines], NOT_ROUTABLE_MESSAGE
            )
        return hold


def _close(hold: CheckoutHold, status: str, actor: str) -> None:
    ids = list(
        Reservation.objects.filter(
            holder=hold.holder, status=Reservation.Status.ACTIVE
        ).values_list("pk", flat=True)
    )
    stock_release(reservation_ids=ids, actor=actor, reason=f"checkout hold {status}")
    hold.status = status
    hold.save(update_fields=["status"])


def hold_release(*, channel: Channel, token: str, actor: str) -> CheckoutHold:
    with transaction.atomic():
        hold = CheckoutHold.objects.select_for_update().filter(channel=channel, token=token).first()
        if hold is None:
            raise HoldNotFound(details={"hold": token})
        if hold.status != CheckoutHold.Status.ACTIVE:
            raise HoldNotActive(details={"hold": token, "status": hold.status})
        _close(hold, CheckoutHold.Status.RELEASED, actor)
        return hold


def holds_expire(*, now: datetime | None = None) -> int:
    """Release every hold past its expiry (the periodic job calls this)."""
    now = now or timezone.now()
    expired = 0
    for hold_id in CheckoutHold.objects.filter(
        status=CheckoutHold.Status.ACTIVE, expires_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            hold = CheckoutHold.objects.select_for_update().get(pk=hold_id)
            if hold.status == CheckoutHold.Status.ACTIVE:
                _close(hold, CheckoutHold.Status.EXPIRED, "system:hold-expiry")
                expired += 1
    return expired
