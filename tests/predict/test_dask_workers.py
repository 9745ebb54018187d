"""The local Dask cluster of a prediction: worker environment and this process's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eoforge.errors import EoforgeError
from eoforge.predict.tile_handoff import TileSlots, remove_stale_slot_folders

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


def test_slots_round_trip_keeps_order_values_and_skipped_tiles(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    slots = TileSlots.create(count=2, batch=3, bands=3, tile=8, folder=str(tmp_path / "s"))
    results: list[Any] = [
        (rng.random((3, 8, 8), dtype=np.float32), rng.random((8, 8), dtype=np.float32)),
        (None, None),
        (rng.random((3, 8, 8), dtype=np.float32), rng.random((8, 8), dtype=np.float32)),
    ]
    handle = slots.save(0, results)
    other = [(np.zeros((3, 5, 6), np.float32), np.ones((5, 6), np.float32))]
    handle_other = slots.save(1, other)  # a smaller batch in the next slot leaves slot 0 as is
    back = slots.load(handle)
    assert [v is None for v, _ in back] == [False, True, False]
    for (v0, w0), (v1, w1) in zip(results, back, strict=True):
        if v0 is not None:
            assert np.array_equal(v0, v1) and np.array_equal(w0, w1)
    [(v, w)] = slots.load(handle_other)
    assert v.shape == (3, 5, 6) and np.array_equal(w, other[0][1])
    assert slots.load(slots.save(0, [(None, None)] * 2)) == [(None, None)] * 2
    assert sorted(f.name for f in (tmp_path / "s").iterdir()) == ["slot-0.f32", "slot-1.f32"]
    with pytest.raises(EoforgeError, match="does not fit"):
        slots.save(0, [(np.zeros((3, 9, 9), np.float32), np.zeros((9, 9), np.float32))] * 3)
    del back, v, w
    slots.remove()
    assert not (tmp_path / "s").exists()


def test_slots_are_in_memory_when_there_is_room() -> None:
    slots = TileSlots.create(count=1, batch=1, bands=1, tile=4)
    try:
        folder = Path(slots.folder)
        assert folder.is_dir() and folder.name.startswith(f"eoforge-tiles-{os.getpid()}-")
        if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK):
            assert folder.parent == Path("/dev/shm")
    finally:
        slots.remove()
    assert not folder.exists()


def test_folders_of_ended_jobs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f"eoforge-tiles-{int(ended.stdout)}-abc"
    live = tmp_path / f"eoforge-tiles-{os.getpid()}-def"
    other = tmp_path / "eoforge-tiles-notapid-x"
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "slot-0.f32").write_bytes(b"\0" * 16)
    assert remove_stale_slot_folders(tmp_path) == [dead]
    assert not dead.exists() and live.is_dir() and other.is_dir()
