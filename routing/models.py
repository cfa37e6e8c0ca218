"""Routing strategies: chosen by context, versioned (draft -> active -> retired).

A version's rules are frozen once it has been activated: the orders it routed record it,
and their decision logs must stay explainable. Edit a draft; activate it to go live.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from oms.models import Channel


class RoutingStrategy(models.Model):
    """Which orders a strategy applies to. Empty selectors match everything; the most
    specific matching strategy wins, then the higher `precedence`."""

    class DeliveryType(models.TextChoices):
        SHIP = "ship", "Ship to address"
        CLICK_COLLECT = "click_collect", "Click & collect"

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="strategies"
    )
    destination_country = models.CharField(max_length=2, blank=True)
    delivery_type = models.CharField(max_length=20, choices=DeliveryType.choices, blank=True)
    precedence = models.IntegerField(
        default=0, help_text="Breaks ties between equally specific strategies."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "routing strategies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Contexts are matched by exact, upper-case country codes: "de" would never match.
        self.destination_country = (self.destination_country or "").strip().upper()
        if self.destination_country and not (
            len(self.destination_country) == 2 and self.destination_country.isalpha()
        ):
            raise ValidationError(
                {"destination_country": "Give an ISO 3166-1 alpha-2 code (e.g. DE) or leave empty."}
            )

    @property
    def specificity(self) -> int:
        return sum(
            1
            for selector in (self.channel_id, self.destination_country, self.delivery_type)
            if selector
        )


class StrategyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    # No index of its own: strategy_version_unique (strategy, number) leads with it.
    strategy = models.ForeignKey(
        RoutingStrategy, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)

    # Fences
    # Half the equator: no two places on Earth are further apart.
    max_distance_km = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(20_040)]
    )
    # Ratings: rating name -> weight (see routing.planner.RATING_NAMES)
    rating_weights = models.JSONField(default=dict, blank=True)
    tag_preferences = models.JSONField(default=dict, blank=True, help_text="tag -> bonus")
    # Splitting
    split_allowed = models.BooleanField(default=True)
    max_parts = models.PositiveSmallIntegerField(null=True, blank=True)
    min_part_value = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # Click & collect
    allow_transfer_to_pickup = models.BooleanField(default=False)
    transfer_days = models.PositiveSmallIntegerField(default=2)

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["strategy", "-number"]
        permissions = [("activate_strategyversion", "Can activate a routing strategy version")]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "number"], name="strategy_version_unique"),
            models.UniqueConstraint(
                fields=["strategy"],
                condition=Q(status="active"),
                name="strategy_one_active_version",
            ),
            models.CheckConstraint(
                condition=Q(max_parts__isnull=True) | Q(max_parts__gte=1),
                name="strategy_max_parts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.strategy.name} v{self.number} ({self.status})"

    def to_config(self):  # type: ignore[no-untyped-def]
        from routing.planner import SplitPolicy, StrategyConfig

        return StrategyConfig(
            name=self.strategy.name,
            version=self.number,
            max_distance_km=self.max_distance_km,
            rating_weights=dict(self.rating_weights or {"shipping_cost": 1.0}),
            tag_preferences=dict(self.tag_preferences or {}),
            split=SplitPolicy(
                allowed=self.split_allowed,
                max_parts=self.max_parts,
                min_part_value=Decimal(self.min_part_value),
            ),
            allow_transfer_to_pickup=self.allow_transfer_to_pickup,
            transfer_days=self.transfer_days,
        )

    def clean(self) -> None:
        from routing.planner import validate_strategy

        if not isinstance(self.rating_weights, dict):
            raise ValidationError({"rating_weights": "Give an object of rating name -> weight."})
        if not isinstance(self.tag_preferences, dict):
            raise ValidationError({"tag_preferences": "Give an object of tag -> bonus."})
        try:
            problems = validate_strategy(self.to_config())
        except (TypeError, ValueError) as exc:
            problems = [str(exc)]
        if problems:
            raise ValidationError(problems)
