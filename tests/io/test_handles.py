"""open_raster: cached per process and thread, LRU-bounded, safe across fork and in DataLoaders."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

import eoforge.io.handles as handles
from eoforge.errors import NoFilesError, RasterReadError
from eoforge.geo import BBox, GridSpec
from eoforge.io import as_dataset, close_all, open_raster, raster_info, read_window

MakeRaster = Callable[..., Path]


def test_same_handle_for_same_file(cog6: Path) -> None:
    ds = open_raster(cog6)
    assert open_raster(str(cog6)) is ds
    relative = os.path.relpath(cog6)
    assert open_raster(relative) is ds
    assert ds.name == str(cog6.resolve())


def test_close_all_gives_a_fresh_handle(cog6: Path) -> None:
    ds = open_raster(cog6)
    close_all()
    assert open_raster(cog6) is not ds
    assert not ds.closed  # dropped, not closed under a caller that still holds it


def test_lru_bound(make_raster: MakeRaster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handles, "MAX_OPEN_HANDLES", 3)
    paths = [make_raster(np.full((1, 4, 4), i, np.uint8)) for i in range(5)]
    first = open_raster(paths[0])
    for p in paths[1:3]:
        open_raster(p)
    assert open_raster(paths[0]) is first  # a hit moves it to the back
    for p in paths[3:]:
        open_raster(p)
    assert len(handles._handles) == 3
    assert open_raster(paths[0]) is first  # still among the 3 most recent
    assert open_raster(paths[1]) is not None
    assert first.read(1)[0, 0] == 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=r"nope\.tif' does not exist"):
        open_raster(tmp_path / "nope.tif")
    grid = GridSpec.from_bounds(BBox(0, 0, 10, 10, "EPSG:32633"), res=1)
    with pytest.raises(FileNotFoundError):  # also a FileNotFoundError for plain callers
        read_window(tmp_path / "nope.tif", grid)


def test_text_file_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.tif"
    path.write_text("these are not pixels\n")
    with pytest.raises(RasterReadError, match=r"notes\.tif") as err:
        open_raster(path)
    assert "re-download or re-export" in str(err.value)


def test_truncated_tif_is_a_read_error(cog6: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tif"
    cut.write_bytes(cog6.read_bytes()[: cog6.stat().st_size // 3])
    with pytest.raises(RasterReadError, match=r"cut\.tif"):
        # the header may survive truncation; then the missing tiles fail at read time
        grid = raster_info(cut).grid
        read_window(cut, grid)


def test_each_thread_gets_its_own_handle(cog6: Path) -> None:
    seen: dict[int, object] = {}
    together = threading.Barrier(3, timeout=30)  # alive at once: thread ids are not reused

    def grab(i: int) -> None:
        seen[i] = open_raster(cog6)
        together.wait()

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(ds) for ds in seen.values()}) == 3


def test_concurrent_threads_read_correct_pixels(cog6: Path) -> None:
    grid = raster_info(cog6).grid
    with rasterio.open(cog6) as ds:
        full = ds.read()
    rng = np.random.default_rng(0)
    offsets = rng.integers(0, 800, size=(64, 2))
    errors: list[str] = []

    def work(part: np.ndarray) -> None:
        for r, c in part:
            got = read_window(cog6, grid.subgrid(int(r), int(c), 200, 200))
            if not np.array_equal(got, full[:, r : r + 200, c : c + 200]):
                errors.append(f"{r},{c}")

    threads = [threading.Thread(target=work, args=(p,)) for p in np.array_split(offsets, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _run_in_child(body: Callable[[], bool], timeout: float = 60) -> None:
    """Fork, run ``body`` in the child, fail if it returns False, raises or hangs."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            code = 0 if body() else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung reading rasters")
        time.sleep(0.02)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_reads_after_fork_use_fresh_handles(cog6: Path) -> None:
    grid = raster_info(cog6).grid.subgrid(100, 100, 700, 700)  # many blocks: GDAL threads busy
    parent_ds = open_raster(cog6)
    want = read_window(cog6, grid)
    with rasterio.open(cog6) as ds:
        np.testing.assert_array_equal(want, ds.read(window=Window(100, 100, 700, 700)))

    def child() -> bool:
        fresh = open_raster(cog6)
        same_by_path = np.array_equal(read_window(cog6, grid), want)
        same_by_parent_handle = np.array_equal(read_window(parent_ds, grid), want)
        return (
            fresh is not parent_ds
            and as_dataset(parent_ds) is fresh
            and same_by_path
            and same_by_parent_handle
        )

    _run_in_child(child)
    assert open_raster(cog6) is parent_ds  # the parent keeps its handle


def test_dataloader_workers_read_from_a_parent_handle(cog6: Path) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, Dataset

    file_grid = raster_info(cog6).grid
    parent_ds = open_raster(cog6)
    queries = [file_grid.subgrid(100 * i, 90 * i, 300, 300) for i in range(8)]
    want = [read_window(parent_ds, q) for q in queries]  # parent reads first (threads used)

    class Patches(Dataset):  # type: ignore[type-arg]
        def __len__(self) -> int:
            return len(queries)

        def __getitem__(self, i: int) -> tuple[int, object, int]:
            arr = read_window(parent_ds, queries[i])
            return i, torch.from_numpy(arr.astype(np.int32)), os.getpid()

    loader = DataLoader(
        Patches(), batch_size=None, num_workers=2, multiprocessing_context="fork", timeout=60
    )
    pids = set()
    for i, arr, pid in loader:
        np.testing.assert_array_equal(arr.numpy(), want[i])
        pids.add(int(pid))
    assert os.getpid() not in pids
