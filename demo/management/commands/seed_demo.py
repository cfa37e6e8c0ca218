"""manage.py seed_demo: a realistic demo network (idempotent), its API key and an admin login."""

from __future__ import annotations

import io
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from demo.network import CHANNELS, DEMO_KEY_CHANNEL, LOCATIONS
from demo.orders import demo_orders_create
from demo.reset import demo_reset
from demo.seeding import demo_seed

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"  # a demo login, printed below; never created outside seed_demo
AGENT_USERNAME = "agent"
AGENT_PASSWORD = "agent"  # a demo login with only the agent group (manage.py setup_groups)


class Command(BaseCommand):
    help = (
        "Build the demo network: channels web-de, marketplace-eu and store-pos; warehouses in "
        "Erfurt and Rotterdam, eight stores, a dropship partner in Milan; a catalogue of "
        "sports, outdoor and home SKUs with stock (through the ledger), safety stock and "
        "inbound purchase orders; an API key for web-de; and an admin user admin/admin. "
        "Idempotent: a second run only adds what is missing (it never recounts stock). "
        "For demos and development only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skus", type=int, default=300, help="Number of demo SKUs (default: 300)."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete the demo channels, locations and SKUs and everything that "
            "refers to them (orders, stock, ledger, inbound, API keys).",
        )
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Revoke the demo API key and print a new one (the key is shown only once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["skus"] < 1:
            options["skus"] = 1
        if options["reset"]:
            deleted = demo_reset()
            summary = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in deleted.items())
            self.stdout.write(f"Reset: deleted {summary or 'nothing'}.")
        result = demo_seed(skus=options["skus"], new_key=options["new_key"])
        admin_created = _admin_user()
        agent_created = _agent_user()
        orders_created = demo_orders_create()

        self.stdout.write(
            f"Demo network ready in {time.perf_counter() - started:.1f} s:\n"
            f"  channels   {len(CHANNELS)} ({result.channels_created} new): "
            + ", ".join(c["code"] for c in CHANNELS)
            + f"\n  locations  {len(LOCATIONS)} ({result.locations_created} new)\n"
            f"  SKUs       {options['skus']} ({result.products_created} new)\n"
            f"  stock      {result.stock_levels_created} new stock levels, "
            f"{result.movements} ledger movements"
            + (
                f" ({result.stock_levels_present} already stocked, left as they are)"
                if result.stock_levels_present
                else ""
            )
            + f"\n  inbound    {result.inbound_created} new purchase order lines"
            + f"\n  orders     {orders_created} new demo orders (web-de)"
        )
        key = result.api_key
        if result.raw_api_key:
            self.stdout.write(
                f"\nAPI key for {DEMO_KEY_CHANNEL} (scopes: {', '.join(key.scopes)}):\n\n"
                f"    {result.raw_api_key}\n\n"
                "Shown once (only its hash is stored). Send it as "
                "'Authorization: Api-Key <key>'."
            )
        elif key is not None:
            self.stdout.write(
                f"\nThe demo API key for {DEMO_KEY_CHANNEL} exists (prefix {key.prefix}); it was "
                "printed when it was created. Run with --new-key for a fresh one."
            )
        if admin_created:
            self.stdout.write(
                f"\nAdmin login: {ADMIN_USERNAME} / {ADMIN_PASSWORD}  (at /admin/; change it "
                "outside a demo)"
            )
        else:
            self.stdout.write(f"\nAdmin user '{ADMIN_USERNAME}' exists; its password is unchanged.")
        if agent_created:
            self.stdout.write(
                f"Agent login: {AGENT_USERNAME} / {AGENT_PASSWORD}  (customer service: only the "
                "agent group's permissions)"
            )


def _admin_user() -> bool:
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=ADMIN_USERNAME).exists():
            return False
        user_model.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
        return True


def _agent_user() -> bool:
    """The staff groups (setup_groups) and a demo agent in the agent group."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    call_command("setup_groups", stdout=io.StringIO())
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=AGENT_USERNAME).exists():
            return False
        agent = user_model.objects.create_user(
            AGENT_USERNAME, "agent@example.com", AGENT_PASSWORD, is_staff=True
        )
        agent.groups.add(Group.objects.get(name="agent"))
        return True
