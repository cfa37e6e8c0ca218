"""Benchmark settings: PostgreSQL (its own database by default), persistent connections."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench")
os.environ.pop("REDIS_URL", None)

from oms.settings.base import *  # noqa: F403

DEBUG = False
# Like production: one connection per worker, kept between requests.
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
