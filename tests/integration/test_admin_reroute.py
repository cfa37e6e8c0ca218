"""The reroute page: candidates with their stock and distance, a preview that changes
nothing, a reason in the timeline, and a confirmation that does what was previewed."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory.models import Reservation
from orders.models import FulfilmentState, Order
from orders.services.reroute_preview import order_reroute_preview

pytestmark = pytest.mark.django_db


def _url(order: Order) -> str:
    return reverse("admin:orders_order_edit", args=[order.pk, "reroute"])


def _held() -> list[tuple[int, int]]:
    return sorted(
        Reservation.objects.filter(status=Reservation.Status.ACTIVE).values_list(
            "stock_level_id", "quantity"
        )
    )


def _live(order: Order) -> list[tuple[str, str]]:
    return list(
        order.fulfilments.exclude(state__in=[FulfilmentState.CANCELLED, FulfilmentState.REJECTED])
        .order_by("pk")
        .values_list("location__code", "state")
    )


def test_the_page_lists_candidates_with_stock_and_distance(world, staff):
    response = staff.get(_url(world.order))

    assert response.status_code == 200
    rows = {c.code: c for c in response.context["preview"].candidates}
    berlin, munich = rows["wh-berlin"], rows["wh-munich"]
    # Berlin's 10 shirts: 8 free + the 2 this order holds (a reroute releases them first).
    assert berlin.stock == {"MUG-1": 10, "SHIRT-M": 10} and berlin.fulfils_now
    assert berlin.distance_km < 5 and 450 < munich.distance_km < 550
    assert [c.code for c in response.context["preview"].candidates][0] == "wh-berlin"  # nearest
    page = response.content.decode()
    assert 'id="candidate-wh-munich"' in page and "needs 2" in page
    assert 'id="plan-unchanged"' in page  # rerouting now would change nothing
    notes = {c.code: note for c, note in response.context["candidate_rows"]}
    assert notes["store-hamburg"] == "fenced out: does not offer shipping"
    assert notes["wh-berlin"].startswith("chosen")
    assert 'id="confirm-reroute"' not in page  # nothing previewed yet


def test_a_preview_changes_nothing_and_shows_the_new_plan(world, staff):
    held = _held()

    response = staff.post(
        _url(world.order),
        {"version": 1, "reason": "aisle flooded", "exclude_locations": [world.berlin.pk]},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert [part["code"] for part in response.context["parts"]] == ["wh-munich"]
    assert response.context["route_map"].chosen_codes == ["wh-munich"]
    assert 'id="confirm-reroute"' in page
    assert _held() == held
    world.order.refresh_from_db()
    assert world.order.version == 1 and world.order.excluded_location_ids == []


def test_a_reroute_needs_a_reason(world, staff):
    response = staff.post(_url(world.order), {"version": 1, "exclude_locations": [world.berlin.pk]})
    assert "reason" in response.context["form"].errors


def test_confirming_other_choices_than_previewed_previews_again(world, staff):
    data = {"version": 1, "reason": "x", "exclude_locations": [world.berlin.pk]}
    preview = staff.post(_url(world.order), data)

    response = staff.post(
        _url(world.order),
        {
            **data,
            "force_location": world.store.pk,
            "previewed": preview.context["previewed"],
            "confirm": "1",
        },
    )

    assert response.status_code == 200
    assert any("changed since the preview" in str(m) for m in get_messages(response.wsgi_request))
    assert _live(world.order) == [("wh-berlin", "created")]


def test_confirm_moves_the_order_and_the_reason_lands_in_the_timeline(world, staff):
    data = {
        "version": 1,
        "reason": "Berlin is short of staff",
        "exclude_locations": [world.berlin.pk],
    }
    preview = staff.post(_url(world.order), data)
    planned = [part["code"] for part in preview.context["parts"]]

    response = staff.post(
        _url(world.order),
        {**data, "previewed": preview.context["previewed"], "confirm": "1"},
        follow=True,
    )

    assert _live(world.order) == [(code, "created") for code in planned]
    page = response.content.decode()
    assert "Rerouted by staff (excluding wh-berlin)" in page
    assert "Reason: Berlin is short of staff" in page


def test_a_reroute_that_changes_nothing_keeps_the_fulfilment(world, staff):
    fulfilment = world.order.fulfilments.get()
    data = {"version": 1, "reason": "customer called: is it on its way?"}
    preview = staff.post(_url(world.order), data)
    assert 'id="plan-unchanged"' in preview.content.decode()

    response = staff.post(
        _url(world.order),
        {**data, "previewed": preview.context["previewed"], "confirm": "1"},
        follow=True,
    )

    assert list(world.order.fulfilments.values_list("pk", flat=True)) == [fulfilment.pk]
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [
        "The new plan is the current one: nothing was moved. "
        "Reason: customer called: is it on its way?"
    ]
    assert "Reroute by staff kept the plan: nothing was moved." in response.content.decode()


def test_the_preview_plans_what_the_reroute_then_does(world):
    from orders import services

    preview = order_reroute_preview(order_id=world.order.pk, exclude_location_ids=[world.berlin.pk])
    order = services.order_reroute(
        order_id=world.order.pk,
        actor="staff",
        expected_version=1,
        exclude_location_ids=[world.berlin.pk],
        reason="x",
    )

    assert preview.plan is not None and preview.routable
    planned = sorted(
        (preview.codes[p.location_id], pl.sku, pl.quantity)
        for p in preview.plan.fulfilments
        for pl in p.lines
    )
    done = sorted(
        (f.location.code, fl.order_line.sku, fl.quantity)
        for f in order.fulfilments.filter(state=FulfilmentState.CREATED)
        for fl in f.lines.all()
    )
    assert planned == done


def test_a_preview_that_cannot_hold_every_unit_says_why_in_words(world, staff):
    response = staff.post(
        _url(world.order),
        {"version": 1, "reason": "x", "exclude_locations": [world.berlin.pk, world.munich.pk]},
    )

    page = response.content.decode()
    assert 'id="plan-refused"' in page and 'id="confirm-reroute"' not in page
    assert "no location may serve this order" in page
    assert "no_candidate" not in page
