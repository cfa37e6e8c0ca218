"""manage.py create_api_key: a channel API key (optionally a location system's), shown once.

In inventory (not oms) because binding a key to a location is inventory's check."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inventory.api_keys import api_key_location_bind
from inventory.errors import UnknownLocation
from oms.models import ApiKey, Channel
from oms.services import api_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for a sales channel and print it once: only its hash is stored, "
        "so it cannot be shown again. Scopes: "
        + ", ".join(f"{s.value} ({s.label})" for s in ApiKey.Scope)
        + "; without --scope the key gets 'orders'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("channel", metavar="CHANNEL_CODE", help="Code of the sales channel.")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'Shopify'.")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help="A scope to grant (repeat for several): "
            + ", ".join(s.value for s in ApiKey.Scope)
            + ".",
        )
        parser.add_argument(
            "--location",
            metavar="LOCATION_CODE",
            help="Bind the key to this location (a location system's key: it then sees that "
            "location's fulfilments). Give it the 'location' scope.",
        )
        parser.add_argument(
            "--create-channel",
            action="store_true",
            help="Create the channel if it does not exist.",
        )
        parser.add_argument("--channel-name", help="Name of a channel created here.")
        parser.add_argument(
            "--channel-kind",
            choices=[k.value for k in Channel.Kind],
            default=Channel.Kind.WEB_SHOP,
            help="Kind of a channel created here (default: web_shop).",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="Print only the key (for scripts)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code: str = options["channel"]
        with transaction.atomic():
            channel = Channel.objects.filter(code=code).first()
            created_channel = False
            if channel is None:
                if not options["create_channel"]:
                    known = ", ".join(Channel.objects.values_list("code", flat=True)) or "none"
                    raise CommandError(
                        f"Unknown channel '{code}' (known: {known}); "
                        "add --create-channel to create it."
                    )
                channel = Channel(
                    code=code,
                    name=options["channel_name"] or code,
                    kind=options["channel_kind"],
                )
                try:
                    channel.full_clean()
                except ValidationError as exc:
                    raise CommandError(f"Cannot create channel '{code}': {exc.messages}")
                channel.save()
                created_channel = True
            try:
                key, raw = api_key_create(
                    channel=channel,
                    name=options["name"],
                    scopes=options["scopes"],
                    created_by="manage.py create_api_key",
                )
            except ValueError as exc:
                raise CommandError(str(exc))
            if options["location"]:
                try:
                    api_key_location_bind(key=key, location_code=options["location"])
                except UnknownLocation:
                    raise CommandError(f"Unknown location '{options['location']}'.")
        if options["quiet"]:
            self.stdout.write(raw)
            return
        if created_channel:
            self.stdout.write(f"Created channel {channel.code} ({channel.name}).")
        self.stdout.write(
            f"Created API key '{key.name}' for channel {channel.code} "
            f"(prefix {key.prefix}, scopes: {', '.join(key.scopes) or 'none'}"
            + (f", location: {options['location']}" if options["location"] else "")
            + ").\n\n"
            f"    {raw}\n"
        )
        self.stdout.write(
            self.style.WARNING(
                "Copy it now: the key is not stored (only its hash) and cannot be shown again.\n"
                "Send it as the header   Authorization: Api-Key <key>"
            )
        )
