from __future__ import annotations

import threading
import time

import pytest

from eoforge.io.read_pool import pool_threads, stream_map


def test_stream_keeps_order_and_reads_ahead() -> None:
    if pool_threads() < 2:
        pytest.skip("one read thread here")
    started: list[int] = []
    lock = threading.Lock()

    def read(i: int) -> int:
        with lock:
            started.append(i)
        time.sleep(0.01)
        return i * i

    stream = stream_map(read, range(10), ahead=3)
    assert next(stream) == 0
    time.sleep(0.05)
    assert len(started) >= 4  # the next items were started before they were asked for
    assert list(stream) == [i * i for i in range(1, 10)]


def test_stream_stops_early_without_running_everything() -> None:
    calls: list[int] = []
    stream = stream_map(calls.append, range(1000), ahead=2)
    next(stream)
    stream.close()
    time.sleep(0.05)
    assert len(calls) < 20


def test_stream_raises_the_first_error_in_order() -> None:
    def read(i: int) -> int:
        if i == 2:
            raise ValueError("two")
        return i

    got: list[int] = []
    with pytest.raises(ValueError, match="two"):
        for value in stream_map(read, range(5)):
            got.append(value)
    assert got == [0, 1]


def test_stream_on_one_thread_reads_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDAL_NUM_THREADS", "1")
    calls: list[int] = []
    stream = stream_map(lambda i: calls.append(i) or i, range(5))
    assert next(stream) == 0 and calls == [0]
