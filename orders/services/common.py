"""What every order service starts from: the locked order's lines and fulfilments, and
firing a fulfilment transition (refused with the allowed ones when it may not happen)."""

from __future__ import annotations

from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed
from django_fsm import can_proceed

from ..errors import TransitionNotAllowed
from ..models import Fulfilment, Order, OrderLine


def load_order(order: Order) -> tuple[dict[int, OrderLine], list[Fulfilment]]:
    """The locked order's lines and fulfilments (with lines), for the services."""
    lines = {line.pk: line for line in order.lines.all()}
    fulfilments = list(
        order.fulfilments.select_related("location").prefetch_related("lines").order_by("pk")
    )
    for fulfilment in fulfilments:
        fulfilment.order = order  # conditions read the order; no extra query
    return lines, fulfilments


def fulfilment_fire(fulfilment: Fulfilment, method: str) -> None:
    bound = getattr(fulfilment, method)
    if not can_proceed(bound):
        raise TransitionNotAllowed(
            details={
                "fulfilment_id": fulfilment.pk,
                "state": fulfilment.state,
                "action": method,
                "allowed": sorted(
                    # added to the model by django-fsm at class creation
                    t.name
                    for t in fulfilment.get_available_state_transitions()  # type: ignore[attr-defined]
                ),
            }
        )
    try:
        bound()
    except FSMTransitionNotAllowed:
        raise TransitionNotAllowed(details={"fulfilment_id": fulfilment.pk, "action": method})
