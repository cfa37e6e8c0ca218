"""Delivery targets: the extension point of the status hub.

A *target kind* decides, inside the transaction that publishes messages, which deliveries
each message gets (`plan`), and later sends one delivery (`send`), outside any transaction.
The dispatcher (`oms/hub/dispatch.py`) does everything else the same way for every kind:
claiming with a short lease, per-(key, sequence) ordering, retries with backoff and jitter,
`Retry-After`, the attempt log, replay and the sweep.

Adding a kind (e.g. customer e-mails)::

    class EmailTarget:
        kind = "email"

        def plan(self, messages: Sequence[MessageDraft]) -> list[PlannedDelivery]:
            # Runs in the publishing transaction; keep it to one query at most.
            return [
                PlannedDelivery(index=i, kind=self.kind, target=m.subject.customer_email)
                for i, m in enumerate(messages) if m.topic in NOTIFIED
            ]

        def send(self, delivery: Delivery) -> SendResult:
            # Runs in autocommit, no locks held. Raise or return ok=False to retry.
            send_mail(...)
            return SendResult(ok=True)

    register_target(EmailTarget())          # in an AppConfig.ready()

`PlannedDelivery.ordering_key` (e.g. f"email:{order_id}") makes the kind's deliveries of a
key arrive in `sequence` order; leave it empty for unordered ones. `subscription_id` is for
webhook deliveries only. Only public messages are ever published, so no kind can see an
internal event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Delivery


@dataclass(frozen=True)
class MessageDraft:
    """A message about to be published. `subject` is the object it is about (e.g. the
    Order) for targets that need more than the payload; `channel` is the channel row as the
    publisher read it, when it has it (per-process caches key on its stamps). Neither is
    stored."""

    topic: str
    payload: dict[str, Any]
    channel_id: int | None = None
    order_id: int | None = None
    sequence: int | None = None
    subject: Any = field(default=None, compare=False, repr=False)
    channel: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PlannedDelivery:
    """A delivery to create for `messages[index]`."""

    index: int
    kind: str
    subscription_id: int | None = None
    target: str = ""
    ordering_key: str = ""


@dataclass(frozen=True)
class SendResult:
    """What a target reports after one try. `retry_after`: seconds the receiver asked us to
    wait; `permanent`: do not retry this delivery; `disable_subscription`: the receiver
    asked us to stop (410 Gone)."""

    ok: bool
    status_code: int | None = None
    response_excerpt: str = ""
    error: str = ""
    retry_after: float | None = None
    permanent: bool = False
    disable_subscription: bool = False


class DeliveryTarget(Protocol):
    kind: str

    def plan(self, messages: Sequence[MessageDraft]) -> list[PlannedDelivery]: ...

    def send(self, delivery: Delivery) -> SendResult: ...


_targets: dict[str, DeliveryTarget] = {}


def register_target(target: DeliveryTarget) -> None:
    """Register (or replace) the target of `target.kind`."""
    _targets[target.kind] = target


def unregister_target(kind: str) -> None:
    _targets.pop(kind, None)


def target_for(kind: str) -> DeliveryTarget | None:
    return _targets.get(kind)


def plan_deliveries(messages: Sequence[MessageDraft]) -> list[PlannedDelivery]:
    """Every registered kind's deliveries for these messages, in registration order."""
    if not messages:
        return []
    planned: list[PlannedDelivery] = []
    for target in list(_targets.values()):
        planned.extend(target.plan(messages))
    return planned
