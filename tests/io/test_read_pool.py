from __future__ import annotations

import os
import threading

import pytest

from eoforge.io import read_pool
from eoforge.io.read_pool import parallel_map, pool_threads


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
