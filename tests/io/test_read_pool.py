from __future__ import annotations

import os
import threading

import pytest

from eoforge.io import read_pool
from eoforge.io.read_pool import parallel_map, pool_threads


@pytest.fixture(autouse=True)
def _configured() -> None:
    """eoforge's GDAL settings made before a test patches GDAL_NUM_THREADS: monkeypatch then
    restores the configured value, not "unset" (which would leave later tests one thread)."""
    pool_threads()


def test_results_keep_the_order_of_the_items() -> None:
    assert parallel_map(lambda x: x * 10, list(range(50))) == [x * 10 for x in range(50)]


def test_work_runs_on_several_threads_when_cores_allow() -> None:
    if pool_threads() < 2:
        pytest.skip("one read thread here")
    barrier = threading.Barrier(2, timeout=10)

    def meet(_: int) -> str:
        barrier.wait()  # only returns when two calls run at the same time
        return threading.current_thread().name

    names = parallel_map(meet, [0, 1])
    assert len(set(names)) == 2 and all(n.startswith("eoforge-read") for n in names)


def test_nested_calls_run_on_the_calling_pool_thread() -> None:
    """A read that maps its blocks from a pool thread must not wait for a sibling (no deadlock)."""

    def outer(i: int) -> list[str]:
        return parallel_map(lambda _: threading.current_thread().name, [i, i])

    for names in parallel_map(outer, list(range(8))):
        assert len(set(names)) == 1


def test_the_first_error_is_raised() -> None:
    def fail_on_three(x: int) -> int:
        if x == 3:
            raise ValueError("three")
        return x

    with pytest.raises(ValueError, match="three"):
        parallel_map(fail_on_three, list(range(6)))


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("3", 3), ("bad", 1), ("0", 1)])
def test_thread_count_follows_gdal_num_threads(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv("GDAL_NUM_THREADS", value)
    assert pool_threads() == expected
    monkeypatch.setenv("GDAL_NUM_THREADS", "ALL_CPUS")
    assert pool_threads() == (os.cpu_count() or 1)


def test_one_thread_runs_on_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDAL_NUM_THREADS", "1")
    me = threading.current_thread().name
    assert parallel_map(lambda _: threading.current_thread().name, [1, 2]) == [me, me]


def test_a_forked_child_makes_its_own_pool() -> None:
    parallel_map(str, [1, 2])  # the parent's pool exists
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: GDAL_NUM_THREADS=1 after fork, so work runs inline and returns
        try:
            ok = parallel_map(lambda x: x + 1, [1, 2]) == [2, 3] and pool_threads() == 1
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0
    assert read_pool._pool_pid == os.getpid() or read_pool._pool is None


def _gated(events: list[threading.Event]):
    """Calls that each wait for their own event (so a test decides which have ended)."""

    def call(k: int) -> int:
        assert events[k].wait(10), f"call {k} never released"
        return k * 10

    return call


def test_started_calls_wait_for_only_the_calls_asked_for() -> None:
    if pool_threads() < 2:
        pytest.skip("one read thread here")
    events = [threading.Event() for _ in range(2)]
    calls = read_pool.StartedCalls(_gated(events), [0, 1])
    events[1].set()
    calls.wait([1])  # returns although call 0 still waits for its event
    assert not events[0].is_set()
    waiter = threading.Thread(target=calls.wait, args=([0],))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # call 0 has not ended: waiting for it blocks
    events[0].set()
    waiter.join(10)
    assert not waiter.is_alive() and calls.results() == [0, 10]


def test_started_calls_raise_the_error_of_a_call_waited_for() -> None:
    def fail_on_two(x: int) -> int:
        if x == 2:
            raise ValueError("two")
        return x

    if pool_threads() < 2:  # every call runs at once: the error comes at once
        with pytest.raises(ValueError, match="two"):
            read_pool.StartedCalls(fail_on_two, list(range(4)))
        return
    calls = read_pool.StartedCalls(fail_on_two, list(range(4)))
    calls.wait([0, 1, 3])  # the failing call is not among these
    with pytest.raises(ValueError, match="two"):
        calls.wait([2])
    with pytest.raises(ValueError, match="two"):
        calls.results()


def test_started_calls_without_a_pool_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GDAL_NUM_THREADS", "1")
    ran: list[int] = []
    calls = read_pool.StartedCalls(ran.append, [1, 2, 3])
    assert ran == [1, 2, 3]  # before any wait
    assert calls.results() == [None, None, None]
