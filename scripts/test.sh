#!/usr/bin/env bash
# Set up and run the whole test suite on PostgreSQL, with every check CI makes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.txt
scripts/services.sh
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser tests"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium" >&2
fi
export DJANGO_SETTINGS_MODULE=oms.settings.test
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy (pure routing core + services, django-stubs)"
.venv/bin/mypy
echo "== layers (import-linter: oms <- inventory <- routing <- orders <- returns; pure planner)"
.venv/bin/lint-imports
echo "== migrations complete"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== deploy checks (production settings)"
DJANGO_SETTINGS_MODULE=oms.settings.production \
  SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms ALLOWED_HOSTS=oms.example.com \
  .venv/bin/python manage.py check --deploy --fail-level WARNING
echo "== OpenAPI schema"
.venv/bin/python manage.py spectacular --validate --fail-on-warn --file /tmp/oms-schema.yml
echo "== tests"
OMS_FAIL_ON_SKIP="${OMS_FAIL_ON_SKIP:-1}" .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile -p no:randomly "$@"
echo "== SQLite pass (the quickstart's database: ORM twins of the hand-written SQL)"
# Only the tests marked sqlite_twin; none selected means exit code 5, which fails the run.
DJANGO_SETTINGS_MODULE=oms.settings.test_sqlite OMS_FAIL_ON_SKIP=1 \
  .venv/bin/pytest -p no:randomly -m sqlite_twin tests/integration tests/api
