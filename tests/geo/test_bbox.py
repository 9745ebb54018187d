from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rasterio.warp import transform_bounds

from eoforge.errors import CRSMismatchError, InvalidGridError, MissingCRSError
from eoforge.geo import BBox, rio_crs

coord = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def boxes(draw: st.DrawFn, crs: str = "EPSG:32633") -> BBox:
    x0, x1 = sorted((draw(coord), draw(coord)))
    y0, y1 = sorted((draw(coord), draw(coord)))
    return BBox(x0, y0, x1, y1, crs)


def test_crs_is_canonical() -> None:
    a = BBox(0, 0, 1, 1, 32633)
    b = BBox(0, 0, 1, 1, "epsg:32633")
    c = BBox(0, 0, 1, 1, rio_crs("EPSG:32633"))
    assert a == b == c
    assert a.crs == "EPSG:32633"


def test_invalid_bounds_raise_with_fix() -> None:
    with pytest.raises(InvalidGridError, match="order them"):
        BBox(10, 0, 0, 10, 4326)
    with pytest.raises(InvalidGridError, match="not finite"):
        BBox(0, 0, math.nan, 1, 4326)
    with pytest.raises(MissingCRSError, match="EPSG"):
        BBox(0, 0, 1, 1, None)
    with pytest.raises(MissingCRSError, match="not a coordinate reference system"):
        BBox(0, 0, 1, 1, "no-such-crs")


def test_operations_refuse_mixed_crs() -> None:
    a = BBox(0, 0, 1, 1, 32633)
    b = BBox(0, 0, 1, 1, 32634)
    with pytest.raises(CRSMismatchError, match="to_crs"):
        a.intersection(b)
    with pytest.raises(CRSMismatchError):
        a.union(b)


def test_hand_computed_operations() -> None:
    a = BBox(0, 0, 10, 10, 3857)
    b = BBox(5, -5, 20, 5, 3857)
    assert a.intersection(b) == BBox(5, 0, 10, 5, 3857)
    assert a.union(b) == BBox(0, -5, 20, 10, 3857)
    assert a.buffer(2) == BBox(-2, -2, 12, 12, 3857)
    assert a.buffer(-20) == BBox(5, 5, 5, 5, 3857)
    assert BBox(0, 0, 1, 1, 3857).intersection(BBox(1, 0, 2, 1, 3857)) is None  # touching only
    assert a.to_polygon().area == pytest.approx(100)


def test_reprojection_matches_rasterio() -> None:
    box = BBox(400000, 5000000, 500000, 5100000, "EPSG:32633")
    expected = transform_bounds("EPSG:32633", "EPSG:4326", *box, densify_pts=21)
    assert tuple(box.to_crs(4326)) == pytest.approx(expected)
    back = box.to_crs(4326).to_crs(32633)
    assert back.contains(box.buffer(-1e-3))  # the envelope of the envelope contains the box


@given(boxes(), boxes())
def test_intersection_is_symmetric_and_contained(a: BBox, b: BBox) -> None:
    i, j = a.intersection(b), b.intersection(a)
    assert i == j
    if i is not None:
        assert a.contains(i) and b.contains(i)
        assert i.area <= min(a.area, b.area) + 1e-6


@given(boxes(), boxes())
def test_union_contains_both(a: BBox, b: BBox) -> None:
    u = a.union(b)
    assert u.contains(a) and u.contains(b)
    assert u == b.union(a)


@given(boxes(), st.floats(0, 1e5))
def test_buffer_round_trip(a: BBox, d: float) -> None:
    grown = a.buffer(d)
    assert grown.contains(a)
    shrunk = grown.buffer(-d)
    assert tuple(shrunk) == pytest.approx(tuple(a), abs=1e-6 * max(1.0, d, *map(abs, a)))


@given(boxes())
def test_pickle_round_trip(a: BBox) -> None:
    assert pickle.loads(pickle.dumps(a)) == a
    assert hash(pickle.loads(pickle.dumps(a))) == hash(a)
