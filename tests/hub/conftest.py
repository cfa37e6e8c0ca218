from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hub.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver on 127.0.0.1 answering its script, then 200."""
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
