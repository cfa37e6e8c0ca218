"""Load and measurement helpers for bench_ratios.py: open-loop arrivals, wrk GETs, one request
at a time, and the PostgreSQL backend CPU of a pgbench transaction."""

from __future__ import annotations

import asyncio
import collections
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import percentile, uptime
from benchmarks.storage_probe import StorageProbe

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Ratio:
    name: str
    ours: float | None
    reference: float | None
    comparison: str | None = None  # ">=" or "<="
    target: float | None = None

    @property
    def value(self) -> float | None:
        if self.ours is None or not self.reference:
            return None
        return self.ours / self.reference

    def verdict(self) -> str:
        value = self.value
        if value is None or self.comparison is None or self.target is None:
            return "-"
        met = value >= self.target if self.comparison == ">=" else value <= self.target
        return "met" if met else "MISSED"


def print_ratios(ratios: list[Ratio]) -> None:
    print("\n| ratio | ours | reference | ratio | target | verdict |\n|---|---:|---:|---:|---|---|")
    for r in ratios:
        ours = "-" if r.ours is None else f"{r.ours:,.2f}"
        reference = "-" if r.reference is None else f"{r.reference:,.3f}"
        value = "-" if r.value is None else f"{r.value:.3f}x"
        target = f"{r.comparison} {r.target}x" if r.comparison else "-"
        print(f"| {r.name} | {ours} | {reference} | {value} | {target} | {r.verdict()} |")


def open_loop_orders(
    *, port: int, api_key: str, factory, rate: float, duration: float, seed: int = 4242
) -> tuple[list[tuple[float, float]], collections.Counter, collections.Counter]:  # type: ignore[no-untyped-def]
    """Poisson arrivals at `rate`/s for `duration` s, each on a connection of its own opened at
    its arrival (a sync worker must never wait on an idle connection). One asyncio thread, the
    requests built before the clock starts; a latency runs from the scheduled arrival to the
    end of the answer, so any wait of the client's own counts against us, never for us.
    Returns each answered order's (arrival, end) on the monotonic clock (`time.monotonic`,
    shared by the machine's processes: benchmarks/storage_probe.py compares with it)."""
    rng = random.Random(seed)
    arrivals: list[tuple[float, bytes]] = []
    at = rng.expovariate(rate)
    while at <= duration:
        index = len(arrivals)
        body = factory.body(index)
        head = (
            f"POST /api/v1/orders/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Api-Key {api_key}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: {factory.run}-{index}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        arrivals.append((at, head.encode() + body))
        at += rng.expovariate(rate)
    spans: list[tuple[float, float]] = []
    statuses: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()

    async def one(loop: asyncio.AbstractEventLoop, due: float, payload: bytes) -> None:
        await asyncio.sleep(max(0.0, due - loop.time()))
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(payload)
            status_line = await reader.readline()
            await reader.read()  # to the end: the answer says Connection: close
            spans.append((due, loop.time()))
            statuses[int(status_line.split()[1])] += 1
            writer.close()
        except (OSError, IndexError, ValueError) as exc:
            errors[type(exc).__name__] += 1

    async def run() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.1
        await asyncio.gather(*(one(loop, start + due, payload) for due, payload in arrivals))

    asyncio.run(run())  # an event loop's time() is time.monotonic()
    return spans, statuses, errors


def open_loop_report(
    *, port: int, api_key: str, factory, rate: float, duration: float, probe_dir: Path
) -> tuple[float, bool, str]:
    """`open_loop_orders` with the storage probe beside it (benchmarks/storage_probe.py):
    prints the p99, the disk's stalls, and the p99 of the orders that no stall touched (for
    reading the verdict, which stays on all orders). Returns the p99 (ms), whether every
    order was answered 201, and a line on the storage's stalls."""
    with StorageProbe(probe_dir) as probe:
        spans, statuses, errors = open_loop_orders(
            port=port, api_key=api_key, factory=factory, rate=rate, duration=duration
        )
    latencies = [end - begin for begin, end in spans]
    p99 = percentile(latencies, 99) * 1000
    print(
        f"\n== open loop: Poisson arrivals at {rate:.1f}/s (half of #1) for {duration:g} s, "
        f"a connection per order: {len(latencies)} answers, p50 "
        f"{percentile(latencies, 50) * 1000:.1f} ms, p99 {p99:.1f} ms, statuses "
        f"{dict(statuses)}, errors {dict(errors) or 'none'}; {uptime()}"
    )
    print(probe.result.summary())
    note = "no storage stall during it"
    for wake, what in ((0.0, "in flight during a stall"), (1.0, "or in the queue it left")):
        hit = probe.result.overlapping(spans, wake)
        others = [latency for latency, h in zip(latencies, hit, strict=True) if not h]
        if any(hit) and others:
            untouched = percentile(others, 99) * 1000
            print(
                f"  orders {what}: {sum(hit)} of {len(spans)}; p99 of the other {len(others)}: "
                f"{untouched:.1f} ms"
            )
            note = (
                f"storage stalled {len(probe.result.stalls)} time(s) during it, the longest "
                f"{probe.result.longest_ms():.0f} ms; the p99 of the {len(others)} orders no "
                f"stall or its queue touched: {untouched:.1f} ms"
            )
    return p99, not errors and set(statuses) == {201}, note


def wrk_get(
    *,
    port: int,
    path: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    ceiling_dir: Path,
) -> dict:
    """GET with wrk (as the reference measures drf_noop_get), parsed by the ceiling's own
    parser: 2 s warm-up, then `seconds`."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk), as for the reference")
    url = f"http://127.0.0.1:{port}{path}"
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    base = ["wrk", "-t", "2", "-c", str(connections), "--timeout", "10s", *header_args]
    subprocess.run([*base, "-d", "2s", url], check=True, capture_output=True)
    with tempfile.NamedTemporaryFile("w+", suffix=".wrk.txt") as out:
        subprocess.run([*base, "-d", f"{int(seconds)}s", "--latency", url], check=True, stdout=out)
        parsed = subprocess.run(
            [
                sys.executable,
                str(ceiling_dir / "ceiling.py"),
                "wrk-json",
                "ours",
                str(connections),
                str(int(seconds)),
                out.name,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    line = json.loads(parsed.stdout.strip().splitlines()[-1])
    if line["errors"]:
        raise SystemExit(f"wrk: {line['errors']} errors on {path[:80]}")
    return line


def sequential_orders(*, port: int, api_key: str, factory, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """One order at a time, each on a new connection (after 10 to warm every worker): wall
    seconds per order, the service time with no queue in front of it."""
    samples = []
    for index in range(count + 10):
        headers = {
            "Authorization": f"Api-Key {api_key}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"{factory.run}-{index}",
        }
        elapsed = _timed(port, "POST", "/api/v1/orders/", headers, factory.body(index), 201)
        if index >= 10:
            samples.append(elapsed)
    return samples


def sequential_get(*, port: int, path: str, headers: dict[str, str], count: int) -> list[float]:
    """One request at a time (after 20 to warm every worker): wall seconds per request."""
    samples = [_timed(port, "GET", path, headers, None, 200) for _ in range(count + 20)]
    return samples[20:]


def _timed(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None, status: int
) -> float:
    """Wall seconds of one request on a new connection, to the end of its answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    if response.status != status:
        raise SystemExit(f"{method} {path[:80]}: {response.status}, expected {status}")
    return elapsed


def _cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def backend_cpu_per_transaction(
    *, pg_url: str, schema: Path, script: Path, connections: int, seconds: int, warmup: int
) -> tuple[float, float]:
    """Run `script` with pgbench (as run_ceiling.sh does: -M prepared, -j 2 (1 for one
    connection), a CHECKPOINT, `warmup` s of the same load, then the measured run) in a
    throwaway database and return (PostgreSQL backend CPU ms per transaction, tps in the
    window). Without the CHECKPOINT and the warm-up (before the sixth session) the window
    fell in the first seconds after the tables were loaded, when nearly every UPDATE is the
    first change of its page since a checkpoint and writes the whole page to the WAL: 1.4-1.7
    ms per transaction at about 1,000 tps instead of about 0.4 ms at 3,000
    (benchmarks/README.md, "sixth session").

    The backends' CPU is read from /proc/<pid>/stat (utime + stime) of the pgbench sessions
    (pg_stat_activity, application_name 'pgbench') every 0.2 s; the window runs from the
    first sample with every session connected to the last one, and the transactions counted
    are those pgbench's per-transaction log says completed inside it."""
    import psycopg

    dbname = f"bench_ratios_pgb_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    db_url = pg_url.rsplit("/", 1)[0] + f"/{dbname}"
    workdir = Path(tempfile.mkdtemp(prefix="oms-pgb-"))
    try:
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(schema), db_url],
            check=True,
            capture_output=True,
        )
        with psycopg.connect(db_url, autocommit=True) as conn:
            try:
                conn.execute("CHECKPOINT")  # as run_ceiling.sh; needs a superuser
            except psycopg.Error:
                pass
        threads = str(min(2, connections))
        base = ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", threads]
        if warmup > 0:
            subprocess.run(
                [*base, "-T", str(warmup), "-f", str(script), db_url],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        bench = subprocess.Popen(
            [
                *base, "-T", str(seconds), "-f", str(script), "-l",
                f"--log-prefix={workdir / 'tx'}", db_url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        samples: list[tuple[float, dict[int, float]]] = []
        with psycopg.connect(db_url, autocommit=True) as conn:
            while bench.poll() is None:
                pids = [
                    row[0]
                    for row in conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = 'pgbench'"
                    )
                ]
                now = time.time()
                cpu = {pid: c for pid in pids if (c := _cpu(pid)) is not None}
                if len(cpu) == connections:
                    samples.append((now, cpu))
                time.sleep(0.2)
        if bench.returncode != 0 or len(samples) < 5:
            raise SystemExit(f"pgbench failed ({bench.returncode}) or too few samples")
        (t1, first), (t2, last) = samples[0], samples[-1]
        spent = sum(last[pid] - first.get(pid, last[pid]) for pid in last)
        done = 0
        for log in workdir.glob("tx*"):
            for line in log.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 6 and t1 < int(parts[4]) + int(parts[5]) / 1e6 <= t2:
                    done += 1
        return spent * 1000 / done, done / (t2 - t1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@dataclass
class WrkOrders:
    """One wrk run of order POSTs: counts, latency and the CPU the server side spent."""

    requests: int
    seconds: float
    statuses: dict[int, int]
    socket_errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_ms: dict[str, float]  # per 201, by process group

    @property
    def accepted(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        cpu = ", ".join(f"{name} {ms:.2f} ms" for name, ms in self.cpu_ms.items())
        return (
            f"{self.requests} requests in {self.seconds:.1f} s, {self.rate:.1f} orders/s (201); "
            f"p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms; "
            f"statuses {self.statuses}, socket errors {self.socket_errors}; CPU per order: {cpu}"
        )


def wrk_orders(
    *,
    port: int,
    api_key: str,
    run: str,
    connections: int,
    seconds: float,
    mode: str = "normal",
    cpu_pids: dict[str, list[int]] | None = None,
) -> WrkOrders:
    """POST orders with wrk (benchmarks/wrk_orders.lua), closed loop."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk), as for the reference")
    here = Path(__file__).resolve().parent
    script = here / "wrk_orders.lua"
    args = [api_key, run, mode]
    command = [
        "wrk", "-t", "2", "-c", str(connections), "-d", f"{int(seconds)}s", "--timeout", "10s",
        "-s", str(script), f"http://127.0.0.1:{port}/api/v1/orders/", "--", *args,
    ]  # fmt: skip
    groups = cpu_pids or {}
    before = {name: sum(filter(None, map(_cpu, pids))) for name, pids in groups.items()}
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    spent = {name: sum(filter(None, map(_cpu, pids))) for name, pids in groups.items()}
    line = json.loads(done.stdout.strip().splitlines()[-1])
    statuses = {int(k): v for k, v in line["statuses"].items()}
    accepted = max(1, statuses.get(201, 0))
    return WrkOrders(
        requests=line["requests"],
        seconds=line["duration_us"] / 1e6,
        statuses=statuses,
        socket_errors=line["socket_errors"],
        p50_ms=line["p50_us"] / 1000,
        p99_ms=line["p99_us"] / 1000,
        max_ms=line["max_us"] / 1000,
        cpu_ms={name: (spent[name] - before[name]) * 1000 / accepted for name in groups},
    )
