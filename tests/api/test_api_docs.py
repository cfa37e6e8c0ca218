"""The API docs page works offline: Swagger UI comes from our static files, not a CDN."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

ATTRIBUTE_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[\w.-]+""")


def test_docs_page_references_only_local_static_files() -> None:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()

    assert not ABSOLUTE_URL.findall(page)  # no CDN, no other host
    static_url = "/" + settings.STATIC_URL.strip("/") + "/"
    urls = ATTRIBUTE_URL.findall(page)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert any(url.endswith("swagger-ui.css") for url in urls)
    for url in urls:
        assert url.startswith(static_url), url
        assert finders.find(url.removeprefix(static_url)), f"{url} is not a static file"
    assert '"/api/schema/"' in page  # the schema it loads is ours too
