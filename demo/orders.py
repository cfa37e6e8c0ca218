"""A handful of demo orders so the staff console has something to show (seed_demo)."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from inventory.models import Location, StockLevel
from oms.errors import OMSError
from oms.models import Channel
from orders import services
from orders.models import Fulfilment, Order

CUSTOMERS = [
    (
        "Erika Mustermann",
        "erika@example.com",
        "Unter den Linden 1",
        "10117",
        "Berlin",
        52.517,
        13.389,
    ),
    ("Max Meier", "max@example.com", "Marienplatz 8", "80331", "Munich", 48.137, 11.575),
    ("Lena Vogel", "lena@example.com", "Jungfernstieg 7", "20354", "Hamburg", 53.553, 9.993),
    ("Jonas Becker", "jonas@example.com", "Domkloster 4", "50667", "Cologne", 50.941, 6.958),
    ("Mia Schulz", "mia@example.com", "Zeil 106", "60313", "Frankfurt", 50.114, 8.683),
    ("Paul Wagner", "paul@example.com", "Königstraße 1", "70173", "Stuttgart", 48.778, 9.180),
    ("Anna Hoffmann", "anna@example.com", "Prager Straße 2", "01069", "Dresden", 51.046, 13.737),
    ("Felix Koch", "felix@example.com", "Kröpeliner Str. 26", "18055", "Rostock", 54.088, 12.137),
]


def demo_orders_create(*, channel_code: str = "web-de", count: int = 10) -> int:
    """Place `count` orders for the demo channel (only if it has none yet) and move a few
    through their lifecycle. Returns how many were created."""
    channel = Channel.objects.filter(code=channel_code).first()
    if channel is None or Order.objects.filter(channel=channel).exists():
        return 0
    rng = random.Random(7)
    skus = list(
        StockLevel.objects.filter(location__channels=channel, on_hand__gt=20)
        .values_list("product__sku", flat=True)
        .distinct()
        .order_by("product__sku")[:60]
    )
    store = Location.objects.filter(channels=channel, click_collect=True).order_by("code").first()
    created = 0
    for n in range(count):
        name, email, street, postal, city, lat, lon = CUSTOMERS[n % len(CUSTOMERS)]
        lines = tuple(
            services.LineInput(
                sku=sku,
                quantity=rng.randint(1, 2),
                unit_price=Decimal(rng.choice(["19.99", "49.90", "89.00"])),
            )
            for sku in rng.sample(skus, k=min(len(skus), rng.randint(1, 3)))
        )
        click_collect = store is not None and n % 4 == 3
        data = services.OrderInput(
            external_reference=f"DEMO-{1001 + n}",
            currency="EUR",
            lines=lines,
            customer_name=name,
            customer_email=email,
            shipping_address={
                "name": name,
                "street": street,
                "postal_code": postal,
                "city": city,
                "country": "DE",
                "latitude": lat,
                "longitude": lon,
            },
            delivery_type="click_collect" if click_collect else "ship",
            pickup_location_code=store.code if click_collect else None,
            shipping_total=Decimal("0") if click_collect else Decimal("4.95"),
            payment_status="paid",
        )
        try:
            with transaction.atomic():  # a refused order must not spoil a caller's transaction
                order = services.order_create(channel=channel, data=data, actor="system:seed_demo")
        except OMSError:
            continue
        created += 1
        steps = {0: ["accept", "pack", "ship"], 1: ["accept", "start_picking"], 2: ["accept"]}
        for action in steps.get(n % 5, []):
            for fulfilment in Fulfilment.objects.filter(order=order).order_by("pk"):
                kwargs = {"carrier": "DHL", "tracking_number": f"00340{rng.randint(10**9, 10**10)}"}
                services.fulfilment_transition(
                    fulfilment_id=fulfilment.pk,
                    action=action,
                    actor="system:seed_demo",
                    **(kwargs if action == "ship" else {}),
                )
    return created
