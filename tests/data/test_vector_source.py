from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from rasterio.features import rasterize

from eoforge.data.vector_source import VectorSource
from eoforge.errors import EoforgeError, MissingCRSError, NoFilesError
from eoforge.geo import GridSpec

UTM = "EPSG:32633"


def write_layer(
    path: Path, geoms: list[object], crs: str | None = UTM, **columns: list[object]
) -> Path:
    gpd.GeoDataFrame(columns, geometry=geoms, crs=crs).to_file(path)
    return path


def grid10(width: int = 10, height: int = 10, crs: str = UTM) -> GridSpec:
    """A 10 m grid with its top-left corner at (0, height*10)."""
    return GridSpec.from_bounds((0, 0, width * 10, height * 10), 10, crs=crs)


def test_rectangle_burns_exactly_the_pixel_centres_it_covers(tmp_path: Path) -> None:
    # box x 20..50, y 30..70 on a 10 m grid with origin (0, 100): pixel centres x = 5 + 10c,
    # y = 95 - 10r are inside for c in {2, 3, 4} and r in {3, 4, 5, 6}.
    path = write_layer(tmp_path / "a.gpkg", [shapely.box(20, 30, 50, 70)], cls=[3])
    array, valid = VectorSource(path, "cls").read(grid10())
    expected = np.zeros((10, 10), dtype=np.int64)
    expected[3:7, 2:5] = 3
    assert array.shape == (1, 10, 10)
    assert array.dtype == np.int64
    np.testing.assert_array_equal(array[0], expected)
    assert valid.dtype == bool and valid.all()


edge = st.tuples(st.integers(0, 11), st.sampled_from([0.1, 0.3, 0.7, 0.9])).map(sum)


@settings(max_examples=25, deadline=None)
@given(xs=st.tuples(edge, edge), ys=st.tuples(edge, edge), value=st.integers(1, 200))
def test_any_rectangle_burns_the_pixel_centres_strictly_inside(
    xs: tuple[float, float], ys: tuple[float, float], value: int
) -> None:
    (x0, x1), (y0, y1) = sorted(xs), sorted(ys)
    if x0 == x1 or y0 == y1:
        return
    grid = GridSpec.from_bounds((0, 0, 12, 12), 1, crs=UTM)  # centre of (r, c): (c + .5, 11.5 - r)
    rows, cols = np.indices(grid.shape)
    cx, cy = cols + 0.5, 11.5 - rows
    expected = np.where((x0 < cx) & (cx < x1) & (y0 < cy) & (cy < y1), value, 0)
    with tempfile.TemporaryDirectory() as folder:
        path = write_layer(Path(folder) / "r.gpkg", [shapely.box(x0, y0, x1, y1)], v=[value])
        array, _ = VectorSource(path, "v").read(grid)
    np.testing.assert_array_equal(array[0], expected)


def test_diagonal_edge_with_and_without_all_touched(tmp_path: Path) -> None:
    # triangle x + y < 42 on a 4x4, 10 m grid with origin (0, 40): the centre of pixel (r, c) has
    # x + y = 40 + 10 (c - r), so centres inside are those with c <= r; the pixel's lowest corner
    # has x + y = 30 + 10 (c - r), so pixels touched are those with c <= r + 1.
    path = write_layer(tmp_path / "t.geojson", [shapely.Polygon([(0, 0), (42, 0), (0, 42)])])
    grid = grid10(4, 4)
    rows, cols = np.indices((4, 4))
    centres, _ = VectorSource(path).read(grid)
    touched, _ = VectorSource(path, all_touched=True).read(grid)
    np.testing.assert_array_equal(centres[0], (cols <= rows).astype(np.int64))
    np.testing.assert_array_equal(touched[0], (cols <= rows + 1).astype(np.int64))


def test_burn_value_and_later_features_win_on_overlap(tmp_path: Path) -> None:
    geoms = [shapely.box(0, 0, 40, 40), shapely.box(20, 0, 40, 20)]
    path = write_layer(tmp_path / "o.gpkg", geoms, code=[1, 2])
    by_code, _ = VectorSource(path, "code").read(grid10(4, 4))
    expected = np.ones((4, 4), dtype=np.int64)
    expected[2:, 2:] = 2
    np.testing.assert_array_equal(by_code[0], expected)
    burned, _ = VectorSource(path, burn_value=9).read(grid10(4, 4))
    assert set(np.unique(burned)) == {9}


def test_float_attribute_gives_float32_and_null_values_are_skipped(tmp_path: Path) -> None:
    geoms = [shapely.box(0, 0, 20, 20), shapely.box(20, 20, 40, 40)]
    path = write_layer(tmp_path / "f.gpkg", geoms, height=[2.5, None])
    array, _ = VectorSource(path, "height").read(grid10(4, 4))
    assert array.dtype == np.float32
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[2:, :2] = 2.5
    np.testing.assert_array_equal(array[0], expected)


def test_reprojects_the_vectors_to_the_query_crs(tmp_path: Path) -> None:
    # a polygon in lon/lat read on a UTM grid equals rasterising the same polygon moved to UTM
    grid = GridSpec.from_bounds((500000, 4_500_000, 500640, 4_500_640), 10, crs=UTM)
    to_wgs84 = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    ring_utm = [(500100, 4_500_100), (500500, 4_500_150), (500300, 4_500_600)]
    ring_ll = [to_wgs84.transform(x, y) for x, y in ring_utm]
    path = write_layer(tmp_path / "ll.geojson", [shapely.Polygon(ring_ll)], crs="EPSG:4326")
    array, _ = VectorSource(path).read(grid)
    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    back = shapely.Polygon([to_utm.transform(x, y) for x, y in ring_ll])
    reference = rasterize([(back, 1)], out_shape=grid.shape, transform=grid.transform, fill=0)
    np.testing.assert_array_equal(array[0], reference)
    assert 500 < array.sum() < 1500  # the triangle covers ~ 0.5 * 400 * 475 m² / 100 m²


def test_layer_is_read_once_and_cached_per_crs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_layer(tmp_path / "c.gpkg", [shapely.box(0, 0, 20, 20)])
    calls = []
    real = gpd.read_file

    def counting(*args: object, **kwargs: object) -> gpd.GeoDataFrame:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(gpd, "read_file", counting)
    src = VectorSource(path)
    first, _ = src.read(grid10(4, 4))
    again, _ = src.read(grid10(4, 4))
    other, _ = src.read(grid10(4, 4, crs="EPSG:32632"))  # far away in zone 32: nothing burned
    assert len(calls) == 1
    np.testing.assert_array_equal(first, again)
    assert first.sum() == 4 and other.sum() == 0


def test_query_without_shapes_gives_zeros(tmp_path: Path) -> None:
    path = write_layer(tmp_path / "z.gpkg", [shapely.box(0, 0, 20, 20)])
    far = GridSpec.from_bounds((1000, 1000, 1040, 1040), 10, crs=UTM)
    array, valid = VectorSource(path).read(far)
    assert not array.any() and valid.all()


def test_bounds_len_and_repr(tmp_path: Path) -> None:
    path = write_layer(tmp_path / "b.gpkg", [shapely.box(0, 0, 20, 20), shapely.box(5, 5, 30, 25)])
    src = VectorSource(path)
    assert tuple(src.bounds) == (0, 0, 30, 25) and src.bounds.crs == UTM
    assert len(src) == 2
    assert "b.gpkg" in repr(src) and "features=2" in repr(src)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_names_the_file_and_the_fix(tmp_path: Path) -> None:
    path = write_layer(tmp_path / "nocrs.shp", [shapely.box(0, 0, 20, 20)], crs=None)
    with pytest.raises(MissingCRSError, match=r"nocrs\.shp.*crs="):
        VectorSource(path)
    src = VectorSource(path, crs=UTM)
    assert src.crs == UTM
    assert src.read(grid10(4, 4))[0].sum() == 4


def test_missing_attribute_lists_the_columns(tmp_path: Path) -> None:
    path = write_layer(tmp_path / "m.gpkg", [shapely.box(0, 0, 1, 1)], cls=[1], name=["x"])
    with pytest.raises(EoforgeError, match=r"'klass'.*\['cls', 'name'\]"):
        VectorSource(path, "klass")
    with pytest.raises(EoforgeError, match="not numeric"):
        VectorSource(path, "name")


def test_missing_file_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=r"nope\.gpkg"):
        VectorSource(tmp_path / "nope.gpkg")
    bad = tmp_path / "bad.geojson"
    bad.write_text("this is not json")
    with pytest.raises(EoforgeError, match=r"bad\.geojson"):
        VectorSource(bad)


def test_pickle_round_trip_after_use(tmp_path: Path) -> None:
    path = write_layer(tmp_path / "p.gpkg", [shapely.box(20, 30, 50, 70)], cls=[3])
    src = VectorSource(path, "cls", all_touched=True)
    before, _ = src.read(grid10())
    clone = pickle.loads(pickle.dumps(src))
    assert clone._cache == {}  # caches are rebuilt in the worker, not shipped
    np.testing.assert_array_equal(clone.read(grid10())[0], before)
