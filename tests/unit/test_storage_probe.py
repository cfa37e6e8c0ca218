"""The benchmarks' storage probe (benchmarks/storage_probe.py): which requests a disk stall
touched, where it writes, and that the child process reports back."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchmarks.storage_probe import ProbeResult, StorageProbe, probe_directory


def _result(*stalls: tuple[float, float]) -> ProbeResult:
    return ProbeResult(directory="/x", stalls=list(stalls))


def test_a_request_is_touched_only_by_a_stall_that_overlaps_it():
    result = _result((10.0, 0.5))  # stalled from 10.0 to 10.5
    spans = [(9.0, 9.9), (9.9, 10.1), (10.2, 10.3), (10.4, 11.0), (10.5, 10.6), (10.6, 11.0)]
    assert result.overlapping(spans) == [False, True, True, True, False, False]


def test_the_wake_marks_the_queue_a_stall_left_for_as_long_again():
    result = _result((10.0, 0.5))  # with wake=1: touched until 11.0
    spans = [(10.6, 10.7), (10.99, 11.2), (11.0, 11.1), (9.0, 9.5)]
    assert result.overlapping(spans, wake=1.0) == [True, True, False, False]


def test_without_stalls_nothing_is_touched_and_the_summary_says_so():
    result = _result()
    assert result.overlapping([(1.0, 2.0)]) == [False]
    assert "no stall of 50 ms or more" in result.summary()
    assert result.longest_ms() == 0.0


def test_the_summary_gives_the_count_the_longest_and_the_total():
    summary = _result((1.0, 0.2), (5.0, 1.1)).summary()
    assert "2 stall(s)" in summary and "the longest 1100 ms" in summary
    assert "1300 ms in all" in summary


def test_the_probe_never_writes_into_the_data_directory(tmp_path: Path):
    data = tmp_path / "main"
    data.mkdir()
    temporary = Path(tempfile.gettempdir())
    chosen = probe_directory(str(data))
    assert chosen != data
    if os.stat(data).st_dev == os.stat(temporary).st_dev:
        assert chosen == temporary  # the same filesystem: the system's temporary directory
    else:
        assert chosen in (data.parent, temporary)
    assert probe_directory(None) == temporary
    assert probe_directory(str(tmp_path / "missing")) == temporary


def test_the_child_process_times_fdatasync_until_told_to_stop(tmp_path: Path):
    with StorageProbe(tmp_path, interval=0.005) as probe:
        pass
    result = probe.result
    assert result.calls >= 1 and result.p50_ms >= 0.0
    assert all(seconds >= 0.05 for _, seconds in result.stalls)
    assert list(tmp_path.iterdir()) == []  # its file is gone
