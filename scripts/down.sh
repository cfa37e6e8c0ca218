#!/usr/bin/env bash
# make down: stop a stack that `make up` started from another shell (.stack/pids names its
# process groups: each one gets SIGTERM, and SIGKILL after 35 s).
set -u
cd "$(dirname "$0")/.."
pidfile=.stack/pids
# The script itself stops everything on SIGTERM (gracefully, then exits 0).
if [ -f .stack/up.pid ] && kill -TERM "$(cat .stack/up.pid)" 2>/dev/null; then
  for _ in $(seq 1 160); do [ -f .stack/up.pid ] || break; sleep 0.25; done
  [ -f "$pidfile" ] || { echo "stopped"; exit 0; }
fi
[ -f "$pidfile" ] || { echo "no stack running (no $pidfile)"; exit 0; }
read -r -a pids < "$pidfile"
for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
for _ in $(seq 1 140); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.25
done
for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
rm -f "$pidfile" .stack/up.pid
echo "stopped ${pids[*]}"
