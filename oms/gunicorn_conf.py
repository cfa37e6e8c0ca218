"""gunicorn configuration for production (`gunicorn -c oms/gunicorn_conf.py oms.wsgi`).

Sized for the 2-core machine, overridable by environment:
- `WEB_CONCURRENCY` workers, default cores + 1 (3 here). Intake is CPU-bound Python (routing,
  serialising) with short PostgreSQL waits; benchmarks/bench_orders.py measured 2-3 sync
  workers best on 2 cores, and more only added context switches (PostgreSQL, Redis and the
  dramatiq workers share the same cores). The usual 2 x cores + 1 is for I/O-heavy apps.
- sync workers (`GUNICORN_THREADS=1`): one request per process, one persistent database
  connection each (CONN_MAX_AGE). Put a buffering reverse proxy (nginx) in front, as sync
  workers should not talk to slow clients directly; `GUNICORN_THREADS>1` switches to gthread.
- `timeout` 30 s: no request should get near it (intake p99 is well below a second); a hung
  worker is killed and replaced. `graceful_timeout` 30 s on SIGTERM/SIGHUP.
- `max_requests` 2000 with jitter: workers are recycled now and then, one at a time, so a
  slow leak never builds up.
- prometheus-client multiprocess mode: when `PROMETHEUS_MULTIPROC_DIR` is set, a dead
  worker's live gauges are removed (its counters stay, added into the totals).
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 30
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Worker heartbeats on a RAM disk, not on a possibly slow /tmp.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Let the proxy's X-Forwarded-* headers through only from the local proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" turns it off
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "oms-web"
# gunicorn >= 25.1 opens a control socket at one fixed path per user: two servers on one
# machine would fight over it, and nothing here uses it.
control_socket_disable = True
raw_env = [
    "DJANGO_SETTINGS_MODULE=" + os.environ.get("DJANGO_SETTINGS_MODULE", "oms.settings.production")
]


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
