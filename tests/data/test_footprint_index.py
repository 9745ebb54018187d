from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.data.footprint_index import FootprintIndex
from eoforge.geo import BBox, GridSpec, TimeRange

CRS = "EPSG:32633"
coord = st.integers(-50, 50)


@st.composite
def boxes(draw: st.DrawFn) -> BBox:
    x0, y0 = draw(coord), draw(coord)
    return BBox(x0, y0, x0 + draw(st.integers(1, 30)), y0 + draw(st.integers(1, 30)), CRS)


def brute_force(footprints: list[BBox], query: BBox) -> list[int]:
    return [i for i, b in enumerate(footprints) if b.intersects(query)]


@settings(max_examples=60, deadline=None)
@given(st.lists(boxes(), min_size=1, max_size=150), boxes())
def test_hits_equal_brute_force(footprints: list[BBox], query: BBox) -> None:
    index = FootprintIndex(footprints, CRS)  # > 64 footprints go through the STRtree
    assert index.hits(query) == brute_force(footprints, query)
    grid = GridSpec.from_bounds(query, 1)
    assert index.grid_hits(grid) == brute_force(footprints, grid.bounds)


def test_time_filter_and_timeless_items() -> None:
    box = BBox(0, 0, 1, 1, CRS)
    times = [TimeRange("2020-01-01"), None, TimeRange("2021-06-01", "2021-06-30")]
    index = FootprintIndex([box] * 3, CRS, times)
    assert index.hits(box, TimeRange("2021-06-15")) == [1, 2]
    assert index.hits(box) == [0, 1, 2]


def test_other_crs_query_and_pickle() -> None:
    footprints = [BBox(500000 + 100 * i, 0, 500100 + 100 * i, 100, CRS) for i in range(100)]
    index = FootprintIndex(footprints, CRS)
    query = BBox(500250, 10, 500260, 20, CRS).to_crs(4326)
    assert index.hits(query) == [2]
    index.hits(footprints[0])  # builds the tree
    clone = pickle.loads(pickle.dumps(index))
    assert clone.hits(footprints[5]) == [5]
    assert index.bounds == BBox(500000, 0, 510000, 100, CRS)
