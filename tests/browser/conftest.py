"""A headless Chromium page for the browser tests (Playwright's sync API, Debian's chromium).

A test module defines a `world` fixture with its data; the page starts after it (see the
note on connections below)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself would otherwise be refused as "called from an async context".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser_page(request: pytest.FixtureRequest) -> Iterator:  # type: ignore[type-arg]
    from django.db import connections
    from playwright.sync_api import sync_playwright

    request.getfixturevalue("world")  # the data first, before Playwright's loop starts
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connections in a
            # separate (async-context) slot; close them here or the test database cannot be
            # dropped at the end of the session ("being accessed by other users").
            connections.close_all()
