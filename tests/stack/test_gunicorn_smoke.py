"""Smoke test of the production stack's web part: gunicorn started with oms/gunicorn_conf.py
and oms.settings.production on a free port, with prometheus multiprocess mode as `make up`
runs it. Counters incremented in different worker processes add up in one scrape."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.stack
REPO = Path(__file__).resolve().parents[2]
TOKEN = "smoke-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, *, data: bytes | None = None, headers: dict | None = None):  # type: ignore[no-untyped-def]
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def gunicorn(transactional_db, tmp_path):  # type: ignore[no-untyped-def]
    port = free_port()
    settings_dict = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "METRICS_ALLOWED_IPS"}}
    env.update(
        DJANGO_SETTINGS_MODULE="oms.settings.production",
        DATABASE_URL=f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT']}/{settings_dict['NAME']}",
        SECRET_KEY="smoke-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        WEB_CONCURRENCY="2",
        PORT=str(port),
        GUNICORN_ACCESS_LOG="",
    )
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "oms/gunicorn_conf.py", "oms.wsgi"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail("gunicorn exited:\n" + (tmp_path / "gunicorn.log").read_text())
            try:
                if request(f"{base}/health/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("gunicorn did not answer:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_gunicorn_serves_health_api_and_metrics_across_workers(gunicorn, channel, api_key):  # type: ignore[no-untyped-def]
    status, body = request(f"{gunicorn}/health/")
    assert status == 200
    assert json.loads(body)["checks"]["database"]["ok"] is True

    order = json.dumps(
        {
            "external_reference": "SMOKE",
            "currency": "EUR",
            "lines": [{"sku": "NO-SUCH-SKU", "quantity": 1, "unit_price": "1.00"}],
            "shipping_address": {
                "street": "Alexanderplatz 1",
                "postal_code": "10178",
                "city": "Berlin",
                "country": "DE",
            },
        }
    ).encode()
    codes = set()
    for n in range(8):
        status, body = request(
            f"{gunicorn}/api/v1/orders/",
            data=order,
            headers={
                "Authorization": f"Api-Key {api_key}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"smoke-{n}",
            },
        )
        assert 400 <= status < 500, body
        codes.add(json.loads(body)["code"])
    assert codes == {"unknown_sku"}

    assert request(f"{gunicorn}/metrics")[0] == 401  # loopback is not enough in production
    status, body = request(f"{gunicorn}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    # Eight refusals, whichever of the two workers took each: multiprocess mode adds them up.
    assert (
        samples[("oms_orders_refused_total", (("channel", "web-de"), ("code", "unknown_sku")))] == 8
    )
    assert samples[("oms_metrics_source_up", (("source", "waiting_room"),))] == 1
