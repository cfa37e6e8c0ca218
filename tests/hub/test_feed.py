"""The channel-wide cursor feed: paging, filters, scoping, and late commits (PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections, transaction

from oms.hub.feed import FeedPosition, cursor_decode, cursor_encode, feed_page
from oms.hub.publish import messages_publish
from oms.hub.targets import MessageDraft
from oms.models import OutboxMessage
from tests.factories import (
    ChannelFactory,
    api_client_for,
    order_network,
    place_order,
    raw_api_key,
    stock,
)

URL = "/api/v1/events/"


def publish(channel_id: int, topic: str = "order_placed", order_id: int = 1, seq: int = 1) -> int:
    with transaction.atomic():
        (message,) = messages_publish(
            [
                MessageDraft(
                    topic=topic,
                    payload={"type": topic, "order_id": order_id, "sequence": seq},
                    channel_id=channel_id,
                    order_id=order_id,
                    sequence=seq,
                )
            ]
        )
    return message.pk


@pytest.mark.django_db
def test_pages_through_every_event_once_in_order_with_a_stable_next(channel, api_client):  # type: ignore[no-untyped-def]
    ids = [publish(channel.pk, seq=n) for n in range(1, 6)]
    seen: list[int] = []
    after = ""
    for _ in range(4):
        response = api_client.get(URL, {"after": after, "limit": 2})
        assert response.status_code == 200, response.json()
        body = response.json()
        seen += [e["body"]["sequence"] for e in body["results"]]
        assert body["next"]
        if not body["results"]:
            assert body["has_more"] is False and body["next"] == after
        after = body["next"]
    assert seen == [1, 2, 3, 4, 5]
    # Retrying a page with the same cursor returns the same page.
    first = api_client.get(URL, {"limit": 2}).json()
    again = api_client.get(URL, {"limit": 2}).json()
    assert first == again and first["has_more"] is True
    assert first["results"][1]["cursor"] == first["next"]
    assert len(ids) == 5


@pytest.mark.django_db
def test_real_order_events_with_a_type_filter(channel, api_client):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 5)
    order = place_order(net.channel, ("SHIRT", 1))
    everything = api_client.get(URL).json()["results"]
    types = [e["type"] for e in everything]
    assert types[0] == "order_placed" and "order_routed" in types
    routed = api_client.get(URL, {"types": "order_routed,fulfilment_shipped"}).json()["results"]
    assert [e["type"] for e in routed] == ["order_routed"]
    assert routed[0]["order_id"] == order.pk and routed[0]["body"]["type"] == "order_routed"


@pytest.mark.django_db
def test_another_channels_events_are_never_shown(channel, api_client):  # type: ignore[no-untyped-def]
    other = ChannelFactory()
    publish(other.pk, order_id=9)
    mine = publish(channel.pk, order_id=1)
    results = api_client.get(URL).json()["results"]
    assert [e["order_id"] for e in results] == [1]
    assert OutboxMessage.objects.get(pk=mine).channel_id == channel.pk


@pytest.mark.django_db
def test_a_location_key_sees_only_orders_with_a_fulfilment_there(channel):  # type: ignore[no-untyped-def]
    net = order_network(channel)
    stock(net.berlin, net.shirt, 1)
    stock(net.munich, net.shirt, 1)
    at_berlin = place_order(net.channel, ("SHIRT", 1))
    at_munich = place_order(net.channel, ("SHIRT", 1))
    assert at_berlin.fulfilments.get().location_id == net.berlin.pk
    assert at_munich.fulfilments.get().location_id == net.munich.pk
    client = api_client_for(raw_api_key(channel, ["orders"], location=net.berlin))
    results = client.get(URL).json()["results"]
    assert results and {e["order_id"] for e in results} == {at_berlin.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        "!!!",
        cursor_encode(FeedPosition(txid=1, id=2))[:-2],
        "djEuLTEuMg",  # "v1.-1.2"
        "djIuMS4y",  # "v2.1.2"
        cursor_encode(FeedPosition(txid=2**64, id=1)),
    ],
)
def test_a_bad_cursor_is_400_invalid_cursor(api_client, after):  # type: ignore[no-untyped-def]
    response = api_client.get(URL, {"after": after})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_unknown_types_and_bad_limits_are_400(api_client):  # type: ignore[no-untyped-def]
    response = api_client.get(URL, {"types": "order_placed,staff_note,nope"})
    assert response.status_code == 400 and response.json()["code"] == "unknown_event_type"
    assert api_client.get(URL, {"limit": 0}).json()["code"] == "invalid_request"
    assert api_client.get(URL, {"limit": "x"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_an_event_committing_late_holds_later_ones_back_and_is_never_skipped(channel):  # type: ignore[no-untyped-def]
    """A (lower id) and B (higher id) run at once; B commits first. A reader between the
    commits must not move its cursor past A: it sees nothing yet, then A and B in order."""
    a_written, b_committed, a_may_commit = threading.Event(), threading.Event(), threading.Event()
    ids: dict[str, int] = {}
    errors: list[BaseException] = []

    def writer(name: str, wait_before: threading.Event | None, then: threading.Event) -> None:
        try:
            if wait_before is not None:
                wait_before.wait(10)
            with transaction.atomic():
                ids[name] = messages_publish(
                    [MessageDraft(topic="order_placed", payload={"n": name}, channel_id=channel.pk)]
                )[0].pk
                if name == "a":
                    then.set()
                    assert a_may_commit.wait(10)
            if name == "b":
                then.set()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            then.set()
        finally:
            connections.close_all()

    a = threading.Thread(target=writer, args=("a", None, a_written))
    b = threading.Thread(target=writer, args=("b", a_written, b_committed))
    a.start()
    b.start()
    assert b_committed.wait(10)
    try:
        assert ids["a"] < ids["b"]
        assert OutboxMessage.objects.filter(pk=ids["b"]).exists()  # B is visible to everyone
        between = feed_page(channel_id=channel.pk)
        # Returning B now would move the cursor past A, which becomes visible later.
        assert [m.pk for m in between.messages] == []
    finally:
        a_may_commit.set()
        a.join(10)
        b.join(10)
    assert not errors, errors
    # Poll like a client: the horizon is cluster-wide, so an unrelated open transaction
    # (another test database on this server) may hold it back a little longer; whatever
    # arrives must arrive in order and nothing may be skipped.
    seen: list[int] = []
    cursor = between.next
    deadline = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < deadline:
        page = feed_page(channel_id=channel.pk, after=cursor_decode(cursor))
        seen += [m.pk for m in page.messages]
        cursor = page.next
        time.sleep(0.05)
    assert seen == [ids["a"], ids["b"]]
