"""Routing writes: strategy versions (draft -> active -> retired)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .errors import StrategyInvalid, StrategyNotDraft
from .models import RoutingStrategy, StrategyVersion

_COPIED_FIELDS = [
    "max_distance_km",
    "rating_weights",
    "tag_preferences",
    "split_allowed",
    "max_parts",
    "min_part_value",
    "allow_transfer_to_pickup",
    "transfer_days",
]


def strategy_draft_create(
    *, strategy: RoutingStrategy, actor: str, copy_from: StrategyVersion | None = None
) -> StrategyVersion:
    """A new draft, copied from `copy_from` (or the active version) when there is one."""
    with transaction.atomic():
        RoutingStrategy.objects.select_for_update().get(pk=strategy.pk)
        last = strategy.versions.order_by("-number").first()
        source = copy_from or strategy.versions.filter(status=StrategyVersion.Status.ACTIVE).first()
        draft = StrategyVersion(
            strategy=strategy, number=(last.number + 1) if last else 1, created_by=actor
        )
        if source is not None:
            for name in _COPIED_FIELDS:
                setattr(draft, name, getattr(source, name))
            draft.notes = f"Copied from v{source.number}"
        else:
            draft.rating_weights = {"shipping_cost": 1.0}
        draft.save()
        return draft


def strategy_version_activate(*, version: StrategyVersion, actor: str) -> StrategyVersion:
    """Make a draft the live version; the previously active one is retired."""
    with transaction.atomic():
        version = StrategyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != StrategyVersion.Status.DRAFT:
            raise StrategyNotDraft(details={"status": version.status})
        try:
            version.full_clean()
        except ValidationError as exc:
            raise StrategyInvalid(details={"problems": exc.messages})
        StrategyVersion.objects.filter(
            strategy_id=version.strategy_id, status=StrategyVersion.Status.ACTIVE
        ).update(status=StrategyVersion.Status.RETIRED)
        version.status = StrategyVersion.Status.ACTIVE
        version.activated_at = timezone.now()
        version.activated_by = actor
        version.save(update_fields=["status", "activated_at", "activated_by"])
        return version


BUILT_IN_NAME = "default"


def strategy_from_built_in_create(*, actor: str, name: str = BUILT_IN_NAME) -> StrategyVersion:
    """A strategy for every order (no channel, country or delivery type) whose draft v1 holds
    the built-in default's rules, to tune and activate; until then the built-in one applies."""
    with transaction.atomic():
        strategy = RoutingStrategy.objects.create(
            name=name,
            description="Copy of the built-in default strategy: applies to every order no more "
            "specific strategy matches.",
            precedence=-1,
        )
        draft = strategy_draft_create(strategy=strategy, actor=actor)
        draft.notes = "Copied from the built-in default"
        draft.save(update_fields=["notes"])
        return draft
