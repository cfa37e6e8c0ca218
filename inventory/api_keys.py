"""Location systems' API keys: binding a key to a location, and revoking the keys of a deleted
location. The platform's `ApiKey` holds only the location's id (it sits below inventory), so
inventory does the checks a foreign key would have done."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from oms.models import ApiKey

from .errors import UnknownLocation
from .models import Location


def api_key_location_bind(*, key: ApiKey, location_code: str) -> Location:
    """Bind `key` to the location with this code: the key then sees that location's
    fulfilments. Raises `UnknownLocation`."""
    location = Location.objects.filter(code=location_code).first()
    if location is None:
        raise UnknownLocation(details={"location": location_code})
    key.location_id = location.pk
    key.save(update_fields=["location_id"])
    return location


def api_key_location(*, key: ApiKey) -> Location | None:
    """The location a key is bound to (None: a channel's key)."""
    if key.location_id is None:
        return None
    return Location.objects.filter(pk=key.location_id).first()


@receiver(post_delete, sender=Location, dispatch_uid="inventory.revoke_location_keys")
def revoke_keys_of_deleted_location(sender: Any, instance: Location, **kwargs: Any) -> None:
    """A deleted location's keys stop working (the foreign key used to delete them)."""
    with transaction.atomic():
        ApiKey.objects.filter(location_id=instance.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
