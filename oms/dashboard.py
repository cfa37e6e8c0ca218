"""The staff console's landing page: work queues and today's figures.

The platform knows no domain app (layers point down), so each app registers its queues and
figures here from its `AppConfig.ready`: a label, a count, the filtered admin list it links
to, and the permission a staff member needs to see it. The admin site's index
(`oms.admin_site`) shows those the user may see. Every count is one indexed query
(benchmarks/bench_console.py times the page on 200,000 orders).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone


@dataclass(frozen=True)
class Queue:
    """Work waiting for a person: a count linking to the list of it."""

    key: str
    group: str  # the menu group it belongs to ("Orders", "Returns", "Integration", ...)
    label: str
    count: Callable[[], int]
    url_name: str  # an admin URL name, e.g. "admin:orders_order_changelist"
    query: str = ""  # the list's filter, e.g. "attention=escalated"
    permission: str = ""  # to see it (empty: any staff member)
    help: str = ""


@dataclass(frozen=True)
class Figure:
    """A number for today (since local midnight). With `breakdown` ((name, count) pairs in
    one query), the page shows its parts and their sum; `value` must give that same sum."""

    key: str
    label: str
    value: Callable[[datetime], int]
    permission: str = ""
    url_name: str = ""
    query: str = ""
    breakdown: Callable[[datetime], list[tuple[str, int]]] | None = None


def _figure(figure: Figure, since: datetime) -> dict[str, Any]:
    parts = figure.breakdown(since) if figure.breakdown else []
    return {
        "key": figure.key,
        "label": figure.label,
        "value": sum(n for _, n in parts) if figure.breakdown else figure.value(since),
        "parts": parts,
        "url": _url(figure.url_name, figure.query),
    }


QUEUES: list[Queue] = []
FIGURES: list[Figure] = []


def dashboard_queue_register(queue: Queue) -> None:
    if all(q.key != queue.key for q in QUEUES):
        QUEUES.append(queue)


def dashboard_figure_register(figure: Figure) -> None:
    if all(f.key != figure.key for f in FIGURES):
        FIGURES.append(figure)


def _url(url_name: str, query: str) -> str:
    if not url_name:
        return ""
    try:
        url = reverse(url_name)
    except NoReverseMatch:  # the list is not in this admin (yet): show the count only
        return ""
    return f"{url}?{query}" if query else url


def start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def dashboard_context(user: Any) -> dict[str, Any]:
    """Queues (grouped) and today's figures the user may see."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for queue in QUEUES:
        if queue.permission and not user.has_perm(queue.permission):
            continue
        groups.setdefault(queue.group, []).append(
            {
                "key": queue.key,
                "label": queue.label,
                "count": queue.count(),
                "url": _url(queue.url_name, queue.query),
                "help": queue.help,
            }
        )
    since = start_of_today()
    figures = [
        _figure(figure, since)
        for figure in FIGURES
        if not figure.permission or user.has_perm(figure.permission)
    ]
    return {"queue_groups": list(groups.items()), "figures": figures, "today": since}
