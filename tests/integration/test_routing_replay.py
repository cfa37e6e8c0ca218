"""manage.py routing_replay: a draft against the active version, on file and database orders."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from routing.models import RoutingStrategy, StrategyVersion
from tests.factories import ChannelFactory, LocationFactory, ProductFactory, stock

pytestmark = pytest.mark.django_db

BERLIN = {"country": "DE", "latitude": 52.52, "longitude": 13.405}


@pytest.fixture
def setup(channel):  # type: ignore[no-untyped-def]
    berlin = LocationFactory(code="wh-berlin", channels=[channel], latitude=52.52, longitude=13.4)
    munich = LocationFactory(code="wh-munich", channels=[channel], latitude=48.14, longitude=11.58)
    store = LocationFactory(code="st-berlin", channels=[channel], click_collect=True)
    shirt = ProductFactory(sku="SHIRT")
    stock(berlin, shirt, 5)
    stock(munich, shirt, 5)
    stock(store, shirt, 1)
    strategy = RoutingStrategy.objects.create(name="Default")
    active = StrategyVersion.objects.create(
        strategy=strategy, number=1, status=StrategyVersion.Status.ACTIVE
    )
    draft = StrategyVersion.objects.create(strategy=strategy, number=2, split_allowed=False)
    return {"active": active, "draft": draft, "channel": channel}


def _file(tmp_path, orders) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(orders))
    return str(path)


FILE_ORDERS = [
    {"reference": "small", "lines": [{"sku": "SHIRT", "quantity": 1}], "destination": BERLIN},
    {
        "reference": "big",
        "lines": [{"sku": "SHIRT", "quantity": 8, "unit_price": "10.00"}],
        "destination": BERLIN,
        "channel": "web-de",
    },
    {
        "lines": [{"sku": "SHIRT", "quantity": 1}],
        "destination": BERLIN,
        "delivery_type": "click_collect",
        "pickup_location": "st-berlin",
    },
]


def _run(*args: str) -> str:
    out = StringIO()
    call_command("routing_replay", *args, stdout=out)
    return out.getvalue()


def test_replay_a_file_side_by_side(setup, tmp_path):
    output = _run("--draft", str(setup["draft"].pk), "--file", _file(tmp_path, FILE_ORDERS))
    assert "today's snapshot" in output
    assert "Default v1 (active)" in output
    assert "Default v2 (draft)" in output
    table = dict(
        (line[:33].strip(), line[33:].split()) for line in output.splitlines() if line[:1].strip()
    )
    assert table["orders"] == ["3", "3"]
    assert table["routable"] == ["3", "(100.0%)", "2", "(66.7%)"]
    assert table["split rate (of routable)"] == ["33.3%", "0.0%"]
    assert "orders with a different plan: 1 of 3 (33.3%)" in output
    assert "  big" in output
    assert "wh-berlin: SHIRT x5 | wh-munich: SHIRT x3" in output
    assert "NOT ROUTABLE: split_not_allowed" in output


def test_replay_as_json_against_an_explicit_version(setup, tmp_path):
    output = _run(
        "--draft",
        str(setup["draft"].pk),
        "--against",
        str(setup["draft"].pk),
        "--file",
        _file(tmp_path, FILE_ORDERS),
        "--json",
    )
    report = json.loads(output)
    assert report["changed"] == 0
    assert report["baseline"]["orders"] == 3
    assert report["baseline"]["label"] == report["draft"]["label"] == "Default v2 (draft)"
    assert "today's snapshot" in report["stock"]


def test_without_an_active_version_the_built_in_default_is_the_baseline(setup, tmp_path):
    other = RoutingStrategy.objects.create(name="Fresh")
    draft = StrategyVersion.objects.create(strategy=other, number=1)
    report = json.loads(
        _run("--draft", str(draft.pk), "--file", _file(tmp_path, FILE_ORDERS), "--json")
    )
    assert report["baseline"]["label"] == "built-in default"
    assert report["changed"] == 0


def test_channel_filter_leaves_out_other_channels_orders(setup, tmp_path):
    ChannelFactory(code="marketplace")
    orders = [*FILE_ORDERS, {**FILE_ORDERS[1], "reference": "theirs", "channel": "marketplace"}]
    report = json.loads(
        _run(
            "--draft",
            str(setup["draft"].pk),
            "--file",
            _file(tmp_path, orders),
            "--channel",
            "web-de",
            "--json",
        )
    )
    assert report["baseline"]["orders"] == 3


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ({"not": "a list"}, "expected a JSON list"),
        ([{"lines": [], "destination": BERLIN}], "order 1"),
        ([{**FILE_ORDERS[2], "pickup_location": "nowhere"}], "nowhere"),
        ([{**FILE_ORDERS[1], "channel": "nobody"}], "nobody"),
    ],
)
def test_a_bad_file_is_refused(setup, tmp_path, orders, message):
    with pytest.raises(CommandError, match=message):
        _run("--draft", str(setup["draft"].pk), "--file", _file(tmp_path, orders))


def test_unknown_version_is_refused(setup, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        _run("--draft", "999999", "--file", _file(tmp_path, FILE_ORDERS))


def test_an_invalid_draft_is_refused(setup, tmp_path):
    StrategyVersion.objects.filter(pk=setup["draft"].pk).update(rating_weights={"luck": 1})
    with pytest.raises(CommandError, match="invalid"):
        _run("--draft", str(setup["draft"].pk), "--file", _file(tmp_path, FILE_ORDERS))


def test_replay_database_orders(setup):
    services = pytest.importorskip("orders.services")
    for i, quantity in enumerate([1, 8, 2]):
        services.order_create(
            channel=setup["channel"],
            data=services.OrderInput(
                external_reference=f"DB-{i}",
                currency="EUR",
                lines=(services.LineInput(sku="SHIRT", quantity=quantity, unit_price=Decimal(5)),),
                shipping_address=BERLIN,
            ),
            actor="test",
        )
    ChannelFactory(code="marketplace")
    draft = str(setup["draft"].pk)
    assert json.loads(_run("--draft", draft, "--orders", "2", "--json"))["baseline"]["orders"] == 2
    assert json.loads(_run("--draft", draft, "--json"))["baseline"]["orders"] == 3
    report = json.loads(_run("--draft", draft, "--channel", "marketplace", "--json"))
    assert report["baseline"]["orders"] == 0
    text = _run("--draft", draft)
    assert "Replayed 3 order(s)" in text
