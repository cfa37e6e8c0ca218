"""Create or update the staff groups (oms.roles) with exactly the permissions each role needs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from oms.roles import ROLES, role_permissions


class Command(BaseCommand):
    help = "Create or update the staff groups (agent) with only the permissions they need."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for role in sorted(ROLES):
                wanted = role_permissions(role)
                found = list(
                    Permission.objects.filter(
                        content_type__app_label__in={p.split(".")[0] for p in wanted}
                    ).select_related("content_type")
                )
                by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in found}
                missing = [p for p in wanted if p not in by_name]
                if missing:
                    raise CommandError(f"Unknown permissions for {role}: {', '.join(missing)}")
                group, created = Group.objects.get_or_create(name=role)
                group.permissions.set([by_name[p] for p in wanted])
                verb = "created" if created else "updated"
                self.stdout.write(f"{role}: {verb} with {len(wanted)} permissions")
