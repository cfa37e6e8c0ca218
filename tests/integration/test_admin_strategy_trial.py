"""The strategy pages: the built-in default listed (and copyable), "try it" on a sample or a
past order with its map, a replay summary of a draft against the active version, and an
activation that first shows that summary."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Location
from routing.models import RoutingStrategy, StrategyVersion
from routing.strategy_trial import strategy_replay_recent
from tests.console_data import ConsoleWorld, console_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> ConsoleWorld:
    world = console_world()  # WEB-1001 to Berlin, placed with the built-in default
    Location.objects.filter(code__in=["wh-berlin", "wh-munich"]).update(
        cost_per_km=Decimal("0.10"), base_cost=Decimal("4")
    )
    Location.objects.filter(code="wh-munich").update(priority=10)
    return world


@pytest.fixture
def draft(world: ConsoleWorld) -> StrategyVersion:
    """The channel's strategy: v1 active (cheapest parcel), draft v2 prefers priority."""
    strategy = RoutingStrategy.objects.create(name="web", channel=world.channel)
    StrategyVersion.objects.create(
        strategy=strategy, number=1, status="active", rating_weights={"shipping_cost": 1}
    )
    return StrategyVersion.objects.create(
        strategy=strategy, number=2, status="draft", rating_weights={"priority": 1}
    )


def _try_url(version: StrategyVersion) -> str:
    return reverse("admin:routing_strategyversion_try", args=[version.pk])


def test_the_built_in_default_is_listed_and_can_be_copied(admin_client: Client):
    for url in ("/admin/routing/routingstrategy/", "/admin/routing/strategyversion/"):
        page = admin_client.get(url).content.decode()
        assert 'id="built-in-default"' in page and "default v1 (built-in)" in page
        assert "shipping cost 1" in page

    response = admin_client.post(reverse("admin:routing_routingstrategy_copy_default"))

    draft = StrategyVersion.objects.get(strategy__name="default")
    assert response.status_code == 302 and draft.status == "draft"
    assert draft.rating_weights == {"shipping_cost": 1.0} and draft.split_allowed
    strategy = draft.strategy
    assert (strategy.channel, strategy.destination_country, strategy.delivery_type) == (
        None,
        "",
        "",
    )
    again = admin_client.post(reverse("admin:routing_routingstrategy_copy_default"), follow=True)
    assert "exists already" in again.content.decode()


def test_try_a_past_order_with_the_draft(admin_client: Client, world, draft):
    response = admin_client.post(
        _try_url(draft), {"try": "past", "past-reference": "web-de/WEB-1001"}
    )

    trial = response.context["trial"]
    assert trial is not None and trial.trial.plan.routable
    assert [part["code"] for part in trial.parts] == ["wh-munich"]  # priority wins now
    assert trial.route_map.chosen_codes == ["wh-munich"]
    page = response.content.decode()
    assert 'id="trial-result"' in page and 'data-code="wh-munich" data-status="chosen"' in page
    # Nothing was reserved or changed by trying.
    assert world.order.fulfilments.get().location == world.berlin


def test_try_a_sample_order(admin_client: Client, world, draft):
    response = admin_client.post(
        _try_url(draft),
        {
            "try": "sample",
            "sample-channel": world.channel.pk,
            "sample-ship_to": world.berlin.pk,
            "sample-delivery_type": "ship",
            "sample-lines": "SHIRT-M 3\nMUG-1 x 1",
        },
    )

    trial = response.context["trial"]
    assert [part["lines"] for part in trial.parts] == [[("SHIRT-M", 3), ("MUG-1", 1)]]


def test_a_sample_with_an_unknown_sku_is_refused(admin_client: Client, world, draft):
    response = admin_client.post(
        _try_url(draft),
        {
            "try": "sample",
            "sample-channel": world.channel.pk,
            "sample-ship_to": world.berlin.pk,
            "sample-delivery_type": "ship",
            "sample-lines": "NOPE 1",
        },
    )
    assert response.context["trial"] is None
    assert "Unknown SKU: NOPE." in response.content.decode()


def test_replay_summary_of_the_draft_against_the_active_version(admin_client: Client, world, draft):
    response = admin_client.post(_try_url(draft), {"try": "replay", "replay_orders": 50})

    summary = response.context["summary"]
    report = summary.report
    assert (report.baseline.label, report.draft.label) == ("web v1 (active)", "web v2 (draft)")
    assert (report.baseline.orders, report.changed) == (1, 1)
    assert summary.distance_difference > 400  # Munich instead of Berlin for a Berlin customer
    assert summary.cost_difference > 40
    assert summary.split_difference == 0
    page = response.content.decode()
    assert 'id="replay-summary"' in page and "Plans that change" in page
    assert "web-de/WEB-1001" in page  # the changed order is listed


def test_activation_shows_the_replay_summary_first(admin_client: Client, world, draft):
    page = admin_client.post(
        "/admin/routing/strategyversion/",
        {"action": "activate", "_selected_action": [draft.pk], "replay_orders": "10"},
    )

    assert page.status_code == 200
    [(version, summary, problem)] = page.context["summaries"]
    assert version == draft and problem == "" and summary.report.changed == 1
    content = page.content.decode()
    assert "Plans that change" in content and 'id="confirm-activate"' in content
    draft.refresh_from_db()
    assert draft.status == "draft"

    admin_client.post(
        "/admin/routing/strategyversion/",
        {"action": "activate", "_selected_action": [draft.pk], "confirm": "yes"},
    )
    draft.refresh_from_db()
    assert draft.status == "active"


def test_replay_without_an_active_version_compares_with_the_built_in_default(world):
    strategy = RoutingStrategy.objects.create(name="new")
    draft = StrategyVersion.objects.create(
        strategy=strategy, number=1, status="draft", rating_weights={"shipping_cost": 1}
    )
    summary = strategy_replay_recent(version=draft, orders=10)
    assert summary.report.baseline.label == "built-in default"
    assert summary.report.changed == 0


def test_the_try_page_needs_the_view_permission(client: Client, draft):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("x", is_staff=True))
    assert client.get(_try_url(draft)).status_code == 403


def test_a_reader_sees_a_draft_read_only_and_may_try_it(client: Client, world, draft):
    from django.contrib.auth.models import Permission, User

    reader = User.objects.create_user("reader", is_staff=True)
    reader.user_permissions.set(
        Permission.objects.filter(codename__in=["view_strategyversion", "view_routingstrategy"])
    )
    client.force_login(reader)
    page = client.get(f"/admin/routing/strategyversion/{draft.pk}/change/")
    assert page.status_code == 200
    assert 'name="weight_priority"' not in page.content.decode()
    assert 'id="try-strategy"' in page.content.decode()
    response = client.post(_try_url(draft), {"try": "replay", "replay_orders": 5})
    assert response.context["summary"].report.changed == 1
    assert 'id="activate-version"' not in response.content.decode()  # not theirs to do
