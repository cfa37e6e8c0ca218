"""Real dramatiq workers on Redis deliver webhooks: `manage.py rundramatiq` (production
settings, as `make up` runs it) in a process of its own, on the test database, a Redis
namespace of its own and a receiver on 127.0.0.1.

- orders placed here nudge the workers through Redis after commit, and every event arrives,
  signed, in order per order;
- a process killed after its commit and before its nudge leaves deliveries that nothing
  sends, until the sweep (`deliveries_sweep`, run by `run_jobs`) enqueues a worker;
- while an earlier event of an order is retried, its later events wait and other orders go on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from dramatiq.brokers.redis import RedisBroker
from standardwebhooks import Webhook

from oms import tasks
from oms.hub.services import webhook_subscription_create
from oms.models import Delivery
from tests.factories import order_network, place_order, stock
from tests.hub.receiver import Receiver

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
DEADLINE = 120.0  # seconds: a cold worker start on a busy 2-core machine


def _env(namespace: str) -> dict[str, str]:
    db = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k not in {"PROMETHEUS_MULTIPROC_DIR"}}
    env.update(
        DJANGO_SETTINGS_MODULE="oms.settings.production",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        SECRET_KEY="worker-" + "k" * 60,
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=REDIS_URL,
        DRAMATIQ_NAMESPACE=namespace,
        WEBHOOKS_ALLOW_PRIVATE_TARGETS="1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def workers(django_db_setup, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """One dramatiq process with two threads for the module; yields its Redis namespace."""
    namespace = f"oms-test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path_factory.mktemp("workers") / "workers.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2"],
        cwd=REPO,
        env=_env(namespace),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield namespace
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()
        broker = RedisBroker(url=REDIS_URL, namespace=namespace)
        keys = broker.client.keys(f"{namespace}*")
        if keys:
            broker.client.delete(*keys)
        broker.close()
        if process.returncode not in (0, -15):
            print(log_path.read_text()[-3000:])


@pytest.fixture
def nudges(workers, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """This process sends `deliver_due` to the workers' Redis namespace (on commit, sweep)."""
    broker = RedisBroker(url=REDIS_URL, namespace=workers)
    stub = tasks.deliver_due.broker
    broker.declare_actor(tasks.deliver_due)
    tasks.deliver_due.broker = broker
    settings.REDIS_URL = REDIS_URL
    try:
        yield
    finally:
        tasks.deliver_due.broker = stub
        broker.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def world(channel, receiver, settings):  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    net = order_network(channel)
    stock(net.berlin, net.shirt, 50)
    sub, secret = webhook_subscription_create(channel=channel, url=receiver.url)
    return net, secret


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def by_order(receiver: Receiver) -> dict[int, list[int]]:
    seen: dict[int, list[int]] = {}
    for body in receiver.bodies():
        seen.setdefault(body["order_id"], []).append(body["sequence"])
    return seen


def test_orders_placed_here_are_delivered_by_the_workers_in_order(world, receiver, nudges):  # type: ignore[no-untyped-def]
    net, secret = world
    orders = [place_order(net.channel, ("SHIRT", 1)) for _ in range(4)]
    wait_for(lambda: len(receiver.requests) >= 12, "12 webhooks")
    assert by_order(receiver) == {o.pk: [1, 2, 3] for o in orders}
    for headers, body in receiver.requests:
        Webhook(secret).verify(body, headers)
    # The receiver counts a request before the worker records its answer: wait for the record.
    wait_for(
        lambda: set(Delivery.objects.values_list("status", "attempts")) == {("delivered", 1)},
        "12 deliveries recorded as delivered at the first attempt",
    )


WRITER = """
import os, sys
import django
django.setup()
from django.db import transaction
from oms.models import Channel
from tests.factories import place_order

channel = Channel.objects.get(pk=int(sys.argv[1]))
with transaction.atomic():
    # Runs first after the commit, before the nudge that intake registered: the process
    # dies between commit and enqueue.
    transaction.on_commit(lambda: os._exit(3))
    order = place_order(channel, ("SHIRT", 1), ref="KILLED-1")
    print(order.pk, flush=True)
"""


def test_a_process_killed_between_commit_and_enqueue_is_delivered_after_the_sweep(  # type: ignore[no-untyped-def]
    world, receiver, nudges, workers
):
    net, _ = world
    writer = subprocess.run(
        [sys.executable, "-c", WRITER, str(net.channel.pk)],
        cwd=REPO,
        env=_env(workers),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert writer.returncode == 3, writer.stderr[-2000:]
    order_id = int(writer.stdout.split()[0])
    assert Delivery.objects.filter(message__order_id=order_id, status="pending").count() == 3
    time.sleep(3)  # the workers are running, but nobody told them
    assert receiver.requests == []

    assert tasks.deliveries_sweep() == 1  # only the order's first event is claimable now
    wait_for(lambda: len(receiver.requests) >= 3, "the swept deliveries")
    assert by_order(receiver) == {order_id: [1, 2, 3]}


def test_a_later_event_waits_while_an_earlier_one_is_retried_by_the_workers(  # type: ignore[no-untyped-def]
    world, receiver, nudges
):
    net, _ = world
    failed: list[int] = []

    def decide(headers, body):  # type: ignore[no-untyped-def]
        message = json.loads(body)
        if message["sequence"] == 1 and not failed:  # the first order to arrive fails once
            failed.append(message["order_id"])
            return 503, {"Retry-After": "1"}
        return 200, {}

    receiver.decide = decide
    orders = {place_order(net.channel, ("SHIRT", 1)).pk for _ in range(2)}
    wait_for(lambda: len(receiver.requests) >= 4, "the other order and the failed try")
    [retried] = failed
    [other] = orders - {retried}
    wait_for(lambda: len(by_order(receiver).get(other, [])) == 3, "the other order")
    assert by_order(receiver)[retried] == [1]  # tried once, failed; 2 and 3 wait
    head = Delivery.objects.filter(message__order_id=retried, sequence=1)
    wait_for(
        lambda: (
            head.values_list("status", "attempts", "last_status_code").get() == ("pending", 1, 503)
        ),
        "the failed try recorded",
    )
    time.sleep(1.5)  # Retry-After: 1
    assert by_order(receiver)[retried] == [1]
    tasks.deliveries_sweep()
    wait_for(lambda: len(by_order(receiver)[retried]) == 4, "the retried order")
    assert by_order(receiver)[retried] == [1, 1, 2, 3]
