"""`/metrics`: Prometheus figures for operators, with `prometheus-client`.

Two kinds of figures:
- **Counters** of things that happen in a request (orders placed / refused). gunicorn runs
  several worker processes, so with `PROMETHEUS_MULTIPROC_DIR` set (as `make up` does) every
  process writes its counters to files in that directory and a scrape adds them up
  (prometheus-client's multiprocess mode; gunicorn's `child_exit` hook marks dead workers).
  Without it (runserver, tests) the counters live in this process.
- **Backlog gauges computed from the database at scrape time** (the status hub's
  deliveries, the waiting room): the database is the truth, whichever process changed it,
  and the workers may run on other hosts. Apps register a source with
  `metrics_source(name, fn)` in their `AppConfig.ready()`, so `oms` needs no import of the
  apps above it. A failing source does not fail the scrape: it reports
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
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .models import Delivery, DeliveryAttempt, WebhookSubscription

logger = logging.getLogger(__name__)
MetricSource = Callable[[], Iterable[Metric]]
_sources: dict[str, MetricSource] = {}


def metrics_source(name: str, source: MetricSource) -> None:
    """Register (or replace) a scrape-time source of metric families under `name`."""
    _sources[name] = source


def age_seconds(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def _deliveries_source() -> Iterator[Metric]:
    """The status hub's backlog per target kind (pending rows, read through the hub's
    partial index), failed deliveries, disabled webhook subscriptions, and every delivery
    attempt by target kind and outcome. The last two count whole tables at each scrape:
    cheap while the attempt log is pruned, worth a summary table if it is not."""
    now = timezone.now()
    pending = GaugeMetricFamily(
        "oms_deliveries_pending", "Deliveries waiting to be sent, by target kind", labels=["kind"]
    )
    oldest = GaugeMetricFamily(
        "oms_deliveries_pending_oldest_age_seconds",
        "Age of the oldest pending delivery, by target kind",
        labels=["kind"],
    )
    rows = (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .values_list("kind")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by("kind")
    )
    for kind, n, first in rows:
        pending.add_metric([kind], n)
        oldest.add_metric([kind], age_seconds(first, now))
    yield pending
    yield oldest
    failed = GaugeMetricFamily(
        "oms_deliveries_failed", "Deliveries given up on (staff can replay)", labels=["kind"]
    )
    for kind, n in (
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by("kind")
    ):
        failed.add_metric([kind], n)
    yield failed
    attempts = CounterMetricFamily(
        "oms_delivery_attempts",
        "Delivery attempts by target kind and outcome (delivered, retry, failed, refused)",
        labels=["kind", "outcome"],
    )
    for kind, outcome, n in (
        DeliveryAttempt.objects.values_list("delivery__kind", "outcome")
        .annotate(n=Count("id"))
        .order_by("delivery__kind", "outcome")
    ):
        attempts.add_metric([kind, outcome], n)
    yield attempts
    yield GaugeMetricFamily(
        "oms_webhook_subscriptions_disabled",
        "Webhook subscriptions switched off after failures or a 410",
        value=WebhookSubscription.objects.filter(active=False).count(),
    )


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
