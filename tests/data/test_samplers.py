"""RandomPatchSampler and RandomBatchPatchSampler against a tiny fake dataset."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from eoforge.data.samplers import (
    PatchDataset,
    RandomBatchPatchSampler,
    RandomPatchSampler,
)
from eoforge.errors import InvalidGridError, NoOverlapError, QueryOutsideError
from eoforge.geo import BBox, GridSpec

CRS = "EPSG:32633"


@dataclass
class FakeDataset:
    """A PatchDataset over an HxW grid; footprints and validity given in pixels."""

    shape: tuple[int, int]
    windows: list[tuple[int, int, int, int]]  # (row, col, height, width) per item
    valid: np.ndarray | None = None  # bool (H, W); None = all valid
    calls: list[GridSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        h, w = self.shape
        self.grid = GridSpec.from_bounds(
            BBox(500_000, 4_000_000, 500_000 + 10 * w, 4_000_000 + 10 * h, CRS), res=10
        )
        self.bounds = self.grid.bounds
        self.footprints = [self.grid.subgrid(*win).bounds for win in self.windows]

    def valid_fraction(self, query: GridSpec, /) -> float:
        self.calls.append(query)
        if self.valid is None:
            return 1.0
        r, c = offset(self, query)
        padded = np.zeros((self.shape[0] + 2 * 64, self.shape[1] + 2 * 64), dtype=bool)
        padded[64:-64, 64:-64] = self.valid
        patch = padded[r + 64 : r + 64 + query.height, c + 64 : c + 64 + query.width]
        return float(patch.sum()) / (query.height * query.width)


def offset(ds: FakeDataset, query: GridSpec) -> tuple[int, int]:
    window = ds.grid.window_of(query)
    return round(window.row_off), round(window.col_off)


def item_of(ds: FakeDataset, query: GridSpec) -> int:
    """The index of the (disjoint) footprint that contains the query's top-left pixel."""
    r, c = offset(ds, query)
    hits = [
        i for i, (r0, c0, h, w) in enumerate(ds.windows) if r0 <= r < r0 + h and c0 <= c < c0 + w
    ]
    assert len(hits) == 1
    return hits[0]


def offsets(sampler: RandomPatchSampler, ds: FakeDataset) -> list[tuple[int, int]]:
    return [offset(ds, q) for q in sampler]


def test_fake_dataset_follows_protocol() -> None:
    assert isinstance(FakeDataset((4, 4), [(0, 0, 4, 4)]), PatchDataset)


# ---------------------------------------------------------------- RandomPatchSampler: geometry
@st.composite
def windows_on_a_grid(draw: st.DrawFn) -> tuple[tuple[int, int], list[tuple[int, int, int, int]]]:
    grid_h, grid_w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        r0, c0 = draw(st.integers(0, grid_h - 1)), draw(st.integers(0, grid_w - 1))
        windows.append(
            (r0, c0, draw(st.integers(1, grid_h - r0)), draw(st.integers(1, grid_w - c0)))
        )
    return (grid_h, grid_w), windows


def _placed_in(pos: int, patch: int, start: int, length: int, lo: int, hi: int) -> bool:
    """The rule along one axis: inside the item, or containing it (inside the extent lo..hi)."""
    if length >= patch:
        return start <= pos and pos + patch <= start + length
    if not (pos <= start and start + length <= pos + patch):
        return False
    if hi - lo >= patch:
        return lo <= pos and pos + patch <= hi
    return pos == lo + (hi - lo - patch) // 2  # centred on the extent


@settings(max_examples=80, deadline=None)
@given(
    layout=windows_on_a_grid(),
    size=st.tuples(st.integers(1, 16), st.integers(1, 16)),
    seed=st.integers(0, 99),
)
def test_random_patches_are_aligned_and_placed_in_a_footprint(
    layout: tuple[tuple[int, int], list[tuple[int, int, int, int]]],
    size: tuple[int, int],
    seed: int,
) -> None:
    shape, windows = layout
    ds = FakeDataset(shape, windows)
    row_lo = min(r for r, _, _, _ in windows)
    row_hi = max(r + h for r, _, h, _ in windows)
    col_lo = min(c for _, c, _, _ in windows)
    col_hi = max(c + w for _, c, _, w in windows)
    for query in RandomPatchSampler(ds, size, length=20, seed=seed):
        assert ds.grid.is_aligned_with(query)
        assert query.shape == size
        r, c = offset(ds, query)
        assert any(
            _placed_in(r, size[0], r0, h, row_lo, row_hi)
            and _placed_in(c, size[1], c0, w, col_lo, col_hi)
            for r0, c0, h, w in windows
        )


def test_items_are_drawn_in_proportion_to_their_area() -> None:
    ds = FakeDataset((40, 40), [(0, 0, 10, 40), (10, 0, 30, 40)])  # areas 1:3
    counts = np.bincount(
        [item_of(ds, q) for q in RandomPatchSampler(ds, 1, length=8000, seed=5)], minlength=2
    )
    share = counts[1] / counts.sum()
    assert abs(share - 0.75) < 0.02  # 4 standard deviations ≈ 0.019


def test_positions_are_uniform_and_reach_both_ends() -> None:
    ds = FakeDataset((1, 12), [(0, 0, 1, 12)])
    cols = [c for _, c in offsets(RandomPatchSampler(ds, (1, 4), length=9000, seed=2), ds)]
    counts = np.bincount(cols, minlength=9)
    assert len(counts) == 9  # never past 12 - 4
    assert counts.min() > 0.85 * 1000 and counts.max() < 1.15 * 1000


def test_footprint_smaller_than_patch_is_contained_centred() -> None:
    ds = FakeDataset((20, 20), [(8, 9, 2, 2)])
    # the dataset's extent is the footprint itself (2x2 < patch): the patch is centred on it
    assert set(offsets(RandomPatchSampler(ds, 6, length=5), ds)) == {(6, 7)}
    ds = FakeDataset((20, 20), [(8, 9, 2, 2), (0, 0, 20, 20)])
    small = [q for q in RandomPatchSampler(ds, 6, length=400) if offset(ds, q) == (6, 7)]
    assert small  # centred on the 2x2 item: (8 - 2, 9 - 2)
    ds = FakeDataset((20, 20), [(0, 18, 2, 2), (0, 0, 20, 20)])
    seen = {offset(ds, q) for q in RandomPatchSampler(ds, 6, length=400)}
    assert seen <= {(r, c) for r in range(15) for c in range(15)}
    assert (0, 14) in seen  # the corner item's centred patch (-2, 16) shifted back inside


def test_footprint_clipped_to_bounds() -> None:
    ds = FakeDataset((10, 10), [(0, 0, 10, 10)])
    ds.footprints = [BBox(499_000, 3_999_000, 500_050, 4_000_050, CRS)]  # reaches out of bounds
    for r, c in offsets(RandomPatchSampler(ds, 2, length=50), ds):
        assert 5 <= r <= 8 and 0 <= c <= 3  # inside the 5x5 corner inside the bounds


def test_unaligned_footprint_is_snapped_outward() -> None:
    ds = FakeDataset((10, 10), [(0, 0, 10, 10)])
    ds.footprints = [
        BBox(500_015, 4_000_015, 500_035, 4_000_025, CRS)
    ]  # cols 1.5..3.5, rows 7.5..8.5
    assert {offset(ds, q) for q in RandomPatchSampler(ds, 1, length=200)} == {
        (r, c) for r in (7, 8) for c in (1, 2, 3)
    }


# ---------------------------------------------------------------- RandomPatchSampler: seeding
def test_same_seed_same_sequence_and_iterating_twice_repeats() -> None:
    ds = FakeDataset((50, 50), [(0, 0, 25, 50), (25, 0, 25, 50)])
    a = RandomPatchSampler(ds, 8, length=30, seed=7)
    b = RandomPatchSampler(ds, 8, length=30, seed=7)
    assert list(a) == list(a) == list(b)
    assert list(a) != list(RandomPatchSampler(ds, 8, length=30, seed=8))


def test_set_epoch_changes_the_sequence_deterministically() -> None:
    ds = FakeDataset((50, 50), [(0, 0, 50, 50)])
    sampler = RandomPatchSampler(ds, 8, length=30, seed=7)
    epoch0 = list(sampler)
    sampler.set_epoch(1)
    epoch1 = list(sampler)
    assert epoch1 != epoch0
    other = RandomPatchSampler(ds, 8, length=30, seed=7)
    other.set_epoch(1)
    assert list(other) == epoch1
    sampler.set_epoch(0)
    assert list(sampler) == epoch0
    seed8 = RandomPatchSampler(ds, 8, length=30, seed=8)
    assert list(seed8) != epoch1  # (seed, epoch) is not seed + epoch


def test_pinned_sequence_does_not_drift() -> None:
    """The seeded sequence is part of the API: changing it silently breaks reproducibility."""
    ds = FakeDataset((100, 100), [(0, 0, 40, 100), (40, 0, 60, 100)])
    assert offsets(RandomPatchSampler(ds, 16, length=5, seed=0), ds) == [
        (79, 71),
        (77, 35),
        (49, 36),
        (16, 33),
        (4, 71),
    ]
    batches = RandomBatchPatchSampler(ds, 16, 2, length=2, seed=0)
    assert [[offset(ds, q) for q in b] for b in batches] == [
        [(63, 26), (52, 3)],
        [(43, 14), (40, 69)],
    ]


def test_same_sequence_in_another_process() -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_samplers import FakeDataset, offsets;"
        "from eoforge.data.samplers import RandomPatchSampler;"
        "ds = FakeDataset((100, 100), [(0, 0, 40, 100), (40, 0, 60, 100)]);"
        "print(offsets(RandomPatchSampler(ds, 16, length=50, seed=3), ds))"
    )
    here = str(Path(__file__).parent)
    out = subprocess.run(
        [sys.executable, "-c", code, here], capture_output=True, text=True, check=True
    ).stdout
    ds = FakeDataset((100, 100), [(0, 0, 40, 100), (40, 0, 60, 100)])
    assert out.strip() == str(offsets(RandomPatchSampler(ds, 16, length=50, seed=3), ds))


# ---------------------------------------------------------------- RandomPatchSampler: min_valid
def test_min_valid_drops_patches_with_too_few_valid_pixels() -> None:
    valid = np.zeros((40, 40), dtype=bool)
    valid[:, :20] = True
    ds = FakeDataset((40, 40), [(0, 0, 40, 40)], valid=valid)
    queries = list(RandomPatchSampler(ds, 8, length=100, min_valid=0.75, seed=1))
    assert len(queries) == 100
    assert all(ds.valid_fraction(q) >= 0.75 for q in queries)
    assert max(offset(ds, q)[1] for q in queries) <= 14  # at least 6 of 8 columns valid
    plain = list(RandomPatchSampler(ds, 8, length=100, seed=1))
    assert min(ds.valid_fraction(q) for q in plain) < 0.75  # the filter did something


def test_min_valid_gives_up_after_max_tries_with_a_helpful_error() -> None:
    ds = FakeDataset((40, 40), [(0, 0, 40, 40)], valid=np.zeros((40, 40), dtype=bool))
    with pytest.raises(QueryOutsideError, match="lower min_valid"):
        list(RandomPatchSampler(ds, 8, length=3, min_valid=0.1, max_tries=25))
    assert len(ds.calls) == 25


def test_min_valid_zero_never_asks_the_dataset() -> None:
    ds = FakeDataset((40, 40), [(0, 0, 40, 40)])
    list(RandomPatchSampler(ds, 8, length=10))
    assert ds.calls == []


# ---------------------------------------------------------------- validation and misc
@pytest.mark.parametrize("size", [0, -3, 2.5, (0, 4), (4,), "8", True, None])
def test_bad_size_is_rejected(size: object) -> None:
    ds = FakeDataset((10, 10), [(0, 0, 10, 10)])
    with pytest.raises(InvalidGridError, match="size="):
        RandomPatchSampler(ds, size, length=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidGridError, match="size="):
        RandomBatchPatchSampler(ds, size, batch_size=2, length=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"length": 0}, "length="),
        ({"seed": -1}, "seed="),
        ({"min_valid": 1.5}, "min_valid="),
        ({"min_valid": float("nan")}, "min_valid="),
        ({"max_tries": 0}, "max_tries="),
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, object], name: str) -> None:
    ds = FakeDataset((10, 10), [(0, 0, 10, 10)])
    args: dict[str, object] = {"length": 5} | kwargs
    with pytest.raises(InvalidGridError, match=name):
        RandomPatchSampler(ds, 4, **args)  # type: ignore[arg-type]
    with pytest.raises(InvalidGridError, match=name):
        RandomBatchPatchSampler(ds, 4, batch_size=2, **args)  # type: ignore[arg-type]
    with pytest.raises(InvalidGridError, match="batch_size="):
        RandomBatchPatchSampler(ds, 4, batch_size=0, length=1)


@pytest.mark.parametrize("sampler", [RandomPatchSampler, RandomBatchPatchSampler])
def test_dataset_without_footprints_is_rejected(sampler: type) -> None:
    ds = FakeDataset((10, 10), [])
    args = (4, 2, 2) if sampler is RandomBatchPatchSampler else (4, 2)
    with pytest.raises(NoOverlapError, match="no item footprint"):
        sampler(ds, *args)
    ds.footprints = [BBox(0, 0, 10, 10, CRS)]  # far outside the bounds
    with pytest.raises(NoOverlapError):
        sampler(ds, *args)


def test_len_and_repr() -> None:
    ds = FakeDataset((10, 10), [(0, 0, 10, 10)])
    sampler = RandomPatchSampler(ds, (4, 2), length=17, seed=3, min_valid=0.5)
    assert len(sampler) == 17
    assert repr(sampler).startswith("RandomPatchSampler(size=(4, 2), length=17, seed=3, epoch=0")
    batches = RandomBatchPatchSampler(ds, 4, batch_size=3, length=6)
    assert len(batches) == 6
    assert "batch_size=3" in repr(batches)


def test_sampling_is_cheap() -> None:
    ds = FakeDataset(
        (10_000, 10_000),
        [(r, c, 1000, 1000) for r in range(0, 10_000, 1000) for c in range(0, 10_000, 1000)],
    )
    start = time.perf_counter()
    n = sum(1 for _ in RandomPatchSampler(ds, 256, length=20_000))
    assert n == 20_000
    assert (time.perf_counter() - start) / n < 100e-6  # measured ≈ 8 µs per query


# ---------------------------------------------------------------- RandomBatchPatchSampler
def test_every_batch_comes_from_one_item() -> None:
    windows = [(0, 0, 20, 20), (0, 20, 20, 40), (20, 0, 40, 60)]
    ds = FakeDataset((60, 60), windows)
    sampler = RandomBatchPatchSampler(ds, 8, batch_size=5, length=300, seed=4)
    batches = list(sampler)
    assert len(batches) == 300
    items = []
    for batch in batches:
        assert len(batch) == 5
        owners = {item_of(ds, q) for q in batch}
        assert len(owners) == 1
        (item,) = owners
        r0, c0, h, w = windows[item]
        for q in batch:
            r, c = offset(ds, q)
            assert r0 <= r <= r0 + h - 8 and c0 <= c <= c0 + w - 8
        items.append(item)
    share = np.bincount(items, minlength=3) / len(items)
    np.testing.assert_allclose(share, [400 / 3600, 800 / 3600, 2400 / 3600], atol=0.07)


def test_batch_sampler_is_reproducible_and_epoch_dependent() -> None:
    ds = FakeDataset((60, 60), [(0, 0, 30, 60), (30, 0, 30, 60)])
    sampler = RandomBatchPatchSampler(ds, 8, batch_size=4, length=10, seed=1)
    first = list(sampler)
    assert first == list(sampler) == list(RandomBatchPatchSampler(ds, 8, 4, 10, seed=1))
    sampler.set_epoch(3)
    assert list(sampler) != first


def test_batch_sampler_skips_an_item_without_valid_pixels() -> None:
    valid = np.ones((40, 40), dtype=bool)
    valid[:, :20] = False
    ds = FakeDataset((40, 40), [(0, 0, 40, 20), (0, 20, 40, 20)], valid=valid)
    batches = list(RandomBatchPatchSampler(ds, 4, 3, length=20, min_valid=0.5, max_tries=10))
    assert all(item_of(ds, q) == 1 for batch in batches for q in batch)
    assert len(ds.calls) <= 20 * 3 + 10  # item 0 is given up once, then never drawn again


def test_batch_sampler_raises_when_no_item_has_valid_patches() -> None:
    ds = FakeDataset((40, 40), [(0, 0, 40, 20), (0, 20, 40, 20)], valid=np.zeros((40, 40), bool))
    with pytest.raises(QueryOutsideError, match=r"in every item.*lower min_valid"):
        list(RandomBatchPatchSampler(ds, 4, 3, length=2, min_valid=0.5, max_tries=10))
    assert len(ds.calls) == 20


# ---------------------------------------------------------------- with a DataLoader
class GridEcho(torch.utils.data.Dataset[dict[str, Any]]):
    """A map-style dataset keyed by GridSpec, as GeoDataset is."""

    def __getitem__(self, query: GridSpec) -> dict[str, Any]:
        return {"image": torch.zeros(1, query.height, query.width), "grid": query}


def _collate(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "image": torch.stack([s["image"] for s in samples]),
        "grid": [s["grid"] for s in samples],
    }


def test_samplers_drive_a_dataloader() -> None:
    ds = FakeDataset((30, 30), [(0, 0, 30, 15), (0, 15, 30, 15)])
    sampler = RandomPatchSampler(ds, 8, length=6)
    loader = DataLoader(GridEcho(), sampler=sampler, batch_size=3, collate_fn=_collate)
    batches = list(loader)
    assert [tuple(b["image"].shape) for b in batches] == [(3, 1, 8, 8)] * 2
    assert [g for b in batches for g in b["grid"]] == list(sampler)
    batch_sampler = RandomBatchPatchSampler(ds, 8, batch_size=4, length=3)
    loader = DataLoader(GridEcho(), batch_sampler=batch_sampler, collate_fn=_collate)
    assert [b["grid"] for b in loader] == list(batch_sampler)
