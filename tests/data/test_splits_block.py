"""block_split on a small GeoDataset of two GeoTIFF tiles with a gap between them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eoforge.data import GeoDataset, RasterSource
from eoforge.data.splits import SpatialSplit, block_split
from eoforge.errors import InvalidGridError

CRS = "EPSG:32633"
X0, Y0, RES = 500_000.0, 4_000_000.0, 10.0
# (row_off, col_off, height, width) in pixels: a gap of 10 columns, the east tile 10 rows lower
TILES = {"west": (0, 0, 40, 60), "east": (10, 70, 40, 50)}
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write_tile(path: Path, row_off: int, col_off: int, height: int, width: int) -> None:
    transform = Affine(RES, 0, X0 + col_off * RES, 0, -RES, Y0 - row_off * RES)
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint8",
        crs=CRS, transform=transform, nodata=0,
    ) as dst:  # fmt: skip
        dst.write(np.full((1, height, width), 7, dtype="uint8"))


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> GeoDataset:
    folder = tmp_path_factory.mktemp("block_tiles")
    for name, (row, col, height, width) in TILES.items():
        write_tile(folder / f"{name}.tif", row, col, height, width)
    return GeoDataset(RasterSource(sorted(folder.glob("*.tif"))))


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> GeoDataset:
    folder = tmp_path_factory.mktemp("one_tile")
    write_tile(folder / "one.tif", 0, 0, 30, 45)
    return GeoDataset(RasterSource(folder / "one.tif"))


def covered(ds: GeoDataset) -> shapely.Geometry:
    """The data area, computed from the tile table (not from the dataset)."""
    boxes = [
        shapely.box(X0 + c * RES, Y0 - (r + h) * RES, X0 + (c + w) * RES, Y0 - r * RES)
        for r, c, h, w in TILES.values()
    ]
    return shapely.union_all(boxes)


fractions_strategy = st.tuples(
    st.floats(0.15, 0.7), st.floats(0.15, 0.7), st.floats(0.15, 0.7)
).map(lambda t: dict(zip(("train", "val", "test"), (v / sum(t) for v in t), strict=True)))


@SETTINGS
@given(block=st.floats(40.0, 200.0), seed=st.integers(0, 2**31), fractions=fractions_strategy)
def test_area_shares_are_within_one_block_of_the_targets(
    ds: GeoDataset, block: float, seed: int, fractions: dict[str, float]
) -> None:
    split = block_split(ds, block, fractions, seed=seed)
    data = covered(ds)
    total = data.area
    for name, share in fractions.items():
        union = shapely.union_all([b.to_polygon() for b in split.regions[name]])
        area = union.intersection(data).area
        assert abs(area - share * total) <= block * block + 1e-6
    # the splits tile the data area: together they cover it once
    everything = shapely.union_all([b.to_polygon() for g in split.boxes for b in g])
    assert everything.intersection(data).area == pytest.approx(total)
    assert math.fsum(split.report(ds)["splits"][n]["area"] for n in split.names) == (
        pytest.approx(total)
    )


@SETTINGS
@given(block=st.floats(40.0, 200.0), seed=st.integers(0, 2**31))
def test_regions_are_whole_blocks_on_the_block_lattice(
    ds: GeoDataset, block: float, seed: int
) -> None:
    split = block_split(ds, block, seed=seed)
    b = ds.bounds
    for box in (box for group in split.boxes for box in group):
        for value, origin, edges in (
            (box.minx, b.minx, (b.minx, b.maxx)),
            (box.maxx, b.minx, (b.minx, b.maxx)),
            (box.miny, b.maxy, (b.miny, b.maxy)),
            (box.maxy, b.maxy, (b.miny, b.maxy)),
        ):
            steps = abs(value - origin) / block
            on_lattice = abs(steps - round(steps)) < 1e-6
            assert on_lattice or min(abs(value - e) for e in edges) < 1e-6


def test_block_pixels_puts_block_edges_on_pixel_lines(ds: GeoDataset) -> None:
    split = block_split(ds, block_pixels=7, seed=4)
    t = ds.grid.transform
    for box in (box for group in split.boxes for box in group):
        for x in (box.minx, box.maxx):
            cols = (x - t.c) / t.a
            assert abs(cols - round(cols)) < 1e-9
            assert round(cols) % 7 == 0 or round(cols) == ds.grid.width
        for y in (box.miny, box.maxy):
            rows = (y - t.f) / t.e
            assert abs(rows - round(rows)) < 1e-9
            assert round(rows) % 7 == 0 or round(rows) == ds.grid.height


def test_same_seed_same_split_other_seed_other_split(ds: GeoDataset) -> None:
    first = block_split(ds, 50.0, seed=11)
    again = block_split(ds, 50.0, seed=11)
    assert first == again and hash(first) == hash(again)
    assert first.regions == again.regions
    others = [block_split(ds, 50.0, seed=s) for s in (12, 13, 14)]
    assert all(other != first for other in others)
    # the difference is in which blocks go where, not in the blocks themselves
    cell = shapely.box(X0, Y0 - 50, X0 + 50, Y0)
    owners = {
        next(n for n in s.names if shapely.union_all([b.to_polygon() for b in s.regions[n]])
             .contains(cell.centroid))
        for s in [first, *others, *[block_split(ds, 50.0, seed=k) for k in range(20)]]
    }  # fmt: skip
    assert len(owners) > 1


@SETTINGS
@given(
    block=st.floats(60.0, 200.0),
    ratio=st.floats(0.02, 0.6),
    seed=st.integers(0, 2**31),
)
def test_different_splits_are_at_least_twice_the_buffer_apart(
    ds: GeoDataset, block: float, ratio: float, seed: int
) -> None:
    buffer = ratio * block
    try:
        split = block_split(ds, block, buffer=buffer, seed=seed)
    except InvalidGridError as err:  # a buffer can eat a small split whole
        assert "buffer" in str(err)
        return
    polygons = {n: [b.to_polygon() for b in g] for n, g in split.regions.items()}
    for i, a in enumerate(split.names):
        for b in split.names[i + 1 :]:
            ua, ub = shapely.union_all(polygons[a]), shapely.union_all(polygons[b])
            assert shapely.distance(ua, ub) >= 2 * buffer - 1e-6


@settings(max_examples=15, deadline=None)
@given(block=st.floats(60.0, 200.0), ratio=st.floats(0.02, 0.4), seed=st.integers(0, 2**31))
def test_the_buffer_rule_keeps_exactly_the_points_far_from_foreign_blocks(
    ds: GeoDataset, block: float, ratio: float, seed: int
) -> None:
    """A point of a block stays in its split iff the square of half-side ``buffer`` around it
    meets no block outside its split (blocks of other splits, blocks without data)."""
    buffer = ratio * block
    plain = block_split(ds, block, seed=seed)
    try:
        buffered = block_split(ds, block, buffer=buffer, seed=seed)
    except InvalidGridError:
        return
    rng = np.random.default_rng(seed % 1000)
    b = ds.bounds
    xs = rng.uniform(b.minx, b.maxx, 1000)
    ys = rng.uniform(b.miny, b.maxy, 1000)
    before = plain.assign_points(xs, ys)
    after = buffered.assign_points(xs, ys)
    for k, name in enumerate(plain.names):
        own = shapely.union_all([box.to_polygon() for box in plain.regions[name]])
        foreign = b.to_polygon().difference(own)
        mine = before == k
        wide = shapely.box(xs - buffer - 1e-6, ys - buffer - 1e-6, xs + buffer + 1e-6,
                           ys + buffer + 1e-6)  # fmt: skip
        tight = shapely.box(xs - buffer + 1e-6, ys - buffer + 1e-6, xs + buffer - 1e-6,
                            ys + buffer - 1e-6)  # fmt: skip
        far = mine & (shapely.area(shapely.intersection(wide, foreign)) < 1e-9)
        near = mine & (shapely.area(shapely.intersection(tight, foreign)) > 1e-6)
        assert (after[far] == k).all()
        assert (after[near] == -1).all()
        assert far.any() or not mine.any()


def test_one_split_takes_no_gap_at_all(single: GeoDataset) -> None:
    split = block_split(single, 50.0, {"all": 1.0}, buffer=20.0)
    union = shapely.union_all([b.to_polygon() for b in split.regions["all"]])
    assert union.equals(single.bounds.to_polygon())
    # merged: the blocks of one split come back as one box, not one box per block
    assert split.regions["all"] == (single.bounds,)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"block_size": 50, "fractions": {"train": 0.7, "val": 0.2}}, ["sum to 0.9", "rescale"]),
        ({"block_size": 50, "fractions": {"train": 1.2, "val": -0.2}}, ["-0.2", "between 0"]),
        ({"block_size": 50, "fractions": {"": 1.0}}, ["non-empty"]),
        ({"block_size": 50, "fractions": [0.5, 0.5]}, ["mapping"]),
        ({"block_size": 0}, ["block_size=0", "positive"]),
        ({"block_size": -5.0}, ["block_size=-5.0"]),
        ({"block_size": float("nan")}, ["block_size=nan"]),
        ({"block_size": 5000.0}, ["block_size=5000.0", "larger than the dataset"]),
        ({}, ["exactly one of block_size"]),
        ({"block_size": 50, "block_pixels": 5}, ["exactly one of block_size"]),
        ({"block_pixels": 0}, ["block_pixels=0"]),
        ({"block_size": 50, "buffer": -1.0}, ["buffer=-1.0"]),
        ({"block_size": 50, "buffer": 200.0}, ["buffer=200.0", "smaller buffer"]),
        ({"block_size": 450.0}, ["got no block", "smaller blocks"]),
        ({"block_size": 50, "seed": -1}, ["seed"]),
    ],
)
def test_bad_arguments_name_the_value_and_the_fix(
    ds: GeoDataset, kwargs: dict[str, object], words: list[str]
) -> None:
    with pytest.raises(InvalidGridError) as err:
        block_split(ds, **kwargs)  # type: ignore[arg-type]
    for word in words:
        assert word in str(err.value)


def test_too_many_blocks_is_refused(ds: GeoDataset) -> None:
    with pytest.raises(InvalidGridError, match="larger block size"):
        block_split(ds, 0.01)


def test_result_is_an_immutable_split_in_the_dataset_crs(ds: GeoDataset) -> None:
    split = block_split(ds, 100.0, seed=1)
    assert isinstance(split, SpatialSplit) and split.crs == ds.crs
    assert "block_size=100" in split.description and "seed=1" in repr(split)
    with pytest.raises(AttributeError):
        split.names = ("a",)  # type: ignore[misc]
