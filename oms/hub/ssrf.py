"""Refusing webhook targets inside our own network (SSRF).

A URL is checked when a subscription is created or changed and again before every send,
because DNS can change in between: every address its host resolves to must be public
(not private, loopback, link-local - which includes the 169.254.169.254 metadata service -,
multicast, reserved or unspecified). The send then connects to the address that was checked,
so a second lookup cannot swap it (DNS rebinding). `WEBHOOKS_ALLOW_PRIVATE_TARGETS = True`
lifts the rule for development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from ..errors import OMSError

_METADATA_HOSTS = {"metadata.google.internal", "metadata"}


class WebhookTargetRefused(OMSError):
    code = "webhook_target_refused"
    status = 422
    default_message = "This webhook URL is not allowed."


def allow_private_targets() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses (a seam tests replace to play a DNS change)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def target_addresses(url: str) -> list[str]:
    """The addresses a send to `url` may connect to; raises WebhookTargetRefused when the URL
    is malformed, not http(s), or (unless allowed) any address is not public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookTargetRefused("A webhook URL needs http(s) and a host.", details={"url": url})
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookTargetRefused("The URL's port is invalid.", details={"url": url}) from exc
    if host.lower() in _METADATA_HOSTS and not allow_private_targets():
        raise WebhookTargetRefused(
            "Metadata services are not webhook targets.", details={"host": host}
        )
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise WebhookTargetRefused(
            f"The host {host} does not resolve.", details={"host": host}
        ) from exc
    if not addresses:
        raise WebhookTargetRefused(f"The host {host} does not resolve.", details={"host": host})
    if not allow_private_targets():
        private = [a for a in addresses if not _is_public(a)]
        if private:
            raise WebhookTargetRefused(
                "The URL points into a private, loopback, link-local or metadata network.",
                details={"host": host, "addresses": private},
            )
    return addresses
