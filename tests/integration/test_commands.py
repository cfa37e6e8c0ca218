"""Operator commands: import_stock, export_stock, check_stock_ledger, create_api_key, seed_demo."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from inventory.models import InboundStock, Location, Product, StockLevel, StockMovement
from inventory.selectors import stock_ledger_mismatches
from inventory.services import ReservationRequest, stock_reserve
from oms.models import ApiKey, Channel
from tests.factories import LocationFactory, ProductFactory, stock

# sqlite_twin: also run on SQLite, the ORM twins of the hand-written SQL (scripts/test.sh).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_twin]

# The COPY fast path (PostgreSQL) and the portable stock-feed path must behave alike.
PATHS = [pytest.param([], id="copy"), pytest.param(["--portable"], id="portable")]


def run(*args: str, **options) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    options.setdefault("stderr", io.StringIO())
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def import_stock(path: Path, *extra: str) -> str:
    return run("import_stock", str(path), "--no-progress", *extra)


def write(tmp_path: Path, text: str, name: str = "stock.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip(), encoding="utf-8")
    return path


def figures(output: str) -> dict[str, int]:
    """The summary lines ('  levels created   3') as a dict."""
    result = {}
    for line in output.splitlines():
        label, _, value = line.strip().rpartition(" ")
        if label and value.replace(",", "").isdigit():
            result[label.strip()] = int(value.replace(",", ""))
    return result


def levels() -> dict[tuple[str, str], tuple[int, int, int]]:
    return {
        (lvl.location.code, lvl.product.sku): (lvl.on_hand, lvl.reserved, lvl.safety_stock)
        for lvl in StockLevel.objects.select_related("location", "product")
    }


@pytest.fixture
def network(db):  # type: ignore[no-untyped-def]
    wh = LocationFactory(code="wh")
    store = LocationFactory(code="store", kind=Location.Kind.STORE)
    a = ProductFactory(sku="A")
    b = ProductFactory(sku="B")
    return wh, store, a, b


# --- import_stock -----------------------------------------------------------------------


@pytest.mark.parametrize("extra", PATHS)
def test_import_sets_absolute_counts_through_the_ledger(network, tmp_path, extra):
    wh, store, a, b = network
    stock(wh, a, 10, safety_stock=2)  # existing level: counted down, safety kept
    stock(store, a, 4)  # existing level: same count, new safety stock
    path = write(
        tmp_path,
        """
location,sku,on_hand,safety_stock
wh,A,7,
store,A,4,1
wh,B,25,3
store,B,0,
""",
    )

    output = import_stock(path, *extra)

    assert levels() == {
        ("wh", "A"): (7, 0, 2),
        ("store", "A"): (4, 0, 1),
        ("wh", "B"): (25, 0, 3),
        ("store", "B"): (0, 0, 0),
    }
    assert figures(output) == {
        "rows": 4,
        "levels created": 2,
        "levels updated": 2,
        "levels unchanged": 0,
        "stale rows skipped": 0,
        "movements": 3,
    }
    counts = StockMovement.objects.filter(kind=StockMovement.Kind.COUNT)
    assert sorted(
        (
            m.stock_level.location.code,
            m.stock_level.product.sku,
            m.on_hand_delta,
            m.safety_stock_delta,
        )
        for m in counts
    ) == [("store", "A", 0, 1), ("wh", "A", -3, 0), ("wh", "B", 25, 3)]
    assert {m.actor for m in counts} == {"import:stock.csv"}
    assert {m.reference for m in counts} == {"stock.csv"}
    assert stock_ledger_mismatches() == []
    assert StockLevel.objects.filter(last_counted_at__isnull=True).count() == 0


@pytest.mark.parametrize("extra", PATHS)
def test_bad_rows_are_reported_by_line_and_nothing_is_written(network, tmp_path, extra):
    wh, store, a, b = network
    stock(wh, a, 10)
    (reservation,) = stock_reserve(
        requests=[ReservationRequest(wh.pk, a.pk, 6, "order:1")], actor="test"
    )
    before_levels = levels()
    before_movements = StockMovement.objects.count()
    path = write(
        tmp_path,
        """
location,sku,on_hand,safety_stock
nowhere,A,1,
wh,NOPE,1,
wh,B,ten,
store,B,-4,
store,A
store,A,3,
store,A,5,
wh,A,5,
store,B,1,x
wh,B,3,1
store,B,2000000000,
wh,B,3,1,9
""",
    )

    with pytest.raises(CommandError) as excinfo:
        run("import_stock", str(path), "--no-progress", *extra, stderr=(err := io.StringIO()))

    assert excinfo.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "line 2: location_not_found: Unknown location 'nowhere'.",
        "line 3: product_not_found: Unknown SKU 'NOPE'.",
        "line 4: not_an_integer: on_hand 'ten' is not a whole number.",
        "line 5: negative_quantity: on_hand cannot be negative (-4).",
        "line 6: missing_column: Expected 4 columns, found 2.",
        "line 8: duplicate_row: Location 'store' and SKU 'A' were already given on line 7.",
        "line 9: stock_below_reserved: on_hand 5 is below the 6 reserved for orders; "
        "reroute or cancel them first.",
        "line 10: not_an_integer: safety_stock 'x' is not a whole number.",
        "line 12: quantity_out_of_range: on_hand: at most 1000000000 units.",
        "line 13: extra_column: Expected 4 columns, found 5.",
    ]
    assert levels() == before_levels
    assert StockMovement.objects.count() == before_movements
    reservation.refresh_from_db()
    assert reservation.status == "active"


def test_only_the_first_fifty_errors_are_printed_with_a_count(network, tmp_path):
    path = write(tmp_path, "location,sku,on_hand\n" + "wh,NOPE,1\n" * 60)
    err = io.StringIO()
    with pytest.raises(CommandError):
        run("import_stock", str(path), "--no-progress", stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 51
    assert lines[0].startswith("line 2: product_not_found")
    assert lines[49].startswith("line 51: ")
    assert lines[50] == "... and 10 more error(s) (the first 50 shown)"
    assert StockLevel.objects.count() == 0


def test_a_bad_header_is_refused(network, tmp_path):
    path = write(tmp_path, "location,product,quantity\nwh,A,1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        run("import_stock", str(path), "--no-progress", stderr=err)
    assert "line 1: missing_column" in err.getvalue()
    assert "line 1: unknown_column: Unknown column(s) product, quantity." in err.getvalue()


@pytest.mark.parametrize("extra", PATHS)
def test_a_count_older_than_the_last_one_is_skipped_as_stale(network, tmp_path, extra):
    wh, store, a, b = network
    newer = "2024-01-02T10:00:00+00:00"
    import_stock(write(tmp_path, "location,sku,on_hand\nwh,A,8\n"), "--counted-at", "2024-01-01")
    import_stock(write(tmp_path, "location,sku,on_hand\nwh,B,3\n"), "--counted-at", newer)
    movements = StockMovement.objects.count()

    # wh/A was counted on the 1st (older than this file: applied); wh/B on the 2nd at 10:00
    # (as new as this file: stale); store/A never (applied).
    output = import_stock(
        write(tmp_path, "location,sku,on_hand\nwh,A,5\nwh,B,99\nstore,A,2\n"),
        *extra,
        "--counted-at",
        newer,
    )

    assert figures(output)["stale rows skipped"] == 1
    assert figures(output)["movements"] == 2
    assert levels()[("wh", "A")] == (5, 0, 0)
    assert levels()[("wh", "B")] == (3, 0, 0)
    assert levels()[("store", "A")] == (2, 0, 0)
    assert StockMovement.objects.count() == movements + 2
    assert StockLevel.objects.get(location=wh, product=b).last_counted_at == dt.datetime(
        2024, 1, 2, 10, tzinfo=dt.UTC
    )
    assert stock_ledger_mismatches() == []


def test_dry_run_reports_the_figures_and_writes_nothing(network, tmp_path):
    wh, store, a, b = network
    stock(wh, a, 10)
    output = import_stock(write(tmp_path, "location,sku,on_hand\nwh,A,4\nwh,B,2\n"), "--dry-run")
    assert "Dry run" in output
    assert figures(output)["levels created"] == 1
    assert figures(output)["movements"] == 2
    assert levels() == {("wh", "A"): (10, 0, 0)}
    assert StockMovement.objects.count() == 1


def test_counted_at_in_the_future_is_refused(network, tmp_path):
    path = write(tmp_path, "location,sku,on_hand\nwh,A,4\n")
    with pytest.raises(CommandError, match="in the future"):
        import_stock(path, "--counted-at", "2999-01-01T00:00:00Z")
    with pytest.raises(CommandError, match="not an ISO 8601"):
        import_stock(path, "--counted-at", "yesterday")


# --- export_stock -----------------------------------------------------------------------


@pytest.mark.parametrize("extra", PATHS)
def test_export_reimports_unchanged(network, tmp_path, extra):
    wh, store, a, b = network
    stock(wh, a, 10, safety_stock=2)
    stock(wh, b, 3)
    stock(store, a, 1, safety_stock=1)
    stock_reserve(requests=[ReservationRequest(wh.pk, a.pk, 4, "order:1")], actor="test")
    exported = tmp_path / "export.csv"
    run("export_stock", str(exported))
    assert exported.read_text().splitlines() == [
        "location,sku,on_hand,reserved,safety_stock,available",
        "store,A,1,0,1,0",
        "wh,A,10,4,2,4",
        "wh,B,3,0,0,3",
    ]
    before = levels()
    movements = StockMovement.objects.count()

    output = import_stock(exported, *extra)

    assert figures(output)["levels unchanged"] == 3
    assert figures(output)["movements"] == 0
    assert levels() == before
    assert StockMovement.objects.count() == movements
    again = tmp_path / "again.csv"
    run("export_stock", str(again))
    assert again.read_text() == exported.read_text()


def test_export_to_stdout_with_a_location_filter(network):
    wh, store, a, b = network
    stock(wh, a, 10)
    stock(store, a, 2)
    assert run("export_stock", "-", "--location", "store").splitlines() == [
        "location,sku,on_hand,reserved,safety_stock,available",
        "store,A,2,0,0,2",
    ]
    with pytest.raises(CommandError, match="Unknown location"):
        run("export_stock", "-", "--location", "nowhere")


# --- check_stock_ledger -----------------------------------------------------------------


def test_check_stock_ledger_exit_codes(network):
    wh, store, a, b = network
    stock(wh, a, 10)
    stock(store, b, 3)
    assert run("check_stock_ledger").strip() == "ledger OK: 2 stock levels"

    StockLevel.objects.filter(location=wh, product=a).update(on_hand=12)  # behind the ledger
    out = io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("check_stock_ledger", stdout=out)
    assert excinfo.value.returncode == 1
    assert "wh A: on_hand is 12, the ledger says 10" in out.getvalue()
    assert run("check_stock_ledger", "--location", "store").strip() == "ledger OK: 1 stock levels"


# --- create_api_key ---------------------------------------------------------------------


def test_create_api_key_prints_a_working_key_once(channel, client):
    output = run(
        "create_api_key",
        "web-de",
        "--name",
        "Shop connector",
        "--scope",
        "orders",
        "--scope",
        "stock_write",
    )
    raw = next(line.strip() for line in output.splitlines() if line.strip().startswith("oms_"))
    key = ApiKey.objects.get(name="Shop connector")
    assert key.channel == channel
    assert key.scopes == ["orders", "stock_write"]
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {key.key_hash, key.prefix, key.name}
    assert "not stored" in output
    response = client.get("/api/v1/availability/?skus=X", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200


def test_create_api_key_refuses_unknown_channels_and_scopes(channel):
    with pytest.raises(CommandError, match="Unknown channel 'nope'"):
        run("create_api_key", "nope", "--name", "x")
    with pytest.raises(CommandError, match="Unknown scopes: admin"):
        run("create_api_key", "web-de", "--name", "x", "--scope", "admin")
    assert not ApiKey.objects.filter(name="x").exists()


def test_create_api_key_can_create_the_channel(db):
    raw = run(
        "create_api_key",
        "pos-1",
        "--name",
        "till",
        "--create-channel",
        "--channel-name",
        "Tills",
        "--channel-kind",
        "store",
        "--quiet",
    ).strip()
    channel = Channel.objects.get(code="pos-1")
    assert (channel.name, channel.kind) == ("Tills", "store")
    assert ApiKey.objects.get(channel=channel).matches(raw)


# --- seed_demo --------------------------------------------------------------------------


def demo_counts() -> dict[str, int]:
    return {
        "channels": Channel.objects.count(),
        "locations": Location.objects.count(),
        "products": Product.objects.count(),
        "levels": StockLevel.objects.count(),
        "movements": StockMovement.objects.count(),
        "inbound": InboundStock.objects.count(),
        "keys": ApiKey.objects.filter(revoked_at__isnull=True).count(),
    }


def test_seed_demo_is_idempotent_and_resettable(db, django_user_model):
    first = run("seed_demo", "--skus", "30")
    counts = demo_counts()
    assert counts["channels"] == 3
    assert counts["locations"] == 11
    assert counts["products"] == 30
    assert counts["levels"] > 100
    assert counts["inbound"] > 0
    assert counts["keys"] == 1
    assert "Admin login: admin / admin" in first
    raw = next(line.strip() for line in first.splitlines() if line.strip().startswith("oms_"))
    key = ApiKey.objects.get(revoked_at__isnull=True)
    assert key.channel.code == "web-de" and key.matches(raw)
    assert sorted(key.scopes) == ["location", "orders", "stock_write"]
    assert django_user_model.objects.get(username="admin").is_superuser
    assert "Agent login: agent / agent" in first
    agent = django_user_model.objects.get(username="agent")
    assert not agent.is_superuser and agent.has_perm("orders.cancel_order")
    assert not agent.has_perm("oms.view_outboxmessage")
    assert stock_ledger_mismatches() == []
    stores = Location.objects.filter(kind=Location.Kind.STORE)
    assert stores.count() == 8
    assert all(s.click_collect and s.accepts_returns for s in stores)

    second = run("seed_demo", "--skus", "30")
    assert demo_counts() == counts
    assert "oms_" not in second and "Admin login" not in second

    run("seed_demo", "--skus", "30", "--reset")
    assert demo_counts() == counts
    assert stock_ledger_mismatches() == []
