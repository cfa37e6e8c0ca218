"""Staff roles as Django groups, with only the permissions the role needs.

Each app names what its part of a role needs (from its `AppConfig.ready`); `manage.py
setup_groups` creates or updates the groups to exactly that (idempotent: run it after every
deploy). The platform names no domain permission itself (layers point down).

Roles: `agent` (customer service: finds and edits orders, reads stock, routing, returns and
failed deliveries, approves returns; no plumbing: outbox, tasks, API keys, subscriptions, users).
"""

from __future__ import annotations

from collections.abc import Iterable

ROLES: dict[str, set[str]] = {}
ROLE_DESCRIPTIONS = {
    "agent": "Customer service: orders, their edits and returns; reads stock and routing.",
}


def role_permissions_register(role: str, permissions: Iterable[str]) -> None:
    """`permissions` as "app_label.codename"."""
    ROLES.setdefault(role, set()).update(permissions)


def role_permissions(role: str) -> list[str]:
    return sorted(ROLES.get(role, ()))
