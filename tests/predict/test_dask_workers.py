"""The local Dask cluster of a prediction: worker environment and this process's environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eoforge.predict.tile_handoff import handoff_folder, load_results, save_results

pytest.importorskip("dask.distributed")


def worker_environment() -> dict[str, str]:
    return dict(os.environ)


def test_local_workers_do_not_trim_malloc_and_leave_our_environment_alone() -> None:
    from dask.distributed import Client, LocalCluster

    from eoforge.predict.dask_tiles import _local_cluster

    before = dict(os.environ)
    cluster = _local_cluster(LocalCluster, 1)
    try:
        assert dict(os.environ) == before  # the nanny's variables were put back
        with Client(cluster) as client:
            [env] = client.run(worker_environment).values()
    finally:
        cluster.close()
    assert "MALLOC_TRIM_THRESHOLD_" not in env or "MALLOC_TRIM_THRESHOLD_" in before
    assert env.get("OMP_NUM_THREADS") == "1"  # Dask's other settings are kept


def test_handoff_round_trip_keeps_order_values_and_skipped_tiles(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    results: list[Any] = [
        (rng.random((3, 8, 8), dtype=np.float32), rng.random((8, 8), dtype=np.float32)),
        (None, None),
        (rng.random((3, 8, 8), dtype=np.float32), rng.random((8, 8), dtype=np.float32)),
    ]
    handle = save_results(tmp_path, "k-0-0", results)
    back = load_results(handle)
    assert [v is None for v, _ in back] == [False, True, False]
    for (v0, w0), (v1, w1) in zip(results, back, strict=True):
        if v0 is not None:
            assert np.array_equal(v0, v1) and np.array_equal(w0, w1)
    assert not list(tmp_path.iterdir())  # the file is gone once read
    assert load_results(save_results(tmp_path, "k-1-0", [(None, None)] * 2)) == [(None, None)] * 2


def test_handoff_folder_is_in_memory_when_there_is_room() -> None:
    folder = handoff_folder(1024)
    try:
        assert folder.is_dir() and folder.name.startswith("eoforge-tiles-")
        if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):
            assert folder.parent == Path("/dev/shm")
    finally:
        folder.rmdir()
