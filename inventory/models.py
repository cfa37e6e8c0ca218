"""Inventory: locations, products, stock levels, inbound stock, reservations, the ledger.

Invariants held by the database, not by hope:
- quantities never negative; reserved never above on hand (CheckConstraints);
- a stock level's on_hand and reserved always equal the sums of its movements (ledger);
- a level's reserved equals the sum of its active reservations.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from oms.models import Channel
from oms.text import reject_control_characters

# Quantities are PostgreSQL integers (max 2,147,483,647): refuse anything near that as input
# instead of failing with a DataError (a 500) on write. No real stock level comes close.
MAX_QUANTITY = 1_000_000_000


class Location(models.Model):
    """A place that holds stock and fulfils orders: warehouse, store or supplier (dropship)."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse"
        STORE = "store", "Store"
        SUPPLIER = "supplier", "Supplier / dropship"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    active = models.BooleanField(default=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 country code.")
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    ships = models.BooleanField("ship to address", default=True)
    click_collect = models.BooleanField("click & collect pickup", default=False)
    accepts_returns = models.BooleanField(default=False)
    own_delivery = models.BooleanField(
        "own delivery",
        default=False,
        help_text="Parcels go out with the location's own drivers: shipping needs no carrier "
        "or tracking number.",
    )
    daily_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Orders it can take per day; empty means unlimited."
    )
    processing_days = models.PositiveSmallIntegerField(
        default=0, help_text="Working days from order to handover to the carrier."
    )
    cutoff_hour = models.PositiveSmallIntegerField(
        default=14,
        validators=[MaxValueValidator(23)],
        help_text="Orders after this hour (location time) start the next day.",
    )
    base_cost = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, help_text="Cost per fulfilment (parcel)."
    )
    cost_per_km = models.DecimalField(max_digits=8, decimal_places=4, default=0)
    priority = models.IntegerField(default=0, help_text="Manual routing priority; higher wins.")
    tags = models.JSONField(default=list, blank=True)
    served_countries = models.JSONField(
        default=list, blank=True, help_text="Countries it ships to; empty means its own only."
    )
    channels = models.ManyToManyField(Channel, related_name="locations", blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(condition=Q(cutoff_hour__lte=23), name="location_cutoff_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def services(self) -> list[str]:
        offered = []
        if self.ships:
            offered.append("ship")
        if self.click_collect:
            offered.append("click_collect")
        if self.accepts_returns:
            offered.append("returns")
        return offered


class Product(models.Model):
    """A sellable SKU."""

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = "product (SKU)"
        verbose_name_plural = "products (SKUs)"

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class StockLevel(models.Model):
    """Stock of one SKU at one location. Change it only through inventory.services."""

    # No index of its own: stock_level_unique (location, product) leads with it.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="stock_levels", db_index=False
    )
    # No index of its own: stock_product_location (product, location) leads with it.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="stock_levels", db_index=False
    )
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    safety_stock = models.IntegerField(default=0)
    # Timestamp of the newest absolute update applied: an older feed never overwrites it.
    last_counted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location_id", "product_id"]
        permissions = [("adjust_stock", "Can adjust stock on hand (with a reason)")]
        constraints = [
            models.UniqueConstraint(fields=["location", "product"], name="stock_level_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_non_negative"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="stock_safety_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
        ]
        indexes = [models.Index(fields=["product", "location"], name="stock_product_location")]

    def __str__(self) -> str:
        return f"{self.product.sku} at {self.location.name}"

    @property
    def available(self) -> int:
        """Available to promise: on hand - reserved - safety stock, never below 0."""
        return max(0, self.on_hand - self.reserved - self.safety_stock)


class InboundStock(models.Model):
    """Expected (future) stock: a purchase order or transfer line with an expected date."""

    class Kind(models.TextChoices):
        PURCHASE_ORDER = "purchase_order", "Purchase order"
        TRANSFER = "transfer", "Transfer"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    # No index of its own: inbound_unique_reference (location, product, reference) leads with it.
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="inbound", db_index=False
    )
    # No index of its own: inbound_product_status (product, status) leads with it.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="inbound", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PURCHASE_ORDER)
    reference = models.CharField(
        max_length=100,
        validators=[reject_control_characters],
        help_text="Purchase order or transfer number.",
    )
    expected_date = models.DateField()
    quantity_expected = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    quantity_received = models.PositiveIntegerField(default=0)
    # Units promised to pre-orders (active InboundReservations); never above what is still
    # expected (CHECK), so inbound stock cannot be oversold either.
    quantity_reserved = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expected_date", "id"]
        verbose_name = "inbound stock"
        verbose_name_plural = "inbound stock"
        permissions = [("receive_inbound", "Can receive inbound stock")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_expected__gt=0), name="inbound_expected_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity_expected")),
                name="inbound_received_within_expected",
            ),
            models.UniqueConstraint(
                fields=["location", "product", "reference"], name="inbound_unique_reference"
            ),
            models.CheckConstraint(
                condition=Q(quantity_reserved__gte=0)
                & Q(quantity_reserved__lte=F("quantity_expected") - F("quantity_received")),
                name="inbound_reserved_within_outstanding",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(quantity_reserved=0),
                name="inbound_reserved_only_open",
            ),
        ]
        indexes = [models.Index(fields=["product", "status"], name="inbound_product_status")]

    def __str__(self) -> str:
        return (
            f"{self.reference}: {self.quantity_expected} x {self.product.sku} "
            f"for {self.location.name}, expected {self.expected_date:%Y-%m-%d}"
        )

    @property
    def quantity_outstanding(self) -> int:
        return self.quantity_expected - self.quantity_received

    @property
    def quantity_sellable(self) -> int:
        """Inbound available to promise: expected - received - reserved by pre-orders."""
        if self.status != self.Status.OPEN:
            return 0
        return max(0, self.quantity_outstanding - self.quantity_reserved)


class Reservation(models.Model):
    """Units of one stock level held for someone (an order line, a checkout hold)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RELEASED = "released", "Released"
        CONSUMED = "consumed", "Consumed (shipped)"

    stock_level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="reservations"
    )
    quantity = models.PositiveIntegerField()
    holder = models.CharField(
        max_length=100, db_index=True, help_text="What holds it, e.g. 'fulfilment-line:42'."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_positive"),
        ]
        indexes = [
            models.Index(
                fields=["stock_level"],
                condition=Q(status="active"),
                name="reservation_active_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} for {self.holder} ({self.status})"


class InboundReservation(models.Model):
    """Units of one inbound line promised to a pre-order (an order line's fulfilment line).

    On receipt it converts into a stock `Reservation` at the location (`converted_to`);
    a slip, reduction or cancellation of the line releases it and the order is re-planned.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CONVERTED = "converted", "Converted (goods received)"
        RELEASED = "released", "Released"

    inbound = models.ForeignKey(InboundStock, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    holder = models.CharField(max_length=100, db_index=True)
    # Receipts convert the highest priority first, then the oldest (lowest id).
    priority = models.SmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    converted_to = models.OneToOneField(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="inbound_reservation_positive"
            ),
        ]
        indexes = [
            models.Index(
                fields=["inbound", "-priority", "id"],
                condition=Q(status="active"),
                name="inbound_reservation_active_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of inbound {self.inbound_id} for {self.holder} ({self.status})"


class StockMovement(models.Model):
    """One append-only entry of the stock ledger. Never updated, never deleted."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt (inbound)"
        ADJUSTMENT = "adjustment", "Adjustment"
        COUNT = "count", "Count / absolute update"
        RESERVATION = "reservation", "Reservation"
        RELEASE = "release", "Release"
        SHIPMENT = "shipment", "Shipment"
        RETURN = "return", "Return restock"
        SAFETY = "safety", "Safety stock change"

    # Indexed by movement_level_idx (stock_level, id), which leads with it.
    stock_level = models.ForeignKey(
        StockLevel, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    safety_stock_delta = models.IntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    actor = models.CharField(max_length=150, help_text="user:<name>, api-key:<prefix>, system")
    reservation = models.ForeignKey(
        Reservation, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["stock_level", "id"], name="movement_level_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.on_hand_delta:+d}/{self.reserved_delta:+d} ({self.reference})"
