#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; start them where this machine has them.
set -u
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (echo > /dev/tcp/127.0.0.1/6379) 2>/dev/null; }

if ! pg_up; then
  echo "starting PostgreSQL"
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

# The database the settings name by default (tests create their own test_ databases).
if command -v psql >/dev/null; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'oms'" 2>/dev/null \
    | grep -q 1 || createdb -h 127.0.0.1 -U postgres oms 2>/dev/null || true
fi

if ! redis_up; then
  echo "starting Redis"
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 1 15); do redis_up && break; sleep 1; done
fi
redis_up || echo "warning: Redis is not reachable on 127.0.0.1:6379 (only the broker test needs it)" >&2
exit 0
