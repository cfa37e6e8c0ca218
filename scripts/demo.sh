#!/usr/bin/env bash
# Quickstart: set up and run the OMS with demo data (SQLite, jobs in-process by default).
# Set DATABASE_URL (PostgreSQL) and REDIS_URL to run it on the real components.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements.txt
export DJANGO_SETTINGS_MODULE=oms.settings.local
port="${PORT:-8000}"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
echo
echo "OMS running:   http://127.0.0.1:${port}/admin/   (login: admin / admin)"
echo "API docs:      http://127.0.0.1:${port}/api/docs/"
echo "Try:  curl -H 'Authorization: Api-Key <the demo key above>' 'http://127.0.0.1:${port}/api/v1/availability/?skus=BOTL-750-GRY,BOTL-750-NAV'"
echo
.venv/bin/python manage.py run_jobs --interval 30 > /tmp/oms-jobs.log 2>&1 &
jobs_pid=$!
trap 'kill $jobs_pid 2>/dev/null || true' EXIT
.venv/bin/python manage.py runserver "127.0.0.1:${port}"
