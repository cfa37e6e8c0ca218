"""Sections that apps above `orders` add to the order console (the returns app shows the
order's returns). Layers point down: `orders` only calls what was registered with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Order


@dataclass(frozen=True)
class ConsoleSection:
    template: str
    context: Callable[[Order], dict[str, Any]]


SECTIONS: list[ConsoleSection] = []


def console_section_register(*, template: str, context: Callable[[Order], dict[str, Any]]) -> None:
    """Called from an upper app's `AppConfig.ready`."""
    if all(s.template != template for s in SECTIONS):
        SECTIONS.append(ConsoleSection(template, context))


def console_sections(order: Order) -> list[tuple[str, dict[str, Any]]]:
    return [(section.template, section.context(order)) for section in SECTIONS]
