"""ring_split: the reBEN tile-border split (outer ring train, middle ring val, centre test)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.data import GeoDataset, RasterSource
from eoforge.data.splits import ring_insets, ring_split, ring_widths
from eoforge.errors import CRSMismatchError, InvalidGridError
from eoforge.geo import BBox

CRS = "EPSG:32633"
S = 109_800.0  # side of a Sentinel-2 tile, metres
TILE = BBox(300_000, 5_000_000, 300_000 + S, 5_000_000 + S, CRS)
A1 = S * (2 - math.sqrt(2)) / 4  # reBEN, methods.md section 2
A2 = S * (math.sqrt(2) - 1) / 4


def union(boxes: tuple[BBox, ...]) -> shapely.Geometry:
    return shapely.union_all([b.to_polygon() for b in boxes])


def test_rebens_tile_gets_50_25_25_percent_with_the_published_ring_widths() -> None:
    split = ring_split(tiles=[TILE])
    assert split.names == ("train", "val", "test")
    shares = {name: union(split.regions[name]).area / TILE.area for name in split.names}
    assert shares["train"] == pytest.approx(0.5, abs=1e-9)
    assert shares["val"] == pytest.approx(0.25, abs=1e-9)
    assert shares["test"] == pytest.approx(0.25, abs=1e-9)
    a1, a2 = ring_widths(S, S)
    assert a1 == pytest.approx(A1, rel=1e-12) and round(a1) == 16_080
    assert a2 == pytest.approx(A2, rel=1e-12) and round(a2) == 11_370
    # the geometry itself: the centre square has side s/2, the val∪test square side s/√2
    (centre,) = split.regions["test"]
    assert centre.width == pytest.approx(S / 2) and centre.height == pytest.approx(S / 2)
    assert centre.center == pytest.approx(TILE.center)
    inner = union(split.regions["val"]).union(centre.to_polygon())
    assert inner.equals(TILE.buffer(-a1).to_polygon())
    assert TILE.buffer(-a1).width == pytest.approx(S / math.sqrt(2))
    assert union(split.regions["train"]).equals(TILE.to_polygon().difference(inner))
    # rings come as four boxes each: bands above and below, pieces left and right
    assert len(split.regions["train"]) == 4 and len(split.regions["val"]) == 4


@settings(max_examples=40, deadline=None)
@given(
    width=st.floats(10.0, 1e6),
    aspect=st.floats(0.1, 10.0),
    shares=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=5),
)
def test_rectangles_keep_the_area_shares_with_rings_of_even_width(
    width: float, aspect: float, shares: list[float]
) -> None:
    fractions = {f"zone{i}": v / sum(shares) for i, v in enumerate(shares)}
    tile = BBox(0, 0, width, width * aspect, CRS)
    split = ring_split(tiles=[tile], fractions=fractions)
    for name, share in fractions.items():
        assert union(split.regions[name]).area / tile.area == pytest.approx(share, abs=1e-9)
    # each zone boundary is the tile moved inward by one distance on all four sides
    for inset in ring_insets(tile.width, tile.height, list(fractions.values())):
        inner = tile.buffer(-inset)
        (cx, cy) = tile.center
        assert inner.center == pytest.approx((cx, cy))
        assert (tile.width - inner.width) == pytest.approx(tile.height - inner.height)


def test_hand_placed_patches_go_to_the_zone_holding_their_centroid() -> None:
    split = ring_split(tiles=[TILE])
    x0, y0 = TILE.minx, TILE.miny

    def patch(cx: float, cy: float, side: float = 1200.0) -> BBox:
        return BBox(x0 + cx - side / 2, y0 + cy - side / 2, x0 + cx + side / 2,
                    y0 + cy + side / 2, CRS)  # fmt: skip

    mid = S / 2
    assert split.assign(patch(600, 600)) == "train"  # the tile's corner
    assert split.assign(patch(mid, A1 / 2)) == "train"  # the bottom band
    assert split.assign(patch(A1 + A2 / 2, mid)) == "val"  # the middle ring, west side
    assert split.assign(patch(mid, mid)) == "test"  # the centre
    # straddling patches: the centroid decides, not the larger share
    assert split.assign(patch(A1 + 100, mid)) == "val"
    assert split.assign(patch(A1 - 100, mid)) == "train"
    assert split.assign(patch(A1 + A2 + 1, mid)) == "test"
    # a point on a boundary goes to the zone whose west (or north) edge it is
    edge = min(box.minx for box in split.regions["val"])
    assert edge == pytest.approx(x0 + A1)
    assert split.assign(BBox(edge, y0 + mid, edge, y0 + mid, CRS)) == "val"
    top = max(box.maxy for box in split.regions["test"])
    assert split.assign(BBox(x0 + mid, top, x0 + mid, top, CRS)) == "test"
    assert split.assign(patch(S + 5000, mid)) is None  # outside the tile
    # hand count over a regular lattice of 1200 m patches centred in the tile's cells
    centres = (np.arange(91) + 0.5) * S / 91
    xs, ys = np.meshgrid(centres, centres)
    dist = np.minimum.reduce([xs, ys, S - xs, S - ys])  # to the tile's edge
    expected = {
        "train": int((dist < A1).sum()),
        "val": int(((dist >= A1) & (dist < A1 + A2)).sum()),
        "test": int((dist >= A1 + A2).sum()),
    }
    patches = [patch(x, y) for x, y in zip(xs.ravel(), ys.ravel(), strict=True)]
    counts = split.counts(patches)
    assert {n: counts[n] for n in split.names} == expected
    assert counts[None] == 0


def test_tiles_from_a_dataset_and_overlaps_go_to_the_first_tile(tmp_path: Path) -> None:
    for name, col in (("a", 0), ("b", 30)):
        transform = Affine(10, 0, 600_000 + col * 10, 0, -10, 5_000_000)
        with rasterio.open(
            tmp_path / f"{name}.tif", "w", driver="GTiff", width=40, height=40, count=1,
            dtype="uint8", crs=CRS, transform=transform,
        ) as dst:  # fmt: skip
            dst.write(np.ones((1, 40, 40), "uint8"))
    ds = GeoDataset(RasterSource([tmp_path / "a.tif", tmp_path / "b.tif"]))
    first, second = ds.footprints
    split = ring_split(ds)
    assert split.crs == ds.crs
    everything = union(tuple(b for g in split.boxes for b in g))
    assert everything.area == pytest.approx(first.to_polygon().union(second.to_polygon()).area)
    # the first tile keeps exact shares; the second loses its overlap with the first
    for name, share in {"train": 0.5, "val": 0.25, "test": 0.25}.items():
        inside = union(split.regions[name]).intersection(first.to_polygon()).area
        assert inside / first.area == pytest.approx(share, abs=1e-9)
    assert split.assign(BBox(*second.center, *second.center, CRS)) == "test"


def test_bad_tiles_and_fractions_are_refused() -> None:
    with pytest.raises(InvalidGridError, match="dataset or tiles"):
        ring_split()
    with pytest.raises(InvalidGridError, match="no tile"):
        ring_split(tiles=[])
    with pytest.raises(CRSMismatchError, match="EPSG:32633"):
        ring_split(tiles=[TILE, BBox(0, 0, 1, 1, 4326)])
    with pytest.raises(InvalidGridError, match=r"sum to 0\.9"):
        ring_split(tiles=[TILE], fractions={"train": 0.5, "val": 0.4})
    with pytest.raises(InvalidGridError, match="not a BBox"):
        ring_split(tiles=[(0, 0, 1, 1)])  # type: ignore[list-item]
