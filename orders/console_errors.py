"""What an agent reads when the console refuses an edit: the service's message, without the
machine code, and for "out of stock" which SKU is short and why, location by location.

The "why" comes from the router itself: the short units are planned again (nothing is
reserved) and the decision log says, per location, which fence removed it (inactive, excluded
for this order, does not ship to the country, capacity reached, too far) or how many units it
has available. No second set of rules to drift from the routing's.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from inventory.errors import InsufficientStock
from oms.errors import OMSError, error_words

from .console import reasons_text
from .models import Order

LOCATIONS_SHOWN = 6


def console_error_text(
    exc: OMSError, order: Order | None = None, *, also_excluded: Iterable[int] = ()
) -> str:
    """The sentence(s) an agent reads for a refused edit (no error code). `also_excluded`:
    locations the refused edit excluded (a reroute), for the explanation."""
    if isinstance(exc, InsufficientStock) and order is not None:
        if also_excluded:  # explain the routing the agent asked for (on a copy, not saved)
            order = copy.copy(order)
            order.excluded_location_ids = sorted(
                {*(order.excluded_location_ids or ()), *also_excluded}
            )
        details = exc.details if isinstance(exc.details, Mapping) else {}
        parts = [exc.message]
        if details.get("reasons"):
            parts.append(f"Why: {reasons_text(details['reasons'])}.")
        parts += shortage_lines(order=order, short=list(details.get("lines") or ()))
        return " ".join(parts)
    return error_words(exc)


def shortage_lines(*, order: Order, short: list[Mapping[str, Any]]) -> list[str]:
    """One sentence per short line: SKU, units missing, and each location's answer."""
    from .services.allocation import plan_quantities  # the router's own view, nothing held

    lines = {line.pk: line for line in order.lines.all()}
    by_number = {line.line_number: line for line in lines.values()}
    quantities: dict[int, int] = {}
    for item in short:
        line = by_number.get(item.get("line"))  # type: ignore[arg-type]
        missing = item.get("missing") or item.get("quantity") or 0
        if line is not None and isinstance(missing, int) and missing > 0:
            quantities[line.pk] = missing
    if not quantities:
        return []
    plan, _chosen, snapshot = plan_quantities(order=order, lines=lines, quantities=quantities)
    atp = {c.location_id: c.atp for c in snapshot.candidates}
    entries = list(plan.decision_log.get("candidates") or ())
    out = []
    for pk, missing in quantities.items():
        sku = lines[pk].sku
        answers: list[tuple[int, str]] = []
        for entry in entries:
            code, fence = entry.get("code", "?"), entry.get("eliminated_by")
            available = atp.get(entry.get("location_id"), {}).get(sku, 0)
            if fence and fence not in ("no_stock", "incomplete_stock"):
                answers.append((-1, f"{code} {entry.get('reason') or fence}"))
            else:
                answers.append((available, f"{code} has {available} available"))
        answers.sort(key=lambda a: -a[0])
        shown = [text for _, text in answers[:LOCATIONS_SHOWN]]
        if len(answers) > LOCATIONS_SHOWN:
            shown.append(f"{len(answers) - LOCATIONS_SHOWN} more")
        where = "; ".join(shown) or "no location serves this channel"
        out.append(f"Line {lines[pk].line_number} {sku}: {missing} unit(s) missing ({where}).")
    return out
