"""Storage stalls during a measurement: how long `fdatasync` takes on the disk PostgreSQL
commits to, sampled alongside a latency measurement.

Every COMMIT of an order waits for PostgreSQL's WAL to reach the disk (`fdatasync`; durability
is not negotiable: an order answered 201 must survive a crash). When the disk stalls, every
commit in flight stalls with it, whatever the application does. On the machines these
benchmarks ran on, a virtual disk stalled 0.2-1.1 s a few times a minute, also with nothing
else running, and the slow COMMITs in PostgreSQL's log fell on the same instants as the
probe's stalls (benchmarks/README.md, "sixth session"). So a latency percentile from such a
window says more about the disk than about the OMS; this probe tells which it is.

The probe is a child process (its waits must not hold the benchmark's GIL) that writes 8 KB
and calls `fdatasync` every `interval` seconds (20 ms: 400 KB/s, next to nothing), on a file of
its own on the filesystem of PostgreSQL's data directory, until the benchmark closes its stdin.
It reports every call of `threshold` or more as a stall (its start on the monotonic clock,
which all processes of the machine share, and its length).

    with StorageProbe(directory) as probe:
        ...measure...
    probe.result.summary()

Alone, to check a machine's disk: `.venv/bin/python -m benchmarks.storage_probe --seconds 30`.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STALL_SECONDS = 0.05
PROBE_INTERVAL = 0.02


@dataclass
class ProbeResult:
    directory: str
    interval: float = PROBE_INTERVAL
    calls: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    stalls: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds)

    @classmethod
    def from_figures(cls, directory: str, interval: float, figures: dict[str, Any]) -> ProbeResult:
        return cls(
            directory=directory,
            interval=interval,
            calls=figures["calls"],
            p50_ms=figures["p50_ms"],
            p99_ms=figures["p99_ms"],
            stalls=[(start, seconds) for start, seconds in figures["stalls"]],
        )

    def longest_ms(self) -> float:
        return max((seconds for _, seconds in self.stalls), default=0.0) * 1000

    def summary(self) -> str:
        head = (
            f"storage: fdatasync every {self.interval * 1000:.0f} ms in {self.directory}: "
            f"{self.calls} calls, p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.1f} ms"
        )
        if not self.stalls:
            return head + f"; no stall of {STALL_SECONDS * 1000:.0f} ms or more"
        stalled = sum(seconds for _, seconds in self.stalls)
        return head + (
            f"; {len(self.stalls)} stall(s) of {STALL_SECONDS * 1000:.0f} ms or more, the "
            f"longest {self.longest_ms():.0f} ms, {stalled * 1000:.0f} ms in all (every commit "
            "in flight then waits too)"
        )

    def overlapping(self, spans: list[tuple[float, float]], wake: float = 0.0) -> list[bool]:
        """For each (start, end) on the monotonic clock: whether a stall overlapped it, or the
        `wake` x its length after it (the queue a stall leaves behind: at half of the
        saturation rate, arrivals come at the rate the backlog drains, so a stall of d
        leaves a queue that takes about d to clear: wake=1)."""
        return [
            any(
                start < end and start + seconds * (1 + wake) > begin
                for start, seconds in self.stalls
            )
            for begin, end in spans
        ]


class StorageProbe:
    """Runs the probe in a child process between `__enter__` and `__exit__`."""

    def __init__(self, directory: Path, interval: float = PROBE_INTERVAL) -> None:
        self.directory = directory
        self.interval = interval
        self.result = ProbeResult(directory=str(directory), interval=interval)
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> StorageProbe:
        self._process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--dir",
                str(self.directory),
                "--interval",
                str(self.interval),
                "--until-stdin-closes",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._process is not None
        out, _ = self._process.communicate(input="", timeout=30)
        if self._process.returncode == 0 and out.strip():
            figures = json.loads(out.strip().splitlines()[-1])
            self.result = ProbeResult.from_figures(str(self.directory), self.interval, figures)


def probe_directory(data_directory: str | None) -> Path:
    """A directory on the filesystem PostgreSQL writes to, without writing into its data
    directory: the system's temporary directory when it is on the same filesystem, else the
    data directory's parent when writable; else the temporary directory all the same (a
    PostgreSQL on another machine: the figures then describe this machine's disk)."""
    temporary = Path(tempfile.gettempdir())
    if not data_directory or not os.path.isdir(data_directory):
        return temporary
    if os.stat(data_directory).st_dev == os.stat(temporary).st_dev:
        return temporary
    parent = Path(data_directory).parent
    return parent if os.access(parent, os.W_OK) else temporary


def _run(directory: Path, interval: float, seconds: float | None) -> dict[str, Any]:
    path = directory / f".oms-storage-probe-{os.getpid()}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = os.urandom(8192)
    durations: list[float] = []
    stalls: list[list[float]] = []
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while True:
            started = time.monotonic()
            os.pwrite(fd, block, 0)
            os.fdatasync(fd)
            took = time.monotonic() - started
            durations.append(took)
            if took >= STALL_SECONDS:
                stalls.append([started, took])
            if deadline is not None:
                if time.monotonic() >= deadline:
                    break
                time.sleep(interval)
            elif select.select([sys.stdin], [], [], interval)[0]:
                break  # stdin closed (or written to): the measurement is over
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    ordered = sorted(durations) or [0.0]
    return {
        "calls": len(durations),
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "stalls": stalls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None, help="[the temporary directory]")
    parser.add_argument("--interval", type=float, default=PROBE_INTERVAL, help="[0.02 s]")
    parser.add_argument("--seconds", type=float, default=30.0, help="when run alone [30]")
    parser.add_argument("--until-stdin-closes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    directory = args.dir or Path(tempfile.gettempdir())
    figures = _run(directory, args.interval, None if args.until_stdin_closes else args.seconds)
    if args.until_stdin_closes:
        print(json.dumps(figures))
        return
    result = ProbeResult.from_figures(str(directory), args.interval, figures)
    print(result.summary())
    for start, seconds in result.stalls:
        print(f"  stall at +{start - result.stalls[0][0]:.1f} s: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
