"""Developer / quickstart settings: DEBUG on, SQLite unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

from .base import *  # noqa: F403

DEBUG = True
WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # webhooks to a receiver on this machine
