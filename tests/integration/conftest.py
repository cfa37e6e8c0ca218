"""Fixtures of the staff-console tests (a module's own `world` or `staff` fixture wins)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.console_data import CONSOLE_PERMISSIONS, ConsoleWorld, console_world, staff_user


@pytest.fixture
def world() -> ConsoleWorld:
    """The console's order world (tests/console_data.py)."""
    return console_world()


@pytest.fixture
def staff(client: Client) -> Client:
    """The test client logged in as a staff member with the console's permissions."""
    client.force_login(staff_user("alice", *CONSOLE_PERMISSIONS))
    return client
