"""Platform models: sales channels and their API keys, the transactional outbox (published
messages); their deliveries and webhook subscriptions live in `oms/hub/models.py`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone


class Channel(models.Model):
    """A sales channel (web shop, marketplace, store): owns API keys and scopes all data."""

    class Kind(models.TextChoices):
        WEB_SHOP = "web_shop", "Web shop"
        MARKETPLACE = "marketplace", "Marketplace"
        STORE = "store", "Store"
        ERP = "erp", "ERP / stock system"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WEB_SHOP)
    active = models.BooleanField(default=True)
    availability_buffer = models.PositiveIntegerField(
        default=0,
        help_text="Units per SKU held back from this channel's available-to-promise.",
    )

    class UnroutablePolicy(models.TextChoices):
        REFUSE = "refuse", "Refuse the order (409 out_of_stock)"
        WAIT = "wait", "Accept it into the waiting room"

    unroutable_policy = models.CharField(
        max_length=10,
        choices=UnroutablePolicy.choices,
        default=UnroutablePolicy.REFUSE,
        help_text="What happens to an order that cannot be routed now.",
    )

    class WaitingLimit(models.TextChoices):
        UNBOUNDED = "unbounded", "Unbounded back-orders"
        INBOUND_SUPPLY = "inbound_supply", "Only what open inbound stock covers"

    waiting_limit = models.CharField(
        max_length=20,
        choices=WaitingLimit.choices,
        default=WaitingLimit.UNBOUNDED,
        help_text="With the waiting-room policy: park any order (unbounded back-orders), or only "
        "while the units waiting per SKU stay within the open inbound stock not yet reserved "
        "by pre-orders (the rest is refused).",
    )
    # Pre-orders (inventory/services/preorders.py): inbound stock sellable before it arrives.
    sell_inbound = models.BooleanField(
        "sell inbound stock (pre-orders)",
        default=False,
        help_text="Orders that on-hand stock cannot cover may reserve open inbound stock "
        "expected within the horizon; they ship once it is received.",
    )
    inbound_horizon_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(366)],
        help_text="Inbound stock expected at most this many days ahead is sellable.",
    )
    inbound_horizon_by_kind = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per location kind, overrides the horizon, e.g. {"supplier": 60, "store": 7}.',
    )
    waiting_escalation_minutes = models.PositiveIntegerField(
        default=24 * 60, help_text="Waiting orders older than this escalate to staff."
    )
    hold_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="Default lifetime of a checkout hold."
    )
    payment_adapter = models.CharField(
        max_length=50,
        default="shop_handled",
        help_text="How captures, refunds and voids reach the PSP: shop_handled (events the shop "
        "confirms through the API), manual (staff), or one from settings.OMS_PAYMENT_ADAPTERS.",
    )
    capture_on_shipment = models.BooleanField(
        default=False, help_text="Each shipment or pickup requests capture of its share."
    )
    # Customer e-mails (orders/notifications): sender, branding, one switch per e-mail.
    email_from = models.EmailField(
        blank=True, help_text="Sender address of customer e-mails; empty: DEFAULT_FROM_EMAIL."
    )
    email_reply_to = models.EmailField(blank=True)
    email_brand_name = models.CharField(
        max_length=100, blank=True, help_text="Name shown in e-mails; empty: the channel's name."
    )
    email_brand_color = models.CharField(
        max_length=7,
        default="#1f2937",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #1f2937.")],
        help_text="Header and button colour of the HTML e-mails.",
    )
    email_logo_url = models.URLField(blank=True, help_text="Logo in the e-mail header.")
    email_footer = models.TextField(blank=True, help_text="Address, legal notice, contact.")
    email_order_confirmed = models.BooleanField("e-mail: order confirmed", default=True)
    email_order_shipped = models.BooleanField("e-mail: shipped (tracking link)", default=True)
    email_ready_for_pickup = models.BooleanField("e-mail: ready for pickup", default=True)
    email_order_cancelled = models.BooleanField("e-mail: order cancelled", default=True)
    email_refund_issued = models.BooleanField("e-mail: refund issued", default=True)
    email_order_delayed = models.BooleanField("e-mail: pre-order delayed (new date)", default=True)
    # Replaced whenever locations, their channels or strategies change: the key of the
    # per-process routing configuration cache (routing/config_cache.py).
    routing_stamp = models.UUIDField(default=uuid.uuid4, editable=False)
    # Replaced whenever one of the channel's webhook subscriptions changes: the key of the
    # per-process subscription cache (oms/hub/subscription_cache.py).
    webhooks_stamp = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def inbound_horizon_for(self, location_kind: str) -> int:
        """Days ahead inbound stock at a location of this kind is sellable (pre-orders)."""
        override = (self.inbound_horizon_by_kind or {}).get(location_kind)
        if isinstance(override, int) and not isinstance(override, bool) and override >= 0:
            return override
        return self.inbound_horizon_days


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to attack);
    # a slow KDF would put ~100 ms on every API request.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A channel's API key. Only the SHA-256 of the key is stored; the key is shown once."""

    class Scope(models.TextChoices):
        ORDERS = "orders", "Orders"
        STOCK_WRITE = "stock_write", "Stock feeds"
        LOCATION = "location", "Location operations"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, blank=True)
    # A location system's key: the id of its location (it then sees that location's
    # fulfilments). A plain id, not a foreign key, because locations are inventory's and the
    # platform sits below inventory; inventory checks and binds it (inventory/api_keys.py) and
    # revokes the keys of a location that is deleted.
    location_id = models.BigIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Set for a location system's key: it then sees that location's fulfilments.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def matches(self, raw_key: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_api_key(raw_key))

    @staticmethod
    def generate() -> tuple[str, str]:
        """A new (prefix, raw key). The prefix identifies the row without the secret."""
        prefix = secrets.token_hex(4)
        return prefix, f"oms_{prefix}_{secrets.token_urlsafe(32)}"

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class OutboxMessage(models.Model):
    """A published message: the public body of one event, written in the same transaction as
    the change it describes (`transaction.on_commit` alone would lose it if the process died
    between commit and send). Its deliveries (`oms.hub.models.Delivery`, one per target)
    carry the status; the channel-wide feed reads these rows in commit order (`txid`).
    """

    topic = models.CharField(max_length=100, help_text="The event type, e.g. order_placed.")
    # Indexed by outbox_feed_idx (channel, txid, id), which leads with it.
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    order_id = models.BigIntegerField(null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField()
    # PostgreSQL's id of the writing transaction (pg_current_xact_id): the feed only shows
    # rows below the oldest running transaction, so a late commit is never skipped.
    txid = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["channel", "txid", "id"], name="outbox_feed_idx")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


from .hub.models import Delivery, DeliveryAttempt, WebhookSubscription  # noqa: E402

__all__ = [
    "ApiKey",
    "Channel",
    "Delivery",
    "DeliveryAttempt",
    "OutboxMessage",
    "WebhookSubscription",
]
