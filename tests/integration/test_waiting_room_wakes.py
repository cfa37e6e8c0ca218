"""The waiting room tries only woken orders, records a decision only when it changes, works in
bounded batches, and keeps routing decisions compact and for a limited time.

Regression (issue 10, defect 10): every run re-planned every waiting order and wrote a new
routing decision each time (five runs: six decisions for one order)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.services import ReservationRequest, stock_release, stock_reserve
from oms.models import Channel
from orders import services
from orders.decision_logs import decision_log_compact, decision_log_expand
from orders.models import Order, OrderState, RoutingDecision
from tests.factories import LocationFactory, ProductFactory, level_of, place_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(channel):  # type: ignore[no-untyped-def]
    channel.unroutable_policy = Channel.UnroutablePolicy.WAIT
    channel.save()
    return SimpleNamespace(
        channel=channel,
        berlin=LocationFactory(code="wh-berlin", channels=[channel]),
        shirt=ProductFactory(sku="SHIRT"),
        mug=ProductFactory(sku="MUG"),
    )


def _state(order: Order) -> str:
    order.refresh_from_db()
    return order.state


def test_runs_without_new_stock_write_no_decisions_and_replan_nothing(waiting):
    order = place_order(waiting.channel, ("SHIRT", 3))
    assert order.routing_decisions.count() == 1  # intake's

    results = [services.waiting_room_process() for _ in range(5)]

    assert order.routing_decisions.count() == 1
    assert [r["tried"] for r in results] == [1, 0, 0, 0, 0]  # once, on entering
    assert _state(order) == OrderState.WAITING


def test_stock_for_its_sku_wakes_a_waiting_order_and_other_skus_do_not(waiting):
    shirts = place_order(waiting.channel, ("SHIRT", 2))
    mugs = place_order(waiting.channel, ("MUG", 2))
    services.waiting_room_process()

    stock(waiting.berlin, waiting.mug, 1)  # not enough mugs, and no shirts
    assert services.waiting_room_process()["tried"] == 1  # the mug order only
    assert mugs.routing_decisions.count() == 2  # the outcome changed: one mug is there now
    stock(waiting.berlin, waiting.shirt, 1)  # not enough shirts: the same outcome again
    assert services.waiting_room_process()["tried"] == 1  # the shirt order only
    assert shirts.routing_decisions.count() == 2  # ... which changed too (one shirt there)
    stock(waiting.berlin, waiting.mug, 0, safety_stock=1)  # less to promise: wakes nobody
    assert services.waiting_room_process()["tried"] == 0

    stock(waiting.berlin, waiting.shirt, 1)
    assert services.waiting_room_process() == {"tried": 1, "routed": 1, "escalated": 0}
    assert (_state(shirts), _state(mugs)) == (OrderState.ROUTED, OrderState.WAITING)
    assert shirts.routing_decisions.count() == 3  # intake's, one shirt, the one that routed it
    assert mugs.routing_decisions.count() == 2


def test_a_release_wakes_waiting_orders(waiting):
    stock(waiting.berlin, waiting.shirt, 2)
    reservation = stock_reserve(
        requests=[ReservationRequest(waiting.berlin.pk, waiting.shirt.pk, 2, "hold:x")],
        actor="test",
    )[0]
    order = place_order(waiting.channel, ("SHIRT", 2))
    services.waiting_room_process()
    assert services.waiting_room_process()["tried"] == 0

    stock_release(reservation_ids=[reservation.pk], actor="test", reason="cancelled")

    assert services.waiting_room_process()["routed"] == 1
    assert _state(order) == OrderState.ROUTED


def test_cancelling_a_routed_order_wakes_the_waiting_ones(waiting):
    stock(waiting.berlin, waiting.shirt, 2)
    first = place_order(waiting.channel, ("SHIRT", 2))
    assert _state(first) == OrderState.ROUTED
    second = place_order(waiting.channel, ("SHIRT", 2))
    services.waiting_room_process()

    services.order_cancel(order_id=first.pk, actor="staff", expected_version=first.version)

    assert services.waiting_room_process()["routed"] == 1
    assert _state(second) == OrderState.ROUTED
    assert level_of(waiting.berlin, waiting.shirt).reserved == 2


def test_work_per_run_is_bounded_by_the_setting(waiting, settings):
    settings.WAITING_ROOM_BATCH_SIZE = 2
    orders = [place_order(waiting.channel, ("SHIRT", 1)) for _ in range(3)]
    assert services.waiting_room_process()["tried"] == 2
    assert services.waiting_room_process()["tried"] == 1  # the one left over
    stock(waiting.berlin, waiting.shirt, 3)
    assert services.waiting_room_process() == {"tried": 2, "routed": 2, "escalated": 0}
    assert services.waiting_room_process() == {"tried": 1, "routed": 1, "escalated": 0}
    assert {_state(o) for o in orders} == {OrderState.ROUTED}


def test_a_sweep_retries_every_waiting_order_now_and_then(waiting, settings):
    settings.WAITING_ROOM_SWEEP_MINUTES = 0
    place_order(waiting.channel, ("SHIRT", 1))
    assert services.waiting_room_process()["tried"] == 1
    assert services.waiting_room_process()["tried"] == 1


def test_prune_keeps_each_orders_latest_decision(waiting, settings):
    order = place_order(waiting.channel, ("SHIRT", 1))
    stock(waiting.berlin, waiting.shirt, 1)
    services.waiting_room_process()
    other = place_order(waiting.channel, ("MUG", 1))
    assert order.routing_decisions.count() == 2
    old = timezone.now() - timedelta(days=100)
    RoutingDecision.objects.update(created_at=old)
    latest = order.routing_decisions.order_by("-pk").first()

    out = io.StringIO()
    call_command("prune_routing_decisions", "--older-than-days", "90", stdout=out)

    assert list(order.routing_decisions.values_list("pk", flat=True)) == [latest.pk]
    assert other.routing_decisions.count() == 1  # its only (so latest) decision stays
    assert "Deleted 1 routing decision" in out.getvalue()

    settings.ROUTING_DECISION_RETENTION_DAYS = 200
    call_command("prune_routing_decisions", stdout=io.StringIO())
    assert RoutingDecision.objects.count() == 2


def test_decisions_are_stored_compactly_and_read_back_whole(waiting):
    for code in ("wh-munich", "wh-hamburg", "st-cologne"):
        LocationFactory(code=code, channels=[waiting.channel])
    stock(waiting.berlin, waiting.shirt, 5)
    order = place_order(waiting.channel, ("SHIRT", 2))
    stored = order.routing_decisions.get().log

    assert stored["compact"] == 2
    expanded = decision_log_expand(stored)
    assert "compact" not in expanded
    assert {c["code"] for c in expanded["candidates"]} == {
        "wh-berlin", "wh-munich", "wh-hamburg", "st-cologne",
    }  # fmt: skip
    eligible = next(c for c in expanded["candidates"] if c["code"] == "wh-berlin")
    assert eligible["reason"] == "eligible"
    for detail in eligible["ratings"].values():
        assert detail["weighted"] == pytest.approx(detail["penalty"] * detail["weight"])
    assert decision_log_compact(expanded) == stored
    assert len(json.dumps(stored)) < len(json.dumps(expanded))
