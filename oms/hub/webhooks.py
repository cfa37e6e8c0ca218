"""Webhook deliveries: which subscriptions get a message, and one signed HTTP send.

Messages go out in the Standard Webhooks format, signed with the `standardwebhooks`
library: `webhook-id` (the delivery's id, the same on every retry and replay),
`webhook-timestamp` (this try) and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, one
per active secret during a rotation). Only 2xx counts as delivered; 410 disables the
subscription; `Retry-After` (seconds or an HTTP date) sets the next try.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from ..models import Delivery
from .ssrf import WebhookTargetRefused, target_addresses
from .subscription_cache import Subscriptions, channel_subscriptions, subscriptions_load
from .targets import MessageDraft, PlannedDelivery, SendResult

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0
EXCERPT = 500
USER_AGENT = "OMS-Webhooks/1"

_client: httpx.Client | None = None


def http_client() -> httpx.Client:
    """One pooled client per process (keep-alive to receivers)."""
    global _client
    if _client is None:
        _client = httpx.Client(
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            follow_redirects=False,
            trust_env=False,
        )
    return _client


def sign(*, secrets: Sequence[str], msg_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed with every given secret."""
    signatures = " ".join(
        Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body) for secret in secrets
    )
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _pinned(url: str, address: str) -> tuple[str, str, str]:
    """The URL with its host replaced by the checked address, the Host header and the TLS
    server name, so the connection goes where the SSRF check looked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    host_header = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), host_header, host


class WebhookTarget:
    """The `webhook` delivery kind."""

    kind = "webhook"

    def plan(self, messages: Sequence[MessageDraft]) -> list[PlannedDelivery]:
        by_channel: dict[int, Subscriptions] = {}
        unknown: set[int] = set()
        for m in messages:
            if m.channel_id is None or m.channel_id in by_channel:
                continue
            if m.channel is not None:  # the request's channel row: its stamp is current
                by_channel[m.channel_id] = channel_subscriptions(m.channel)
            else:
                unknown.add(m.channel_id)
        if unknown:
            by_channel.update(subscriptions_load(unknown))
        planned = []
        for index, message in enumerate(messages):
            if message.channel_id is None:
                continue
            for sub_id, types in by_channel[message.channel_id]:
                if not types or message.topic in types:
                    planned.append(
                        PlannedDelivery(
                            index=index,
                            kind=self.kind,
                            subscription_id=sub_id,
                            ordering_key=f"webhook:{sub_id}:order:{message.order_id}"
                            if message.order_id is not None
                            else "",
                        )
                    )
        return planned

    def send(self, delivery: Delivery) -> SendResult:
        subscription = delivery.subscription
        if subscription is None:
            return SendResult(
                ok=False, permanent=True, error="webhook delivery without subscription"
            )
        try:
            addresses = target_addresses(subscription.url)
        except WebhookTargetRefused as exc:
            return SendResult(ok=False, error=f"{exc.code}: {exc.message} {exc.details}")
        url, host_header, server_name = _pinned(subscription.url, addresses[0])
        now = datetime.now(UTC)
        body = json.dumps(delivery.message.payload, separators=(",", ":"))
        headers = sign(
            secrets=subscription.signing_secrets(now),
            msg_id=delivery.webhook_id,
            timestamp=now,
            body=body,
        )
        headers.update(
            {"content-type": "application/json", "user-agent": USER_AGENT, "host": host_header}
        )
        extensions = {"sni_hostname": server_name} if url.startswith("https") else {}
        try:
            response = http_client().post(
                url, content=body.encode(), headers=headers, extensions=extensions
            )
        except httpx.HTTPError as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:2000])
        excerpt = response.text[:EXCERPT]
        if 200 <= response.status_code < 300:
            return SendResult(ok=True, status_code=response.status_code, response_excerpt=excerpt)
        return SendResult(
            ok=False,
            status_code=response.status_code,
            response_excerpt=excerpt,
            error=f"HTTP {response.status_code}",
            retry_after=retry_after_seconds(response.headers.get("retry-after"), now),
            disable_subscription=response.status_code == 410,
        )
