.PHONY: demo test lint bench jobs up down

demo:  ## set up and run the OMS with demo data (http://127.0.0.1:8000/admin/)
	scripts/demo.sh

test:  ## set up and run the whole test suite (PostgreSQL) with every CI check
	scripts/test.sh

up:  ## the production-like stack: gunicorn, dramatiq workers, scheduler, PostgreSQL, Redis
	scripts/up.sh

down:  ## stop a stack that `make up` started in another shell
	scripts/down.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

jobs:
	.venv/bin/python manage.py run_jobs

bench:
	.venv/bin/python benchmarks/bench_planner.py
	.venv/bin/python benchmarks/bench_availability.py
	.venv/bin/python benchmarks/bench_simulate.py
	.venv/bin/python benchmarks/bench_orders.py
	.venv/bin/python benchmarks/bench_import.py
	.venv/bin/python benchmarks/bench_webhooks.py --scenario fast
	.venv/bin/python benchmarks/bench_webhooks.py --scenario flaky
	.venv/bin/python benchmarks/bench_webhooks.py --scenario intake
