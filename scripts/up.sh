#!/usr/bin/env bash
# make up: the production-like stack on this machine, in the foreground; Ctrl-C stops it all.
#   gunicorn (oms.settings.production, oms/gunicorn_conf.py), dramatiq workers on Redis,
#   the periodic scheduler (run_jobs --enqueue), on PostgreSQL and Redis (scripts/services.sh).
# Local values for what production takes from the environment: a SECRET_KEY and a
# METRICS_TOKEN kept in .stack/ (so sessions survive a restart), ALLOWED_HOSTS for
# 127.0.0.1/localhost, no TLS redirect or secure cookies (plain HTTP on loopback), e-mail
# into .stack/mail/. Any of them can be overridden from the environment.
# Options (environment): PORT (8000), OMS_SEED_DEMO=1 (demo data, admin/admin),
# WEB_CONCURRENCY, DRAMATIQ_PROCESSES (1), DRAMATIQ_THREADS (4), JOBS_INTERVAL (15 s).
set -euo pipefail
cd "$(dirname "$0")/.."
state="$PWD/.stack"
mkdir -p "$state/logs" "$state/mail"
if [ -f "$state/pids" ]; then
  for pid in $(cat "$state/pids"); do
    if kill -0 -- "-$pid" 2>/dev/null; then
      echo "a stack is running already (pids in $state/pids): 'make down' first" >&2
      exit 1
    fi
  done
  rm -f "$state/pids"
fi
scripts/bootstrap.sh requirements.txt
scripts/services.sh

secret() { [ -s "$1" ] || (umask 077 && head -c 64 /dev/urandom | base64 | tr -d '/+=\n' > "$1"); cat "$1"; }
port="${PORT:-8000}"
export PORT="$port"
export DJANGO_SETTINGS_MODULE=oms.settings.production
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/oms}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export SECRET_KEY="${SECRET_KEY:-$(secret "$state/secret_key")}"
export METRICS_TOKEN="${METRICS_TOKEN:-$(secret "$state/metrics_token")}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
export CSRF_TRUSTED_ORIGINS="${CSRF_TRUSTED_ORIGINS:-http://127.0.0.1:$port,http://localhost:$port}"
export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-0}" SECURE_COOKIES="${SECURE_COOKIES:-0}"
export SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}"
export EMAIL_FILE_PATH="${EMAIL_FILE_PATH:-$state/mail}"
# prometheus-client multiprocess mode: every process writes its counters here; a new run
# starts from an empty directory.
export PROMETHEUS_MULTIPROC_DIR="$state/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is taken; choose another with PORT=..." >&2
  exit 1
fi
py=.venv/bin/python
export PYTHONUNBUFFERED=1
$py manage.py migrate --noinput
$py manage.py collectstatic --noinput -v 0
if [ "${OMS_SEED_DEMO:-0}" = 1 ]; then $py manage.py seed_demo; fi

pids=()
stop() {
  # Each process runs in its own session (setsid), so Ctrl-C reaches only this script and
  # every process group gets SIGTERM from here: gunicorn and dramatiq shut down gracefully,
  # and whatever is left after 35 s is killed with its children. Signal first, talk later:
  # a closed terminal or pipe must not leave anything running.
  trap - INT TERM EXIT
  trap '' PIPE HUP
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  echo "stopping the stack" || true
  for _ in $(seq 1 140); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -f "$state/pids" "$state/up.pid"
  echo "stopped" || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

setsid .venv/bin/gunicorn -c oms/gunicorn_conf.py oms.wsgi > "$state/logs/web.log" 2>&1 &
pids+=($!)
setsid $py manage.py rundramatiq --processes "${DRAMATIQ_PROCESSES:-1}" \
  --threads "${DRAMATIQ_THREADS:-4}" > "$state/logs/workers.log" 2>&1 &
pids+=($!)
setsid $py manage.py run_jobs --enqueue --interval "${JOBS_INTERVAL:-15}" \
  > "$state/logs/scheduler.log" 2>&1 &
pids+=($!)
echo "${pids[*]}" > "$state/pids"
echo $$ > "$state/up.pid"

for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health/" 2>/dev/null && break
  sleep 0.5
done
curl -sS "http://127.0.0.1:$port/health/" || { echo "gunicorn did not come up:"; tail -20 "$state/logs/web.log"; exit 1; }
cat <<INFO

OMS production-like stack (settings oms.settings.production)
  web (gunicorn):  http://127.0.0.1:$port/   admin /admin/, API /api/v1/, docs /api/docs/
  health:          http://127.0.0.1:$port/health/
  metrics:         curl -H 'Authorization: Bearer $METRICS_TOKEN' http://127.0.0.1:$port/metrics
  PostgreSQL:      $DATABASE_URL
  Redis (broker):  $REDIS_URL
  workers:         dramatiq ${DRAMATIQ_PROCESSES:-1} process(es) x ${DRAMATIQ_THREADS:-4} threads
  scheduler:       run_jobs --enqueue every ${JOBS_INTERVAL:-15} s
  logs:            $state/logs/{web,workers,scheduler}.log   e-mails: $EMAIL_FILE_PATH
  pids:            ${pids[*]} (in $state/pids; 'make down' from another shell)
Ctrl-C stops everything.
INFO

# Stop everything when any one of them ends (or on Ctrl-C / SIGTERM via the trap).
set +e
wait -n "${pids[@]}"
status=$?
echo "a process of the stack exited (status $status); see $state/logs/"
exit 1
