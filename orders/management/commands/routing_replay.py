"""manage.py routing_replay: what would a draft strategy have done to recent orders?

In orders (not routing) because it reads the orders and their capacity use; the replay itself
(routing.replay) and the file format (routing.replay_input) are routing's."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from oms.management.base import DocumentedCommand
from oms.models import Channel
from orders.selectors import fulfilments_today_by_location, replay_orders_recent
from routing.models import StrategyVersion
from routing.planner import validate_strategy
from routing.replay import format_report, replay
from routing.replay_input import ReplayFileError, replay_orders_from_file
from routing.snapshot import routing_snapshot
from routing.strategy_trial import strategy_baseline, version_label

STOCK_NOTE = (
    "Stock: today's snapshot (on hand - reserved - safety stock now, and today's capacity use), "
    "not the stock each order saw when it was placed. Every order is planned independently "
    "against that same snapshot (one replayed order does not use up stock for the next), so a "
    "difference between the columns comes from the strategy alone."
)


class Command(DocumentedCommand):
    help = f"""Replay orders against a draft strategy version and compare with another version.

Each order is planned twice - with --against and with --draft - and nothing is reserved.
Prints a side-by-side table (orders, routable and unroutable rate, average fulfilments per
routable order, split rate, total distance km, total cost) plus how many orders got a
different plan, and the per-order difference for up to 20 of them.

{STOCK_NOTE}

Orders come from the database (the --orders most recent, optionally of one --channel) or
from a JSON file (--file): a list of objects like

    [{{"reference": "web-1001",
      "lines": [{{"sku": "TSHIRT-RED-M", "quantity": 2, "unit_price": "19.90"}}],
      "destination": {{"country": "DE", "latitude": 52.52, "longitude": 13.405}},
      "delivery_type": "ship",
      "pickup_location": null,
      "channel": "web-de"}}]

delivery_type is ship (default) or click_collect (then pickup_location, a location code, is
required); reference (default: position in the file), unit_price, latitude, longitude and
channel are optional. A file order without channel is routed over every location (or those
of --channel); with --channel, file orders of other channels are left out.
"""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--draft", type=int, required=True, metavar="VERSION_ID", help="Version to try."
        )
        parser.add_argument(
            "--against",
            type=int,
            metavar="VERSION_ID",
            help="Version to compare with. Default: the active version of the draft's "
            "strategy, or the built-in default strategy if it has none.",
        )
        parser.add_argument(
            "--orders", type=int, default=200, metavar="N", help="Most recent N orders (200)."
        )
        parser.add_argument("--file", help="Replay the orders in this JSON file instead.")
        parser.add_argument("--channel", metavar="CODE", help="Only this channel's orders.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["orders"] < 1:
            raise CommandError("--orders must be at least 1.")
        draft = _version(options["draft"])
        against = _version(options["against"]) if options["against"] is not None else None
        baseline, baseline_label = strategy_baseline(version=draft, against=against)
        draft_config = draft.to_config()
        for label, config in ((baseline_label, baseline), (version_label(draft), draft_config)):
            problems = validate_strategy(config)
            if problems:
                raise CommandError(f"{label} is invalid: {'; '.join(problems)}")
        channel = None
        if options["channel"]:
            channel = Channel.objects.filter(code=options["channel"]).first()
            if channel is None:
                raise CommandError(f"Unknown channel {options['channel']!r}.")
        if options["file"]:
            try:
                orders = replay_orders_from_file(path=Path(options["file"]), channel=channel)
            except ReplayFileError as exc:
                raise CommandError(str(exc))
        else:
            orders = replay_orders_recent(limit=options["orders"], channel=channel)
        skus = {line.sku for order in orders for line in order.request.lines}
        pickups = {o.request.pickup_location_id for o in orders} - {None}
        snapshot = routing_snapshot(
            skus=sorted(skus),
            channel=channel,
            capacity_used=fulfilments_today_by_location,
            extra_location_ids=sorted(pickups),  # type: ignore[arg-type]
        )
        report = replay(
            orders=orders,
            candidates=snapshot.candidates,
            baseline=baseline,
            draft=draft_config,
            baseline_label=baseline_label,
            draft_label=version_label(draft),
        )
        if options["json"]:
            self.stdout.write(json.dumps({"stock": STOCK_NOTE, **report.as_dict()}, indent=2))
            return
        self.stdout.write(f"Replayed {report.baseline.orders} order(s).")
        self.stdout.write(textwrap.fill(STOCK_NOTE, width=100) + "\n")
        self.stdout.write(format_report(report))


def _version(version_id: int) -> StrategyVersion:
    version = StrategyVersion.objects.select_related("strategy").filter(pk=version_id).first()
    if version is None:
        raise CommandError(f"Strategy version {version_id} does not exist.")
    return version
