"""Return reads: returnable quantities per order line, policies, lists for the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q, QuerySet, Sum

from inventory.models import Location
from oms.models import ApiKey, Channel
from orders.models import DONE_FULFILMENT_STATES, FulfilmentLine, Order

from .errors import ReturnNotFound
from .models import LIVE_RETURN_STATES, ReturnLine, ReturnPolicy, ReturnRequest


@dataclass(frozen=True)
class Returnable:
    """Of one order line: units shipped or picked up, units already in live returns
    (requested and not rejected or cancelled), what may still be returned, and when the
    line's goods were last handed over (the return window starts then)."""

    delivered: int
    in_returns: int
    handed_over_at: datetime | None

    @property
    def returnable(self) -> int:
        return max(self.delivered - self.in_returns, 0)


def returnable_quantities(*, order: Order) -> dict[int, Returnable]:
    """order line id -> Returnable, in two queries. Callers that create returns hold the
    order's row lock, so nothing changes between this read and their insert."""
    delivered = {
        row["order_line_id"]: row
        for row in FulfilmentLine.objects.filter(
            order_line__order=order, fulfilment__state__in=DONE_FULFILMENT_STATES
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"), at=Max("fulfilment__updated_at"))
    }
    taken = dict(
        ReturnLine.objects.filter(
            order_line__order=order, return_request__state__in=LIVE_RETURN_STATES
        )
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
        .values_list("order_line_id", "units")
    )
    result = {}
    for line_id in (line.pk for line in order.lines.all()):  # prefetched on the console
        row = delivered.get(line_id)
        result[line_id] = Returnable(
            delivered=row["units"] if row else 0,
            in_returns=taken.get(line_id, 0),
            handed_over_at=row["at"] if row else None,
        )
    return result


def window_ends(*, policy: ReturnPolicy, handed_over_at: datetime) -> datetime:
    return handed_over_at + timedelta(days=policy.window_days)


def policy_for(*, channel: Channel) -> ReturnPolicy:
    """The channel's return policy (an unsaved default one if staff never set it)."""
    policy = ReturnPolicy.objects.filter(channel=channel).first()
    return policy or ReturnPolicy(channel=channel)


def returns_for_key(*, key: ApiKey) -> QuerySet[ReturnRequest]:
    """A channel key sees its channel's returns; a store's (location-bound) key sees the
    returns created or received at its location, and those of the channels it serves that
    no location has received yet (a parcel may come back to any store)."""
    qs = ReturnRequest.objects.select_related("order", "channel", "location").prefetch_related(
        "lines__order_line", "lines__reason", "receipts", "lines__inspections"
    )
    if key.location_id is not None:
        served = Location.channels.through.objects.filter(location_id=key.location_id)
        return qs.filter(
            Q(location_id=key.location_id)
            | Q(location__isnull=True, channel_id__in=served.values("channel_id"))
        )
    return qs.filter(channel_id=key.channel_id)


def return_get_for_key(*, key: ApiKey, return_id: int) -> ReturnRequest:
    ret = returns_for_key(key=key).filter(pk=return_id).first()
    if ret is None:
        raise ReturnNotFound(details={"return_id": return_id})
    return ret


def return_locations(*, channel: Channel) -> QuerySet[Location]:
    """Active locations serving the channel that accept returns (warehouses and stores)."""
    return Location.objects.filter(channels=channel, active=True, accepts_returns=True)
