"""gunicorn entry point for `bench_orders.py --experiments`: the application with the order-intake
experiments of benchmarks/intake_experiments.py applied (names in BENCH_ORDERS_EXPERIMENTS).
Benchmark use only."""

import os

from django.core.wsgi import get_wsgi_application

from benchmarks.intake_experiments import apply, selected

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings.production")

application = get_wsgi_application()
apply(selected(os.environ.get("BENCH_ORDERS_EXPERIMENTS")))
