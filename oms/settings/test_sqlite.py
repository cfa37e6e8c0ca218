"""Test settings for the SQLite pass (`make test`): the quickstart's database, for the tests
marked `sqlite_twin` - the service-level tests that cover each hand-written PostgreSQL
statement's ORM twin (README, "Hand-written SQL")."""

import os

os.environ["DATABASE_URL"] = "sqlite:///oms-test.sqlite3"

from .test import *  # noqa: F403

# The same options as the quickstart (oms.settings.base), in memory for the test run.
DATABASES["default"]["TEST"] = {"NAME": None}  # noqa: F405
