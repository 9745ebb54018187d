"""``PerProcess``: one object per process, made on first use, made anew in a forked child."""

from __future__ import annotations

import multiprocessing
import sys
import threading

import pytest

from eoforge.io.per_process import PerProcess

made: list[int] = []
STATE = PerProcess(lambda: made.append(1) or {"uses": 0})


def _child_view(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    state = STATE.get()
    queue.put((state["uses"], len(made)))


def test_made_once_per_process_even_from_many_threads() -> None:
    before = len(made)
    results = []
    threads = [threading.Thread(target=lambda: results.append(STATE.get())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is results[0] for r in results) and len(made) - before <= 1


@pytest.mark.skipif(sys.platform != "linux", reason="fork")
def test_a_forked_child_makes_its_own() -> None:
    STATE.get()["uses"] = 5
    made_in_parent = len(made)
    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("fork").Process(target=_child_view, args=(queue,))
    child.start()
    uses, made_in_child = queue.get(timeout=30)
    child.join(timeout=30)
    assert uses == 0 and made_in_child == made_in_parent + 1  # a new one, not the parent's
    assert STATE.get()["uses"] == 5  # the parent's is untouched
