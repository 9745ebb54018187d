"""GridPatchSampler: coverage, ownership and placement, property-tested on pixel counts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.data.samplers import GridPatchSampler, PixelWindow
from eoforge.errors import InvalidGridError, NoOverlapError, QueryOutsideError
from eoforge.geo import BBox, GridSpec

CRS = "EPSG:32633"
PAD = 32  # room on the canvas for patches that reach past the grid


def fake_dataset(
    shape: tuple[int, int], windows: list[tuple[int, int, int, int]]
) -> SimpleNamespace:
    """A PatchDataset over an H x W grid with footprints given as (row, col, height, width)."""
    h, w = shape
    grid = GridSpec.from_bounds(
        BBox(300_000, 5_000_000, 300_000 + 20 * w, 5_000_000 + 20 * h, CRS), 20
    )
    footprints = [grid.subgrid(*win).bounds for win in windows]
    return SimpleNamespace(
        grid=grid, bounds=grid.bounds, footprints=footprints, valid_fraction=lambda q: 1.0
    )


def offset(grid: GridSpec, query: GridSpec) -> tuple[int, int]:
    window = grid.window_of(query)
    return round(window.row_off), round(window.col_off)


def counts(sampler: GridPatchSampler, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(times each pixel is in a patch, times each pixel is owned) on a canvas padded by PAD."""
    covered = np.zeros((shape[0] + 2 * PAD, shape[1] + 2 * PAD), dtype=np.int64)
    owned = np.zeros_like(covered)
    for query, own in sampler.iter_with_ownership():
        r, c = offset(sampler.grid, query)
        r, c = r + PAD, c + PAD
        covered[r : r + query.height, c : c + query.width] += 1
        assert own.row_off >= 0 and own.row_off + own.height <= query.height
        assert own.col_off >= 0 and own.col_off + own.width <= query.width
        assert own.height > 0 and own.width > 0
        owned[
            r + own.row_off : r + own.row_off + own.height,
            c + own.col_off : c + own.col_off + own.width,
        ] += 1
    return covered, owned


def inner(canvas: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    return canvas[PAD : PAD + shape[0], PAD : PAD + shape[1]]


sizes = st.tuples(st.integers(1, 12), st.integers(1, 12))


@settings(max_examples=150, deadline=None)
@given(area=st.tuples(st.integers(1, 45), st.integers(1, 45)), size=sizes, data=st.data())
def test_one_area_is_covered_and_owned_exactly_once(
    area: tuple[int, int], size: tuple[int, int], data: st.DataObject
) -> None:
    stride = (data.draw(st.integers(1, size[0])), data.draw(st.integers(1, size[1])))
    sampler = GridPatchSampler(fake_dataset(area, [(0, 0, *area)]), size, stride)
    covered, owned = counts(sampler, area)
    assert (inner(covered, area) >= 1).all()  # (a) every pixel is in a patch
    assert (inner(owned, area) == 1).all()  # (b) every pixel is owned exactly once ...
    assert owned.sum() == area[0] * area[1]  # ... and nothing outside the area is owned
    for query in sampler:  # (c) inside the area along every axis where it is at least the size
        r, c = offset(sampler.grid, query)
        assert query.shape == size
        assert sampler.grid.is_aligned_with(query)
        for pos, patch, length in ((r, size[0], area[0]), (c, size[1], area[1])):
            if length >= patch:
                assert 0 <= pos <= length - patch
            else:
                assert pos == 0
    assert len(list(sampler)) == len(sampler)


@settings(max_examples=60, deadline=None)
@given(tiles=st.tuples(st.integers(1, 6), st.integers(1, 6)), size=sizes)
def test_divisible_area_at_stride_equal_size_is_disjoint(
    tiles: tuple[int, int], size: tuple[int, int]
) -> None:
    area = (tiles[0] * size[0], tiles[1] * size[1])
    sampler = GridPatchSampler(fake_dataset(area, [(0, 0, *area)]), size)
    covered, _ = counts(sampler, area)
    assert covered.max() == 1  # (d) disjoint
    assert len(sampler) == tiles[0] * tiles[1]
    for _, own in sampler.iter_with_ownership():
        assert own == PixelWindow(0, 0, *size)


@st.composite
def scattered_footprints(
    draw: st.DrawFn,
) -> tuple[tuple[int, int], list[tuple[int, int, int, int]]]:
    shape = (draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    windows = []
    for _ in range(draw(st.integers(1, 4))):
        r0, c0 = draw(st.integers(0, shape[0] - 1)), draw(st.integers(0, shape[1] - 1))
        windows.append(
            (r0, c0, draw(st.integers(1, shape[0] - r0)), draw(st.integers(1, shape[1] - c0)))
        )
    return shape, windows


@settings(max_examples=150, deadline=None)
@given(layout=scattered_footprints(), size=sizes, data=st.data())
def test_scattered_footprints_are_owned_once_and_no_patch_is_wasted(
    layout: tuple[tuple[int, int], list[tuple[int, int, int, int]]],
    size: tuple[int, int],
    data: st.DataObject,
) -> None:
    shape, windows = layout
    stride = (data.draw(st.integers(1, size[0])), data.draw(st.integers(1, size[1])))
    sampler = GridPatchSampler(fake_dataset(shape, windows), size, stride)
    covered, owned = counts(sampler, shape)
    inside = np.zeros_like(owned, dtype=bool)
    for r0, c0, h, w in windows:
        inside[PAD + r0 : PAD + r0 + h, PAD + c0 : PAD + c0 + w] = True
    assert (covered[inside] >= 1).all()
    assert (owned[inside] == 1).all()  # every footprint pixel owned exactly once
    assert owned.max() == 1  # no pixel anywhere owned twice
    for query, own in sampler.iter_with_ownership():  # every patch owns some footprint pixel
        r, c = offset(sampler.grid, query)
        rows = slice(PAD + r + own.row_off, PAD + r + own.row_off + own.height)
        cols = slice(PAD + c + own.col_off, PAD + c + own.col_off + own.width)
        assert inside[rows, cols].any()
        assert sampler.owned_window(query) == own


def test_adjacent_tiles_are_tiled_as_one_area() -> None:
    """Two tiles that touch are covered with the patches of their union: nothing read twice."""
    two = GridPatchSampler(fake_dataset((10, 20), [(0, 0, 10, 10), (0, 10, 10, 10)]), 4)
    one = GridPatchSampler(fake_dataset((10, 20), [(0, 0, 10, 20)]), 4)
    assert list(two) == list(one)
    assert len(two) == 3 * 5


def test_patches_far_from_any_footprint_are_skipped() -> None:
    sampler = GridPatchSampler(fake_dataset((40, 40), [(0, 0, 8, 8), (32, 32, 8, 8)]), 8)
    assert [offset(sampler.grid, q) for q in sampler] == [(0, 0), (32, 32)]
    assert sampler.extent == PixelWindow(0, 0, 40, 40)


def test_area_smaller_than_a_patch_gives_one_patch_at_its_origin() -> None:
    ds = fake_dataset((20, 20), [(5, 6, 3, 2)])
    sampler = GridPatchSampler(ds, (8, 4))
    [(query, own)] = list(sampler.iter_with_ownership())
    assert offset(ds.grid, query) == (5, 6)
    assert query.shape == (8, 4)
    assert own == PixelWindow(0, 0, 3, 2)


def test_last_row_and_column_are_shifted_inward() -> None:
    ds = fake_dataset((10, 7), [(0, 0, 10, 7)])
    sampler = GridPatchSampler(ds, 4, stride=3)
    assert sorted({offset(ds.grid, q) for q in sampler}) == [
        (r, c) for r in (0, 3, 6) for c in (0, 3)
    ]
    owned = {offset(ds.grid, q): own for q, own in sampler.iter_with_ownership()}
    # rows: patches 0-3, 3-6, 6-9 split their one-pixel overlaps in the middle (floor)
    assert [owned[(r, 0)].height for r in (0, 3, 6)] == [3, 3, 4]
    assert [owned[(0, c)].width for c in (0, 3)] == [3, 4]


def test_unaligned_footprint_is_snapped_outward() -> None:
    ds = fake_dataset((10, 10), [(0, 0, 10, 10)])
    ds.footprints = [
        BBox(300_030, 5_000_030, 300_090, 5_000_070, CRS)
    ]  # cols 1.5..4.5, rows 6.5..8.5
    sampler = GridPatchSampler(ds, 2)
    assert sampler.extent == PixelWindow(6, 1, 3, 4)
    assert sampler.extent_grid == ds.grid.subgrid(6, 1, 3, 4)


def test_owned_window_rejects_foreign_queries() -> None:
    ds = fake_dataset((12, 12), [(0, 0, 12, 12)])
    sampler = GridPatchSampler(ds, 4, stride=2)
    assert sampler.owned_window(ds.grid.subgrid(2, 4, 4, 4)) == PixelWindow(1, 1, 2, 2)
    for foreign in (
        ds.grid.subgrid(1, 0, 4, 4),  # not on a position
        ds.grid.subgrid(0, 0, 4, 5),  # wrong size
        ds.grid.with_res(10).subgrid(0, 0, 4, 4),  # other grid
    ):
        with pytest.raises(QueryOutsideError, match="not one of the patches"):
            sampler.owned_window(foreign)


@pytest.mark.parametrize(
    ("size", "stride", "match"),
    [
        (0, None, "size="),
        (-4, None, "size="),
        ((4, 0), None, "size="),
        (4.5, None, "size="),
        (4, 0, "stride="),
        (4, -1, "stride="),
        (4, 5, "larger than the patch size"),
        ((4, 8), (4, 9), "larger than the patch size"),
    ],
)
def test_bad_size_or_stride_is_rejected(size: object, stride: object, match: str) -> None:
    ds = fake_dataset((10, 10), [(0, 0, 10, 10)])
    with pytest.raises(InvalidGridError, match=match):
        GridPatchSampler(ds, size, stride)  # type: ignore[arg-type]


def test_empty_dataset_is_rejected() -> None:
    with pytest.raises(NoOverlapError, match="no item footprint"):
        GridPatchSampler(fake_dataset((10, 10), []), 4)


def test_repr_and_len() -> None:
    sampler = GridPatchSampler(fake_dataset((10, 10), [(0, 0, 10, 10)]), 4, stride=(2, 4))
    assert len(sampler) == 4 * 3
    assert repr(sampler) == (
        "GridPatchSampler(size=(4, 4), stride=(2, 4), patches=12, "
        "extent=PixelWindow(row_off=0, col_off=0, height=10, width=10))"
    )
