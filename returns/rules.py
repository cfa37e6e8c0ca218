"""What may be done to a return now, and why not: the one rule the services enforce (they
raise `return_transition_not_allowed`) and the console shows (a button disabled with the
reason). Lifecycle steps are django-fsm transitions (their sources and permissions are
declared on the model); inspecting and refunding are steps inside a state, listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_fsm import can_proceed

from .errors import ReturnTransitionNotAllowed
from .models import INSPECT_PERMISSION as INSPECT
from .models import TRANSITION_PERMISSION as TRANSITION
from .models import ReturnRequest, ReturnState

ISSUE_REFUND = "orders.issue_refund"
# Any of these lets staff open the returns console.
CONSOLE_PERMISSIONS = (TRANSITION, INSPECT, ISSUE_REFUND)

INSPECTABLE_STATES = (ReturnState.RECEIVED, ReturnState.PARTIALLY_RECEIVED)
REFUNDABLE_STATES = (ReturnState.PARTIALLY_RECEIVED, ReturnState.RECEIVED, ReturnState.INSPECTED)


@dataclass(frozen=True)
class Step:
    """A step staff or systems take on a return: the fsm transition it runs (the state rule
    and permission come from it) or, for steps inside a state, the states and permission."""

    name: str
    label: str
    method: str = ""
    states: tuple[str, ...] = ()
    permission: str = ""


STEPS = {
    step.name: step
    for step in (
        Step("approve", "Approve", method="approve"),
        Step("reject", "Reject", method="reject"),
        Step("ship_back", "Mark in transit", method="ship_back"),
        Step("receive", "Receive parcel", method="receive"),
        Step("inspect", "Inspect", states=INSPECTABLE_STATES, permission=INSPECT),
        Step("refund", "Issue refund", states=REFUNDABLE_STATES, permission=ISSUE_REFUND),
        Step("close", "Close", method="close"),
        Step("cancel", "Cancel return", method="cancel"),
    )
}


def _sources(step: Step) -> list[str]:
    if not step.method:
        return list(step.states)
    meta = getattr(ReturnRequest, step.method)._django_fsm
    return [str(source) for source in meta.transitions]


def step_refusal(ret: ReturnRequest, step_name: str) -> str | None:
    """Why `step_name` cannot be taken on `ret` now (None: it can), permission aside."""
    step = STEPS[step_name]
    if step.name == "refund" and ret.resolution == "exchange":
        return "An exchange is settled by its replacement order, not by a refund."
    allowed = can_proceed(getattr(ret, step.method)) if step.method else ret.state in step.states
    if allowed:
        return None
    labels = " or ".join(ReturnState(s).label.lower() for s in _sources(step))
    return f"Only when the return is {labels}; it is {ReturnState(ret.state).label.lower()}."


def step_require(ret: ReturnRequest, step_name: str) -> None:
    """Raise `return_transition_not_allowed` (409) where `step_refusal` refuses."""
    if step_refusal(ret, step_name) is not None:
        raise ReturnTransitionNotAllowed(
            details={"return_id": ret.pk, "state": ret.state, "action": step_name}
        )


def step_permission(step_name: str) -> str:
    """The permission the step declares (on its fsm transition, or here)."""
    step = STEPS[step_name]
    if not step.method:
        return step.permission
    meta = getattr(ReturnRequest, step.method)._django_fsm
    (permission,) = {t.permission for t in meta.transitions.values()}
    return str(permission)


def step_permitted(step_name: str, user: Any) -> bool:
    return bool(user.has_perm(step_permission(step_name)))
