"""`/metrics`: Prometheus figures for operators, with `prometheus-client`.

Two kinds of figures:
- **Counters** of things that happen in a request (orders placed / refused). gunicorn runs
  several worker processes, so with `PROMETHEUS_MULTIPROC_DIR` set (as `make up` does) every
  process writes its counters to files in that directory and a scrape adds them up
  (prometheus-client's multiprocess mode; gunicorn's `child_exit` hook marks dead workers).
  Without it (runserver, tests) the counters live in this process.
- **Backlog gauges computed from the database at scrape time** (outbox, waiting room,
  deliveries): the database is the truth, whichever process changed it. Apps register a
  source with `metrics_source(name, fn)` in their `AppConfig.ready()`, so `oms` needs no
  import of the apps above it. A failing source does not fail the scrape: it reports
  `oms_metrics_source_up{source=...} 0`.

Access: a bearer token (`METRICS_TOKEN`) or a client address in `METRICS_ALLOWED_IPS`
(loopback by default in development, nothing in production). Behind a reverse proxy on the
same host every client looks like 127.0.0.1: use the token there.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .models import Delivery

logger = logging.getLogger(__name__)
MetricSource = Callable[[], Iterable[Metric]]
_sources: dict[str, MetricSource] = {}


def metrics_source(name: str, source: MetricSource) -> None:
    """Register (or replace) a scrape-time source of metric families under `name`."""
    _sources[name] = source


def age_seconds(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def backlog_gauges(
    prefix: str, what: str, counts: dict[str, int], oldest: datetime | None, *, label: str
) -> Iterator[Metric]:
    """`<prefix>{<label>=...}` counts and `<prefix>_oldest_age_seconds` of the oldest row."""
    by_status = GaugeMetricFamily(prefix, f"{what} by {label}", labels=[label])
    for value, count in sorted(counts.items()):
        by_status.add_metric([value], count)
    yield by_status
    yield GaugeMetricFamily(
        f"{prefix}_oldest_age_seconds",
        f"Age of the oldest pending {what} (0 when none is pending)",
        value=age_seconds(oldest, timezone.now()),
    )


def _deliveries_source() -> Iterator[Metric]:
    """The status hub's backlog: deliveries (one per published message and target)."""
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())
    counts = {status: counts.get(status, 0) for status in Delivery.Status.values}
    oldest = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(
        oldest=Min("created_at")
    )["oldest"]
    yield from backlog_gauges("oms_deliveries", "deliveries", counts, oldest, label="status")


metrics_source("deliveries", _deliveries_source)


class _ScrapeCollector:
    """Everything one scrape exposes: this process's (or all processes') counters, then
    every registered database source."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client.multiprocess import MultiProcessCollector

            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        up = GaugeMetricFamily(
            "oms_metrics_source_up", "1 if the source answered this scrape", labels=["source"]
        )
        for name, source in sorted(_sources.items()):
            try:
                families = list(source())
            except Exception:
                logger.exception("metrics source %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


def scrape() -> bytes:
    """The exposition text of one scrape."""
    return generate_latest(_ScrapeCollector())


def metrics_access_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        if hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode()):
            return True
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_IPS


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        response = JsonResponse(
            {
                "code": "metrics_forbidden",
                "message": "Send 'Authorization: Bearer <METRICS_TOKEN>' or scrape from an "
                "allowed address.",
                "details": {},
            },
            status=401 if settings.METRICS_TOKEN else 403,
        )
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
