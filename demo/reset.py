"""Delete the demo network and everything that refers to it (seed_demo --reset)."""

from __future__ import annotations

from django.db import models, transaction

from inventory.models import Location, Product
from oms.models import Channel
from orders.models import Order

from .catalogue import all_demo_skus
from .network import CHANNELS, LOCATIONS


def demo_reset() -> dict[str, int]:
    """Delete the demo channels, locations and SKUs and everything that refers to them.

    Orders, stock levels, the ledger, inbound stock and API keys of the demo go too: this is
    the one place that deletes ledger rows, because the levels they explain are deleted.
    """
    deleted: dict[str, int] = {}
    channel_codes = [spec["code"] for spec in CHANNELS]
    with transaction.atomic():
        # Orders first: their fulfilment lines protect the reservations below.
        _purge(Order.objects.filter(channel__code__in=channel_codes), deleted)
        _purge(Location.objects.filter(code__in=[spec["code"] for spec in LOCATIONS]), deleted)
        _purge(Product.objects.filter(sku__in=all_demo_skus()), deleted)
        _purge(Channel.objects.filter(code__in=[spec["code"] for spec in CHANNELS]), deleted)
    return deleted


def _purge(queryset: models.QuerySet, deleted: dict[str, int], path: tuple = ()) -> None:
    """Delete rows and, first, every row that refers to them (PROTECT included)."""
    model = queryset.model
    if model in path:  # a cycle: let the database's cascades settle it
        return
    for relation in model._meta.related_objects:
        if relation.many_to_many:  # auto-created link rows go with the row itself
            continue
        dependents = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": queryset}
        )
        _purge(dependents, deleted, (*path, model))
    _, counts = queryset.delete()
    for label, count in counts.items():
        if count:
            deleted[label] = deleted.get(label, 0) + count
