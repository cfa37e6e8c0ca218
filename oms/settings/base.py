"""Settings shared by every environment; everything that differs comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "oms.admin_apps.OMSAdminConfig",  # django.contrib.admin with the console's own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # OpClass in index expressions (trigram search indexes)
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "django_dramatiq",
    "oms",
    "inventory",
    "routing",
    "orders",
    "returns",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The REST API's requests (/api/v1/) skip the rest (oms/wsgi.py): they carry an API key, never
# a session or a CSRF token, and answer JSON.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Persistent connections: a new PostgreSQL connection per request costs several times the
# request itself. CONN_MAX_AGE keeps one per worker thread; health checks drop dead ones.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that asks the socket instead of sending SELECT 1
    # before every request's first query (oms/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "oms.postgresql"
if DATABASES["default"]["ENGINE"] == "oms.postgresql" and env_bool("DB_SERVER_SIDE_BINDING", True):
    # Server-side binding with prepared statements, on by default: PostgreSQL parses and
    # plans each hot statement shape once per connection (~35 % less PostgreSQL CPU per
    # order in benchmarks/bench_orders.py, 17 -> 11 ms). Set DB_SERVER_SIDE_BINDING=0 behind
    # PgBouncer < 1.21 in transaction pooling mode, which cannot keep prepared statements
    # per client (PgBouncer >= 1.21 with max_prepared_statements is fine).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite only for the quickstart: WAL + a busy timeout keep the demo usable with
    # the in-process worker writing beside the web server.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date format in the whole console (oms/formats/en/formats.py).
FORMAT_MODULE_PATH = ["oms.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oms.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["oms.api.auth.HasChannelApiKey"],
    "DEFAULT_PAGINATION_CLASS": "oms.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "oms.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "oms.api.negotiation.JsonFirstNegotiation",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": (
        "Order management API for sales channels. Authenticate every request with "
        "`Authorization: Api-Key <key>`; a key sees only its own channel's data. "
        "Errors are `{code, message, details}` with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # /api/docs/ must work without internet: Swagger UI's files come from the package.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Location.Kind and InboundStock.Kind are both fields named "kind": name them explicitly.
    "ENUM_NAME_OVERRIDES": {
        "LocationKindEnum": "inventory.models.Location.Kind",
        "InboundKindEnum": "inventory.models.InboundStock.Kind",
        "PaymentTransactionKindEnum": "orders.payments.models.TransactionKind",
        "ReturnStateEnum": "returns.models.ReturnState",
        "RefundStateEnum": "orders.payments.models.RefundState",
        "ErrorCodeEnum": "oms.api.error_codes.ERROR_CODES",
        # the two shapes of an order (orders/api/schema.py): one delivery type each
        "DeliveryTypeEnum": "orders.models.DeliveryType",
        "ShipDeliveryTypeEnum": ["ship"],
        "ClickCollectDeliveryTypeEnum": ["click_collect"],
    },
}

# Background jobs. With REDIS_URL set, dramatiq uses Redis; without it the quickstart
# runs jobs in-process (see oms/tasks_runtime.py), so the demo needs nothing installed.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Webhook URLs resolving to private, loopback, link-local or metadata addresses are refused
# (at creation and before every send) unless this is on: development and tests only.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = os.environ.get("WEBHOOKS_ALLOW_PRIVATE_TARGETS") == "1"
# Multiplies the delivery retry schedule (~3.2 days): for benchmarks and drills only, e.g.
# 0.001 turns the first retry's 5 s into 5 ms. 1 in production.
WEBHOOKS_BACKOFF_SCALE = float(os.environ.get("WEBHOOKS_BACKOFF_SCALE", "1"))
if REDIS_URL:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        # Several stacks (or test runs) can share one Redis with namespaces of their own.
        "OPTIONS": {
            "url": REDIS_URL,
            "namespace": os.environ.get("DRAMATIQ_NAMESPACE", "dramatiq"),
        },
        "MIDDLEWARE": [
            "dramatiq.middleware.AgeLimit",
            "dramatiq.middleware.TimeLimit",
            "dramatiq.middleware.Callbacks",
            "dramatiq.middleware.Retries",
            "django_dramatiq.middleware.DbConnectionsMiddleware",
        ],
    }
else:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": [
            "dramatiq.middleware.AgeLimit",
            "dramatiq.middleware.TimeLimit",
            "dramatiq.middleware.Callbacks",
            "dramatiq.middleware.Retries",
            "django_dramatiq.middleware.DbConnectionsMiddleware",
        ],
    }
DRAMATIQ_TASKS_DATABASE = "default"
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# E-mail (customer notifications): SMTP by default; scripts/up.sh writes files instead.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "orders@localhost")

# /metrics (oms/metrics.py): a bearer token, or a client address on the allow-list.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")

# Domain settings.
# Carrier (lower case) -> tracking page, "{tracking_number}" replaced (URL-quoted). A ship
# call without its own tracking_url gets one from here when its carrier is listed.
OMS_CARRIER_TRACKING_URLS: dict[str, str] = {}
OMS_API_KEY_PREFIX = "oms"
# Inbound stock: the expected date may lie this many days in the past (a late delivery still
# announced) and at most this many days ahead.
OMS_INBOUND_MAX_DAYS_LATE = int(os.environ.get("OMS_INBOUND_MAX_DAYS_LATE", "14"))
OMS_INBOUND_MAX_DAYS_AHEAD = int(os.environ.get("OMS_INBOUND_MAX_DAYS_AHEAD", "365"))

# The waiting room (orders/services/waiting_room.py): orders tried per run, and how often a
# run retries every waiting order rather than only those whose SKUs got stock.
WAITING_ROOM_BATCH_SIZE = int(os.environ.get("WAITING_ROOM_BATCH_SIZE", "200"))
WAITING_ROOM_SWEEP_MINUTES = int(os.environ.get("WAITING_ROOM_SWEEP_MINUTES", "60"))
# Routing decision logs older than this are deleted by `manage.py prune_routing_decisions`
# (each order keeps its latest).
ROUTING_DECISION_RETENTION_DAYS = int(os.environ.get("ROUTING_DECISION_RETENTION_DAYS", "90"))
