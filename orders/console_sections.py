"""Sections that apps above `orders` add to the order console (the returns app shows the
order's returns). Layers point down: `orders` only calls what was registered with it. A
section's context gets the order and the staff user (to offer only what they may do)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Order


@dataclass(frozen=True)
class ConsoleSection:
    template: str
    context: Callable[[Order, Any], dict[str, Any]]


SECTIONS: list[ConsoleSection] = []


def console_section_register(
    *, template: str, context: Callable[[Order, Any], dict[str, Any]]
) -> None:
    """Called from an upper app's `AppConfig.ready`."""
    if all(s.template != template for s in SECTIONS):
        SECTIONS.append(ConsoleSection(template, context))


def console_sections(order: Order, user: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(section.template, section.context(order, user)) for section in SECTIONS]


# Per-line figures that apps above `orders` know (the returns app: units returned).
LINE_COUNTS: dict[str, Callable[[Order], dict[int, int]]] = {}


def console_line_counts_register(*, label: str, counts: Callable[[Order], dict[int, int]]) -> None:
    """`counts(order)` -> order line id -> a number shown in the lines table under `label`."""
    LINE_COUNTS.setdefault(label, counts)


def console_line_counts(order: Order) -> list[tuple[str, dict[int, int]]]:
    return [(label, counts(order)) for label, counts in LINE_COUNTS.items()]
