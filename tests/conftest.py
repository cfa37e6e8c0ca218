from __future__ import annotations

import os

import pytest


@pytest.fixture
def channel(db):  # type: ignore[no-untyped-def]
    from tests.factories import ChannelFactory

    return ChannelFactory(code="web-de", name="Web shop DE")


@pytest.fixture
def api_key(channel):  # type: ignore[no-untyped-def]
    from oms.services import api_key_create

    key, raw = api_key_create(
        channel=channel, name="test", scopes=["orders", "stock_write", "location"]
    )
    return raw


@pytest.fixture
def api_client(api_key):  # type: ignore[no-untyped-def]
    from tests.factories import api_client_for

    return api_client_for(api_key)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    # Tests that touch the database run on PostgreSQL; on SQLite (oms.settings.test_sqlite)
    # only those marked `sqlite_twin`. Fail loudly otherwise.
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    unmarked = [
        i.nodeid
        for i in items
        if "db" in getattr(i, "fixturenames", ()) and i.get_closest_marker("sqlite_twin") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            f"Only tests marked sqlite_twin run on {engine} (run with -m sqlite_twin); "
            f"not: {unmarked[:5]}"
        )


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    # In CI a skipped test is a test that did not run: treat it as a failure.
    if os.environ.get("OMS_FAIL_ON_SKIP") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and reporter.stats.get("skipped"):
            session.exitstatus = 1


@pytest.fixture
def probe():  # type: ignore[no-untyped-def]
    """A registered test delivery target (kind "probe") for the status hub tests."""
    from oms.hub.targets import register_target, unregister_target
    from tests.hub.probe import ProbeTarget

    target = ProbeTarget()
    register_target(target)
    yield target
    unregister_target(target.kind)
