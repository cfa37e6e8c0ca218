"""Keep the per-process routing configuration cache honest: any change to locations, the
channels they serve or strategies gives every channel a new routing stamp."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from inventory.models import Location

from .config_cache import routing_config_changed
from .models import RoutingStrategy, StrategyVersion


@receiver(post_save, sender=Location, dispatch_uid="routing_location_saved")
@receiver(post_delete, sender=Location, dispatch_uid="routing_location_deleted")
@receiver(post_save, sender=RoutingStrategy, dispatch_uid="routing_strategy_saved")
@receiver(post_delete, sender=RoutingStrategy, dispatch_uid="routing_strategy_deleted")
@receiver(post_save, sender=StrategyVersion, dispatch_uid="routing_version_saved")
@receiver(post_delete, sender=StrategyVersion, dispatch_uid="routing_version_deleted")
def _routing_model_changed(sender: Any, **kwargs: Any) -> None:
    routing_config_changed()


@receiver(m2m_changed, sender=Location.channels.through, dispatch_uid="routing_channels_changed")
def _location_channels_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        routing_config_changed()
