"""write_chip_store + ChipStore: the store returns exactly its source's samples, in order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import pytest
import rasterio
import torch
from affine import Affine
from chip_store_dataset import TinyChips, Unkeepable, assert_same
from torch.utils.data import DataLoader

from eoforge.data import ChipStore, GeoDataset, GridPatchSampler, RasterSource, collate
from eoforge.data import write_chip_store as write
from eoforge.data.chip_store import decode_sample
from eoforge.data.chip_store.environment import close_reader
from eoforge.errors import EoforgeError, NoFilesError, OutputExistsError


def records(path: Path) -> dict[bytes, bytes]:
    """Every LMDB record of a store, read with plain lmdb (not eoforge)."""
    close_reader(path)  # py-lmdb refuses a second handle in one process
    env = lmdb.open(str(path), readonly=True, lock=False)
    with env.begin() as txn:
        out = dict(txn.cursor().iternext())
    env.close()
    return out


@pytest.fixture
def chips(tmp_path: Path) -> TinyChips:
    (tmp_path / "root").mkdir()
    return TinyChips(tmp_path / "root")


def test_store_returns_the_samples_of_its_source(chips: TinyChips, tmp_path: Path) -> None:
    store = ChipStore(write(chips, tmp_path / "s", progress=False))
    assert len(store) == len(chips) == 23
    assert store.keys == [f"train_{i:03d}" for i in range(23)]  # the dataset's own ids, in order
    for i in range(len(chips)):
        assert_same(chips[i], store[i])
    assert store.bands == ["B02", "B03", "B04", "B08"]
    assert store.classes == ["water", "forest", "field"]
    assert store.colors == [[0, 0, 255], [0, 128, 0], [255, 255, 0]]
    assert store.ignore_index == 255 and store.split == "train"
    assert store.meta["dataset"] == "chip_store_dataset.TinyChips"
    assert store.meta["count"] == 23 and store.meta["last_run"] == {
        **store.meta["last_run"],
        "written": 23,
        "skipped": 0,
    }
    assert len(records(tmp_path / "s")) == 23 + 2  # one per sample + __plan__ + __meta__


def test_a_geo_dataset_with_queries_is_stored_with_its_grids(tmp_path: Path) -> None:
    path = tmp_path / "scene.tif"
    pixels = np.random.default_rng(1).integers(0, 10_000, (2, 20, 24)).astype(np.uint16)
    with rasterio.open(
        path, "w", driver="GTiff", width=24, height=20, count=2, dtype="uint16",
        crs="EPSG:32618", transform=Affine(10, 0, 300_000, 0, -10, 4_500_000),
    ) as dst:  # fmt: skip
        dst.write(pixels)
    ds = GeoDataset(RasterSource(path, bands=["B04", "B08"]))
    queries = list(GridPatchSampler(ds, 8))
    store = ChipStore(write((ds, queries), tmp_path / "s", progress=False))
    assert store.keys == [f"{i}" for i in range(len(queries))] and len(queries) == 9
    assert store.bands == ["B04", "B08"] and store.meta["dataset"].endswith("GeoDataset")
    for i, query in enumerate(queries):
        sample = store[i]
        assert_same(ds[query], sample)
        assert sample["grid"] == query
        win = ds.grid.window_of(query)  # against the file's own pixels
        rows = slice(int(win.row_off), int(win.row_off) + 8)
        cols = slice(int(win.col_off), int(win.col_off) + 8)
        expected = pixels[:, rows, cols]
        valid = sample["valid"].numpy()
        assert np.array_equal(sample["image"].numpy()[:, valid], expected[:, valid])
    other = list(GridPatchSampler(ds, 4))[: len(queries)]  # the same keys, other samples
    with pytest.raises(OutputExistsError, match=r"another conversion \(queries: "):
        write((ds, other), tmp_path / "s", progress=False)


def test_indexes_choose_the_samples_and_their_order(chips: TinyChips, tmp_path: Path) -> None:
    store = ChipStore(write(chips, tmp_path / "s", indexes=[5, 0, 17], progress=False))
    assert store.keys == ["train_005", "train_000", "train_017"]
    assert_same(store[0], chips[5])
    unnamed = [{"v": torch.tensor(i)} for i in range(120)]
    store = ChipStore(write(unnamed, tmp_path / "u", indexes=[7, 119, 0], progress=False))
    assert store.keys == ["007", "119", "000"]  # padded to the widest index: keys sort in order
    assert [int(s["v"]) for s in store.__getitems__([0, 1, 2])] == [7, 119, 0]


def test_keys_select_a_subset_in_the_given_order(chips: TinyChips, tmp_path: Path) -> None:
    path = write(chips, tmp_path / "s", progress=False)
    store = ChipStore(path, keys=["train_009", "train_002"])
    assert len(store) == 2 and store.sample_id(1) == "train_002"
    assert_same(store[0], chips[9])
    with pytest.raises(EoforgeError, match=r"'nope' .* not in the chip store"):
        ChipStore(path, keys=["train_001", "nope"])


def test_transforms_run_on_each_read_sample(chips: TinyChips, tmp_path: Path) -> None:
    def double(sample: dict[str, Any]) -> dict[str, Any]:
        return {**sample, "image": sample["image"] * 2}

    store = ChipStore(write(chips, tmp_path / "s", progress=False), transforms=double)
    expected = chips[3]["image"] * 2
    assert_same(store[3]["image"], expected)
    assert_same(store.__getitems__([3, 4])[0]["image"], expected)


def test_an_interrupted_conversion_resumes_to_the_same_store(
    chips: TinyChips, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s"
    read = TinyChips.__getitem__

    def ctrl_c_at_17(self: TinyChips, index: int) -> dict[str, Any]:
        if index == 17:
            raise KeyboardInterrupt
        return read(self, index)

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(TinyChips, "__getitem__", ctrl_c_at_17)
        write(chips, path, batch_commit=5, progress=False)
    partial = records(path)
    assert len(partial) == 15 + 1  # the three commits before sample 17, and __plan__
    with pytest.raises(EoforgeError, match=r"incomplete.*after 15 sample.*running the same"):
        ChipStore(path)
    write(chips, path, batch_commit=5, progress=False)  # resume=True by default
    store = ChipStore(path)
    assert store.meta["last_run"]["skipped"] == 15 and store.meta["last_run"]["written"] == 8
    fresh = records(write(chips, tmp_path / "fresh", progress=False))
    resumed = records(path)
    assert resumed.keys() == fresh.keys() and len(resumed) == 23 + 2  # no duplicates
    for i, key in enumerate(store.keys):
        assert_same(decode_sample(resumed[key.encode()]), decode_sample(fresh[key.encode()]))
        assert_same(store[i], chips[i])
    for key in partial:  # what was committed before the crash was kept, not rewritten
        assert resumed[key] == partial[key]
    again = write(chips, path, progress=False)  # a complete store: nothing left to write
    assert ChipStore(again).meta["last_run"] == {
        **ChipStore(again).meta["last_run"],
        "written": 0,
        "skipped": 23,
    }


def test_the_map_grows_when_full(tmp_path: Path) -> None:
    samples = [{"image": torch.rand(4, 64, 64)} for _ in range(12)]  # 64 KiB each
    path = write(samples, tmp_path / "s", map_size=1 << 16, batch_commit=4, progress=False)
    close_reader(path)
    env = lmdb.open(str(path), readonly=True, lock=False)
    assert env.info()["map_size"] >= 12 * 4 * 64 * 64 * 4  # grew from 64 KiB
    env.close()
    store = ChipStore(path)
    assert all(torch.equal(store[i]["image"], samples[i]["image"]) for i in range(12))


def test_an_existing_store_is_not_overwritten_unless_asked(
    chips: TinyChips, tmp_path: Path
) -> None:
    path = write(chips, tmp_path / "s", progress=False)
    with pytest.raises(OutputExistsError, match="complete chip store; pass overwrite=True"):
        write(chips, path, resume=False, progress=False)
    other = [{"v": torch.tensor(1)}]
    with pytest.raises(OutputExistsError, match=r"another conversion \(dataset: "):
        write(other, path, progress=False)  # resume, but of another dataset: refused
    assert len(ChipStore(path)) == 23
    write(other, path, overwrite=True, progress=False)
    assert ChipStore(path).keys == ["0"] and len(records(path)) == 3
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not a chip store"):
        write(other, tmp_path / "notes", overwrite=True, progress=False)
    assert (tmp_path / "notes" / "a.txt").read_text() == "mine"


def test_missing_store_errors_name_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=r"no chip store at .*nowhere.*eoforge data convert"):
        ChipStore(tmp_path / "nowhere")
    with pytest.raises(NoFilesError, match="is not a chip store"):
        ChipStore(tmp_path)


def test_bad_samples_and_ids_are_refused_with_the_sample_named(
    chips: TinyChips, tmp_path: Path
) -> None:
    with pytest.raises(EoforgeError, match=r"sample 4 \('train_004'\): .*'tags' holds a set"):
        write(Unkeepable(chips.root), tmp_path / "s", progress=False)

    class Same(TinyChips):
        def sample_id(self, index: int) -> str:
            return "patch" if index in (2, 6) else f"p{index}"

    with pytest.raises(EoforgeError, match="samples 2 and 6 have the same id 'patch'"):
        write(Same(chips.root), tmp_path / "d", progress=False)
    with pytest.raises(EoforgeError, match="index 23 is outside"):
        write(chips, tmp_path / "i", indexes=[0, 23], progress=False)


def test_workers_convert_to_the_same_store(chips: TinyChips, tmp_path: Path) -> None:
    serial = records(write(chips, tmp_path / "serial", batch_commit=4, progress=False))
    parallel = records(write(chips, tmp_path / "par", workers=2, batch_commit=4, progress=False))
    assert serial.keys() == parallel.keys()
    for key in serial:
        if key not in (b"__meta__", b"__plan__"):
            assert_same(decode_sample(serial[key]), decode_sample(parallel[key]))
    meta_s, meta_p = json.loads(serial[b"__meta__"]), json.loads(parallel[b"__meta__"])
    assert meta_s["keys"] == meta_p["keys"] and meta_p["last_run"]["workers"] == 2


def test_a_worker_error_is_raised_as_itself(chips: TinyChips, tmp_path: Path) -> None:
    with pytest.raises(EoforgeError, match=r"^sample 4 \('train_004'\)"):
        write(Unkeepable(chips.root), tmp_path / "s", workers=2, progress=False)


def test_loader_workers_read_the_same_batches(chips: TinyChips, tmp_path: Path) -> None:
    store = ChipStore(write(chips, tmp_path / "s", progress=False))
    _ = store[0]  # the parent opened the environment before forking
    order = torch.randperm(len(store), generator=torch.Generator().manual_seed(0)).tolist()

    def batches(workers: int) -> list[dict[str, Any]]:
        loader = DataLoader(
            store, batch_size=4, sampler=order, num_workers=workers, collate_fn=collate,
            multiprocessing_context="fork" if workers else None,
        )  # fmt: skip
        return list(loader)

    inline, forked = batches(0), batches(2)
    assert len(inline) == len(forked) == 6
    for a, b in zip(inline, forked, strict=True):
        assert_same(a, b)
    assert_same(inline[0]["grid"], [chips[i]["grid"] for i in order[:4]])
