"""The admin home is a dashboard: work queues with counts linking to the filtered lists (the
same definition for both), today's figures, the menu grouped by task; `setup_groups` makes an
`agent` group with only what an agent needs, and the plumbing stays out of an agent's menu."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

from orders import services
from orders.models import CheckoutHold, Order, OrderState
from tests.console_data import PASSWORD

pytestmark = pytest.mark.django_db


def agent(username: str = "agnes") -> User:
    call_command("setup_groups", stdout=StringIO())
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="agent"))
    return user


def _queue(page: str, key: str) -> tuple[int, str]:
    match = re.search(
        rf'<li id="queue-{key}">.*?<span class="count[^"]*"><a href="([^"]+)">(\d+)</a>', page, re.S
    )
    assert match, f"queue {key} missing"
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def test_setup_groups_gives_agents_only_what_they_need_and_is_idempotent():
    call_command("setup_groups", stdout=StringIO())
    call_command("setup_groups", stdout=StringIO())
    perms = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="agent").permissions.select_related("content_type")
    }
    assert {"orders.view_order", "orders.cancel_order", "inventory.view_stocklevel"} <= perms
    assert {"returns.transition_return", "routing.view_strategyversion"} <= perms
    plumbing = {
        "oms.view_outboxmessage",
        "oms.view_apikey",
        "auth.view_user",
        "oms.view_channel",
        "oms.view_webhooksubscription",
    }
    assert not perms & plumbing
    assert not any(p.startswith(("django_dramatiq.", "auth.")) for p in perms)
    assert not any(p.split(".")[1].startswith(("delete_", "change_")) for p in perms)


def test_dashboard_queues_count_and_link_to_the_same_orders(world, client):
    fulfilment = world.order.fulfilments.get()
    services.fulfilment_reject(fulfilment_id=fulfilment.pk, reason="damaged", actor="loc")
    # (Set directly: the waiting room's own tests cover how orders get there.)
    waiting = Order.objects.filter(pk=world.order.pk)
    waiting.update(state=OrderState.WAITING, escalated_at=timezone.now())
    CheckoutHold.objects.create(
        channel=world.channel,
        token="hold-1",
        lines=[],
        expires_at=timezone.now() + timedelta(minutes=5),
    )
    client.force_login(agent())
    page = client.get("/admin/").content.decode()
    assert "Needs attention" in page and 'id="today"' in page
    for key in ("orders-escalated", "orders-waiting", "orders-rejected", "holds-expiring"):
        count, url = _queue(page, key)
        assert count >= 1, key
        listed = client.get(url)
        assert listed.status_code == 200, key
        assert listed.context["cl"].result_count == count, key
    assert 'id="queue-orders-short_picked"' in page
    count, _ = _queue(page, "orders-short_picked")
    assert count == 0
    # Today's figures.
    assert re.search(r'id="figure-placed"><span class="value">1<', page)
    assert re.search(r'id="figure-refused"><span class="value">1<', page)


def test_menu_is_grouped_by_task_and_hides_plumbing_from_agents(world, client):
    client.force_login(agent())
    page = client.get("/admin/").content.decode()
    captions = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert captions == ["Orders", "Stock", "Routing", "Returns", "Integration"]
    assert "Administration" not in captions
    assert 'id="queue-deliveries-failed"' in page  # a customer e-mail that never arrived
    assert 'id="queue-subscriptions-disabled"' not in page
    for hidden in ("Outbox", "API keys", "Tasks", "Users", "Webhook subscriptions"):
        assert f">{hidden}<" not in page, hidden
    assert client.get("/admin/oms/outboxmessage/").status_code == 403
    # The link "View site" leads to the API documentation and says so.
    assert re.search(r'<a href="/api/docs/" id="view-site">API documentation</a>', page)


def test_admin_sees_integration_and_administration(world, admin_client):
    page = admin_client.get("/admin/").content.decode()
    captions = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', page)
    assert captions == ["Orders", "Stock", "Routing", "Returns", "Integration", "Administration"]
    assert 'id="queue-returns-to-inspect"' in page
    for key in ("deliveries-failed", "subscriptions-disabled", "returns-to-inspect"):
        count, url = _queue(page, key)
        listed = admin_client.get(url)
        assert listed.status_code == 200, key
        assert listed.context["cl"].result_count == count, key


def test_read_only_pages_offer_no_save(world, admin_client):
    """A change page where nothing can be edited has no Save button (any registered model
    the console world has a row of)."""
    import re as _re

    from django.contrib import admin
    from django.urls import reverse

    checked = 0
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.first()
        if obj is None or model is Order:
            continue
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        page = admin_client.get(url).content.decode()
        form = page.split('id="content-main"', 1)[-1]
        editable = _re.search(
            r'<(textarea|select)\b|<input(?![^>]*type="(hidden|submit|button)")[^>]*>', form
        )
        if editable is None:
            assert 'name="_save"' not in form, f"{opts.label}: Save on a read-only page"
            checked += 1
        del model_admin
    assert checked >= 3


# Tables that hold configuration, not history: a handful of rows whatever the volume.
SMALL_TABLES = ("oms_webhooksubscription",)


def test_every_dashboard_count_is_served_by_an_index(world):
    """EXPLAIN each queue's and figure's query with sequential scans off: a count that still
    needs one has no index, and would read a whole table of history on every page view."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oms.dashboard import FIGURES, QUEUES, start_of_today

    with CaptureQueriesContext(connection) as captured:
        for queue in QUEUES:
            queue.count()
        for figure in FIGURES:
            figure.value(start_of_today())
    assert len(captured.captured_queries) == len(QUEUES) + len(FIGURES)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                sql = query["sql"]
                if any(f'"{table}"' in sql for table in SMALL_TABLES):
                    continue
                cursor.execute(f"EXPLAIN {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "Seq Scan" not in plan, f"{sql}\n{plan}"
        finally:
            cursor.execute("SET enable_seqscan = on")
