from __future__ import annotations

import pickle
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.warp import Resampling, reproject

import eoforge.data.mosaic_reader as mosaic_reader
from eoforge.data.raster_source import RasterSource
from eoforge.errors import (
    BandNotFoundError,
    CRSMismatchError,
    MissingCRSError,
    NoFilesError,
    QueryOutsideError,
    RasterReadError,
)
from eoforge.geo import BBox, GridSpec, TimeRange, rio_crs
from gdal_reference import pixel_size_scale

CRS = "EPSG:32633"
WORLD = GridSpec.from_bounds(BBox(500000, 4999600, 500600, 5000000, CRS), 10)  # 40 x 60


def write(
    path: Path,
    array: np.ndarray[Any, Any],
    grid: GridSpec | None,
    *,
    nodata: float | None = None,
    descriptions: list[str] | None = None,
    tags: dict[str, str] | None = None,
) -> Path:
    """A GeoTIFF of ``array`` (C, H, W) on ``grid`` (no CRS when ``grid`` is None)."""
    count, height, width = array.shape
    profile: dict[str, Any] = dict(
        driver="GTiff", width=width, height=height, count=count, dtype=array.dtype.name
    )
    if grid is not None:
        assert grid.shape == (height, width)
        profile.update(crs=rio_crs(grid.crs), transform=grid.transform)
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(array)
        for i, name in enumerate(descriptions or []):
            ds.set_band_description(i + 1, name)
        if tags:
            ds.update_tags(**tags)
    return path


def reference_reproject(path: Path, band: int, grid: GridSpec, resampling: str) -> np.ndarray:
    """rasterio.warp.reproject of a whole band onto ``grid`` (the independent reference).

    GDAL's kernel scale is set to the ratio of pixel sizes, as eoforge defines it (GDAL would
    otherwise estimate it from the extent of the source window, which differs for a turned grid).
    """
    with rasterio.open(path) as ds:
        file_grid = GridSpec(ds.crs.to_string(), ds.transform, ds.width, ds.height)
        dst = np.zeros(grid.shape, dtype=ds.dtypes[band - 1])
        reproject(
            rasterio.band(ds, band),
            dst,
            dst_transform=grid.transform,
            dst_crs=rio_crs(grid.crs),
            resampling=Resampling[resampling],
            **pixel_size_scale(file_grid, grid),
        )
    return dst


@pytest.fixture
def world() -> np.ndarray[Any, Any]:
    return np.random.default_rng(0).integers(1, 1000, (3, 40, 60), dtype=np.uint16)


@pytest.fixture
def quadrants(tmp_path: Path, world: np.ndarray[Any, Any]) -> Path:
    """WORLD cut into four 20 x 30 files."""
    folder = tmp_path / "quads"
    folder.mkdir()
    for name, (r, c) in {"q00": (0, 0), "q01": (0, 30), "q10": (20, 0), "q11": (20, 30)}.items():
        write(folder / f"{name}.tif", world[:, r : r + 20, c : c + 30], WORLD.subgrid(r, c, 20, 30))
    return folder


# ---------------------------------------------------------------------------- indexing, attributes
def test_attributes(quadrants: Path) -> None:
    src = RasterSource(quadrants)
    assert len(src) == 4
    assert src.bands == ["B1", "B2", "B3"]
    assert src.crs == CRS and src.crss == {CRS}
    assert src.res == (10.0, 10.0)
    assert src.bounds == WORLD.bounds
    assert [item.id for item in src.items] == ["q00", "q01", "q10", "q11"]
    assert src.dtypes == {b: np.dtype("uint16") for b in src.bands}
    assert "4 items" in repr(src)


def test_globs_lists_and_missing(quadrants: Path) -> None:
    assert len(RasterSource(str(quadrants / "q0*.tif"))) == 2
    assert len(RasterSource([quadrants / "q11.tif", quadrants / "q00.tif"])) == 2
    with pytest.raises(NoFilesError, match="does not exist"):
        RasterSource(quadrants / "nope.tif")


def test_query_order_and_strictness(quadrants: Path) -> None:
    src = RasterSource(quadrants)
    everything = src.query(WORLD.bounds)
    assert [i.id for i in everything] == ["q00", "q01", "q10", "q11"]
    inner = WORLD.subgrid(5, 5, 5, 5).bounds
    assert [i.id for i in src.query(inner)] == ["q00"]
    edge = WORLD.subgrid(0, 30, 20, 30).bounds  # touches q00 and q10 along edges only
    assert [i.id for i in src.query(edge)] == ["q01"]
    far = BBox(0, 0, 10, 10, CRS)
    assert src.query(far) == []
    assert [i.id for i in src.query(inner.to_crs(4326))] == ["q00"]  # any CRS


# ---------------------------------------------------------------------------- reading
def test_mosaic_equals_original(quadrants: Path, world: np.ndarray[Any, Any]) -> None:
    src = RasterSource(quadrants)
    image, valid = src.read(WORLD)
    assert image.dtype == np.uint16
    np.testing.assert_array_equal(image, world)
    assert valid.all()
    across = WORLD.subgrid(10, 20, 20, 20)  # spans all four files
    image, valid = src.read(across, bands=["B3", "B1"])
    np.testing.assert_array_equal(image, world[[2, 0], 10:30, 20:40])
    assert valid.all()


@settings(max_examples=40, deadline=None)
@given(st.integers(-15, 45), st.integers(-15, 65), st.integers(1, 30), st.integers(1, 30))
def test_mosaic_property(quadrants_once: tuple[RasterSource, np.ndarray], row: int, col: int,
                         height: int, width: int) -> None:  # fmt: skip
    src, world = quadrants_once
    query = WORLD.subgrid(row, col, height, width)
    if not query.bounds.intersects(WORLD.bounds):
        with pytest.raises(QueryOutsideError):
            src.read(query)
        return
    padded = np.zeros((3, 40 + 100, 60 + 100), np.uint16)
    padded[:, 50:90, 50:110] = world
    inside = np.zeros((140, 160), bool)
    inside[50:90, 50:110] = True
    image, valid = src.read(query)
    rows, cols = slice(row + 50, row + 50 + height), slice(col + 50, col + 50 + width)
    np.testing.assert_array_equal(image, padded[:, rows, cols])
    np.testing.assert_array_equal(valid, inside[rows, cols])


@pytest.fixture(scope="module")
def quadrants_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[RasterSource, np.ndarray]:
    world = np.random.default_rng(0).integers(1, 1000, (3, 40, 60), dtype=np.uint16)
    folder = tmp_path_factory.mktemp("quads")
    for r in (0, 20):
        for c in (0, 30):
            write(
                folder / f"q{r}{c}.tif",
                world[:, r : r + 20, c : c + 30],
                WORLD.subgrid(r, c, 20, 30),
            )
    return RasterSource(folder), world


@pytest.fixture
def read_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Records the arguments of every eoforge.io.read_window call of the mosaic reader."""
    calls: list[dict[str, Any]] = []
    real = mosaic_reader.read_window  # type: ignore[attr-defined]

    def spy(path: Any, grid: GridSpec, bands: Any = None, **kwargs: Any) -> Any:
        calls.append({"path": Path(path).name, "bands": tuple(bands), **kwargs})
        return real(path, grid, bands, **kwargs)

    monkeypatch.setattr(mosaic_reader, "read_window", spy)
    return calls


def test_one_call_per_file_and_early_stop(
    quadrants: Path, tmp_path: Path, read_calls: list[dict[str, Any]]
) -> None:
    src = RasterSource(quadrants)
    src.read(WORLD.subgrid(2, 2, 10, 10), bands=["B3", "B2"])
    assert read_calls == [
        {"path": "q00.tif", "bands": (3, 2), "resampling": "bilinear", "fill_value": 0,
         "dtype": np.dtype("uint16"), "out": None, "with_mask": True}
    ]  # fmt: skip
    read_calls.clear()
    src.read(WORLD.subgrid(2, 2, 10, 40))  # two files
    assert [c["path"] for c in read_calls] == ["q00.tif", "q01.tif"]
    # an overlapping second file is not read when the first covers the query
    twin = tmp_path / "twin"
    twin.mkdir()
    for name in ("a.tif", "b.tif"):
        write(twin / name, np.ones((1, 8, 8), np.uint8), WORLD.subgrid(0, 0, 8, 8))
    read_calls.clear()
    RasterSource(twin).read(WORLD.subgrid(0, 0, 8, 8))
    assert [c["path"] for c in read_calls] == ["a.tif"]


def test_partly_outside_is_filled_and_invalid(quadrants: Path, world: np.ndarray) -> None:
    src = RasterSource(quadrants)
    image, valid = src.read(WORLD.subgrid(-5, -5, 10, 10))
    assert image.shape == (3, 10, 10)
    assert not valid[:5].any() and not valid[:, :5].any()
    assert valid[5:, 5:].all()
    np.testing.assert_array_equal(image[:, 5:, 5:], world[:, :5, :5])
    assert (image[:, :5] == 0).all()


def test_first_valid_pixel_wins(tmp_path: Path) -> None:
    first = np.full((1, 20, 30), 1, np.uint8)
    first[0, :, :5] = 0  # nodata in the first file's left columns
    first[0, :5, 20:30] = 0  # and in part of the overlap
    write(tmp_path / "1.tif", first, WORLD.subgrid(0, 0, 20, 30), nodata=0)
    write(
        tmp_path / "2.tif",
        np.full((1, 20, 30), 2, np.uint8),
        WORLD.subgrid(0, 20, 20, 30),
        nodata=0,
    )
    src = RasterSource(tmp_path)
    image, valid = src.read(WORLD.subgrid(0, 0, 20, 50))
    expected = np.full((20, 50), 1, np.uint8)
    expected[:, :5] = 0
    expected[:, 30:] = 2
    expected[:5, 20:30] = 2  # the first file has no data there: the second fills it
    np.testing.assert_array_equal(image[0], expected)
    np.testing.assert_array_equal(valid, expected != 0)


def test_user_nodata(tmp_path: Path) -> None:
    data = np.arange(1, 7, dtype=np.int16).reshape(1, 2, 3)
    data[0, 0, 0] = -5
    write(tmp_path / "a.tif", data, WORLD.subgrid(0, 0, 2, 3))
    src = RasterSource(tmp_path, nodata=-5)
    assert src.nodata == -5
    image, valid = src.read(WORLD.subgrid(0, 0, 2, 4))
    assert valid.tolist() == [[False, True, True, False], [True, True, True, False]]
    assert image[0, 0, 3] == -5  # filled with the nodata value
    assert RasterSource(tmp_path).read(WORLD.subgrid(0, 0, 2, 3))[1].all()


def test_mask_kind_uses_nearest(tmp_path: Path) -> None:
    labels = np.random.default_rng(1).choice(np.array([1, 5], np.uint8), (1, 20, 30))
    write(tmp_path / "m.tif", labels, WORLD.subgrid(0, 0, 20, 30))
    coarse = GridSpec.from_bounds(WORLD.subgrid(0, 0, 20, 30).bounds, 13)
    mask, _ = RasterSource(tmp_path, kind="mask").read(coarse)
    assert set(np.unique(mask)) <= {0, 1, 5}
    assert RasterSource(tmp_path, kind="mask").resampling == "nearest"
    assert RasterSource(tmp_path).resampling == "bilinear"
    assert RasterSource(tmp_path, resampling="cubic").resampling == "cubic"
    with pytest.raises(ValueError, match="kind='labels'"):
        RasterSource(tmp_path, kind="labels")  # type: ignore[arg-type]


def test_two_utm_zones(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    zone32 = GridSpec.from_bounds(BBox(731000, 5096000, 731640, 5096640, "EPSG:32632"), 10)
    box33 = zone32.bounds.to_crs("EPSG:32633")
    zone33 = GridSpec.from_bounds(
        BBox(box33.maxx, box33.miny, box33.maxx + 640, box33.miny + 640, "EPSG:32633"), 10
    )
    write(tmp_path / "a.tif", rng.integers(1, 500, (1, 64, 64), dtype=np.uint16), zone32)
    write(tmp_path / "b.tif", rng.integers(1, 500, (1, 64, 64), dtype=np.uint16), zone33)
    src = RasterSource(tmp_path)
    assert src.crss == {"EPSG:32632", "EPSG:32633"}
    assert src.crs == "EPSG:32632"  # the first file's
    in33 = RasterSource(tmp_path, crs="EPSG:32633")
    assert in33.crs == "EPSG:32633"
    assert tuple(in33.items[0].footprint) == pytest.approx(tuple(box33))
    assert in33.res[0] == pytest.approx(10, rel=0.02)
    # read zone 32's file on a zone 33 grid: equals GDAL's reprojection of it
    query = GridSpec.from_bounds(box33, 10).subgrid(8, 8, 40, 40)
    image, valid = in33.read(query)
    expected = reference_reproject(tmp_path / "a.tif", 1, query, "bilinear")
    assert valid[5:-5, 5:-5].all()
    np.testing.assert_array_equal(image[0][valid], expected[valid])
    # a grid straddling both files gets data from both
    both = GridSpec.from_bounds(
        BBox(box33.maxx - 200, box33.miny, box33.maxx + 200, box33.miny + 400, "EPSG:32633"), 10
    )
    image, valid = in33.read(both)
    assert valid[:, :15].any() and valid[:, 25:].all()
    np.testing.assert_array_equal(
        image[0, :, 20:], np.asarray(rasterio.open(tmp_path / "b.tif").read(1))[-40:, :20]
    )


def test_union_across_crs(tmp_path: Path) -> None:
    a = write(tmp_path / "a.tif", np.ones((2, 4, 4), np.uint8), WORLD.subgrid(0, 0, 4, 4))
    other = GridSpec.from_bounds(BBox(300000, 5000000, 300040, 5000040, "EPSG:32634"), 10)
    b = write(tmp_path / "b.tif", np.full((2, 4, 4), 2, np.uint8), other)
    both = RasterSource(a) | RasterSource(b)
    assert len(both) == 2 and both.crs == CRS and both.crss == {CRS, "EPSG:32634"}
    assert [i.id for i in both.query(both.bounds)] == ["a", "b"]
    image, valid = both.read(other.to_crs(CRS))
    assert (image[:, valid] == 2).all() and valid.any()
    c = write(tmp_path / "c.tif", np.ones((3, 4, 4), np.uint8), WORLD.subgrid(0, 0, 4, 4))
    with pytest.raises(BandNotFoundError, match=r"cannot unite.*same bands"):
        RasterSource(a) | RasterSource(c)


def test_pickle_round_trip(quadrants: Path, world: np.ndarray) -> None:
    src = RasterSource(quadrants)
    src.query(WORLD.bounds)  # builds the tree
    clone = pickle.loads(pickle.dumps(src))
    np.testing.assert_array_equal(clone.read(WORLD)[0], world)
    assert len(pickle.dumps(src.items[0])) < 1500  # items stay small


# ---------------------------------------------------------------------------- band names
def test_band_names_from_descriptions_and_bands(tmp_path: Path) -> None:
    data = np.stack([np.full((4, 4), v, np.uint8) for v in (2, 3, 4)])
    write(tmp_path / "a.tif", data, WORLD.subgrid(0, 0, 4, 4), descriptions=["B02", "B03", "B04"])
    assert RasterSource(tmp_path).bands == ["B02", "B03", "B04"]
    picked = RasterSource(tmp_path, bands=["B04", "B02"])
    assert picked.bands == ["B04", "B02"]
    assert picked.read(WORLD.subgrid(0, 0, 4, 4))[0][:, 0, 0].tolist() == [4, 2]
    renamed = RasterSource(tmp_path, bands=["R", "G", "B"])
    assert renamed.read(WORLD.subgrid(0, 0, 4, 4), bands=["B"])[0][0, 0, 0] == 4
    with pytest.raises(BandNotFoundError, match=r"3 band\(s\) \(B02, B03, B04\)"):
        RasterSource(tmp_path, bands=["R", "G"])
    with pytest.raises(BandNotFoundError, match=r"\['NIR'\].*it has B02, B03, B04"):
        RasterSource(tmp_path).read(WORLD.subgrid(0, 0, 4, 4), bands=["NIR"])


def test_files_with_different_bands(tmp_path: Path) -> None:
    write(tmp_path / "a.tif", np.ones((3, 4, 4), np.uint8), WORLD.subgrid(0, 0, 4, 4))
    write(tmp_path / "b.tif", np.ones((4, 4, 4), np.uint8), WORLD.subgrid(0, 4, 4, 4))
    with pytest.raises(BandNotFoundError, match=r"b\.tif has bands .* but .*a\.tif"):
        RasterSource(tmp_path)


# ---------------------------------------------------------------------------- per-band files
S2_PATTERN = r"_(?P<band>B\d[\dA])\.tif$"
BANDS_RES = {"B01": 60, "B02": 10, "B05": 20, "B8A": 20}


@pytest.fixture
def s2_scenes(tmp_path: Path) -> Path:
    """Two BigEarthNet-like scenes: one file per band at 10/20/60 m, dates in the names."""
    rng = np.random.default_rng(3)
    for scene, (x0, date) in {
        "tileA": (600000, "20200105T101010"),
        "tileB": (601200, "20200707T101010"),
    }.items():
        folder = tmp_path / f"S2A_{date}_{scene}"
        folder.mkdir()
        for band, res in BANDS_RES.items():
            grid = GridSpec.from_bounds(BBox(x0, 5100000, x0 + 1200, 5101200, CRS), res)
            data = rng.integers(100, 4000, (1, *grid.shape), dtype=np.uint16)
            write(folder / f"S2A_{date}_{scene}_{band}.tif", data, grid)
    return tmp_path


def test_band_pattern_groups_files(s2_scenes: Path) -> None:
    src = RasterSource(s2_scenes, band_pattern=S2_PATTERN, date_pattern=r"_(?P<date>\d{8}T\d{6})_")
    assert len(src) == 2
    assert src.bands == ["B01", "B02", "B05", "B8A"]  # Sentinel-2 order, B8A after B08
    assert src.res == (10.0, 10.0)
    first = src.items[0]
    assert first.id == "S2A_20200105T101010_tileA"
    assert {Path(r.path).name for r in first.refs} == {f"{first.id}_{b}.tif" for b in BANDS_RES}
    assert first.time is not None and first.time.start == datetime(2020, 1, 5, 10, 10, 10)
    grid = first.band("B02").grid
    image, valid = src.read(grid)
    assert valid.all() and image.shape == (4, 120, 120)
    for k, band in enumerate(src.bands):
        path = Path(first.band(band).path)
        if band == "B02":  # the 10 m band is the file, bit for bit
            np.testing.assert_array_equal(image[k], rasterio.open(path).read(1))
        else:  # coarser bands: GDAL's bilinear resampling onto the 10 m grid
            np.testing.assert_array_equal(image[k], reference_reproject(path, 1, grid, "bilinear"))


def test_band_pattern_selection_and_time(s2_scenes: Path) -> None:
    src = RasterSource(s2_scenes, band_pattern=S2_PATTERN, bands=["B8A", "B02"],
                       date_pattern=r"_(?P<year>\d{4})(?P<month>\d\d)(?P<day>\d\d)T")  # fmt: skip
    assert src.bands == ["B8A", "B02"]
    january = TimeRange("2020-01-01", "2020-01-31")
    assert [i.id for i in src.query(src.bounds, time=january)] == ["S2A_20200105T101010_tileA"]
    assert src.items[1].time == TimeRange("2020-07-07", "2020-07-07")
    second_grid = src.items[1].band("B02").grid
    with pytest.raises(QueryOutsideError, match="2020-01-01"):
        src.read(second_grid, time=january)
    with pytest.raises(BandNotFoundError, match=r"\['B03'\] are not among .*B01, B02, B05, B8A"):
        RasterSource(s2_scenes, band_pattern=S2_PATTERN, bands=["B03", "B02"])


def test_incomplete_scene(s2_scenes: Path) -> None:
    next(s2_scenes.glob("*tileB/*_B05.tif")).unlink()
    with pytest.raises(BandNotFoundError, match=r"tileB .* no file for band\(s\) \['B05'\]"):
        RasterSource(s2_scenes, band_pattern=S2_PATTERN)
    with pytest.warns(UserWarning, match="skipping 1 incomplete scene"):
        src = RasterSource(s2_scenes, band_pattern=S2_PATTERN, skip_invalid=True)
    assert len(src) == 1
    assert len(RasterSource(s2_scenes, band_pattern=S2_PATTERN, bands=["B02", "B8A"])) == 2


def test_band_pattern_needs_band_group(s2_scenes: Path) -> None:
    with pytest.raises(BandNotFoundError, match="no group named 'band'"):
        RasterSource(s2_scenes, band_pattern=r"_B\d[\dA]\.tif$")
    with pytest.raises(NoFilesError, match=r"band_pattern '_\(\?P<band>X\\d\)'"):
        RasterSource(s2_scenes, band_pattern=r"_(?P<band>X\d)")


def test_band_files_in_different_crs(s2_scenes: Path) -> None:
    path = next(s2_scenes.glob("*tileA/*_B05.tif"))
    with rasterio.open(path) as ds:
        data = ds.read()
    other = GridSpec.from_bounds(BBox(300000, 5100000, 301200, 5101200, "EPSG:32634"), 20)
    write(path, data, other)
    with pytest.raises(CRSMismatchError, match=r"tileA are in different CRSs"):
        RasterSource(s2_scenes, band_pattern=S2_PATTERN)


# ---------------------------------------------------------------------------- time
def test_time_from_tag_and_time_filtered_read(tmp_path: Path) -> None:
    grid = WORLD.subgrid(0, 0, 4, 4)
    write(
        tmp_path / "a.tif",
        np.full((1, 4, 4), 1, np.uint8),
        grid,
        tags={"TIFFTAG_DATETIME": "2019:07:01 12:00:00"},
    )
    write(
        tmp_path / "b.tif",
        np.full((1, 4, 4), 2, np.uint8),
        grid,
        tags={"TIFFTAG_DATETIME": "2021:03:01 08:30:00"},
    )
    src = RasterSource(tmp_path)
    assert [i.time.start for i in src.items if i.time] == [
        datetime(2019, 7, 1, 12),
        datetime(2021, 3, 1, 8, 30),
    ]
    assert src.read(grid)[0][0, 0, 0] == 1  # first wins
    assert src.read(grid, time=TimeRange("2021-01-01", "2021-12-31"))[0][0, 0, 0] == 2


def test_items_without_time_match_every_time(tmp_path: Path) -> None:
    write(tmp_path / "a.tif", np.ones((1, 4, 4), np.uint8), WORLD.subgrid(0, 0, 4, 4))
    src = RasterSource(tmp_path, date_pattern=r"_(?P<date>\d{8})")
    assert src.items[0].time is None
    assert len(src.query(src.bounds, time=TimeRange("2000-01-01"))) == 1


# ---------------------------------------------------------------------------- valid fraction
def test_valid_fraction_from_footprints(quadrants: Path) -> None:
    src = RasterSource(quadrants)
    assert src.valid_fraction(WORLD) == 1.0
    assert src.valid_fraction(WORLD.subgrid(-10, 0, 20, 20)) == pytest.approx(0.5)
    assert src.valid_fraction(WORLD.subgrid(-100, 0, 20, 20)) == 0.0


def test_valid_fraction_with_nodata(tmp_path: Path) -> None:
    data = np.full((1, 200, 200), 7, np.uint8)
    data[0, :, :80] = 0
    grid = GridSpec.from_bounds(BBox(500000, 4998000, 502000, 5000000, CRS), 10)
    write(tmp_path / "a.tif", data, grid, nodata=0)
    src = RasterSource(tmp_path)
    assert src.valid_fraction(grid) == pytest.approx(0.6, abs=0.04)
    assert src.valid_fraction(grid.subgrid(0, 100, 64, 64)) == 1.0
    assert src.valid_fraction(grid.subgrid(0, 0, 64, 64)) == 0.0
    for r, c in [(10, 50), (100, 40), (-30, 60)]:  # agrees with a full read
        query = grid.subgrid(r, c, 64, 64)
        exact = src.read(query)[1].mean()
        assert src.valid_fraction(query) == pytest.approx(exact, abs=0.05)


# ---------------------------------------------------------------------------- errors
def test_no_files_message(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=rf"'\*\.tif' in {tmp_path}"):
        RasterSource(str(tmp_path / "*.tif"))
    with pytest.raises(NoFilesError, match=rf"'\*' in {tmp_path}"):
        RasterSource(tmp_path)


def test_corrupt_file(quadrants: Path) -> None:
    (quadrants / "q05.tif").write_bytes(b"II*\x00 truncated")
    with pytest.raises(RasterReadError, match=r"q05\.tif"):
        RasterSource(quadrants)
    with pytest.warns(UserWarning, match=r"skipping 1 unreadable file.*q05\.tif"):
        src = RasterSource(quadrants, skip_invalid=True)
    assert len(src) == 4


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_missing_crs(tmp_path: Path) -> None:
    write(tmp_path / "nocrs.tif", np.ones((1, 4, 4), np.uint8), None)
    with pytest.raises(MissingCRSError, match=r"nocrs\.tif"):
        RasterSource(tmp_path)


def test_query_outside(quadrants: Path) -> None:
    src = RasterSource(quadrants)
    with pytest.raises(QueryOutsideError, match="touches none of the 4 items"):
        src.read(WORLD.subgrid(100, 100, 8, 8))


# ---------------------------------------------------------------------------- real files
def test_bigearthnet_band_files(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "bigearthnet_example" / "BigEarthNet-S2-Example"
    src = RasterSource(
        folder, band_pattern=S2_PATTERN, date_pattern=r"_(?P<date>\d{8})T", cache_dir=tmp_path
    )
    assert len(src) == 6
    assert src.bands == [
        "B01",
        "B02",
        "B03",
        "B04",
        "B05",
        "B06",
        "B07",
        "B08",
        "B8A",
        "B09",
        "B11",
        "B12",
    ]
    assert src.res == (10.0, 10.0)
    assert not list(folder.glob(".eoforge-index*"))  # read-only data: index in cache_dir
    assert src.index_path is not None and src.index_path.parent == tmp_path
    item = next(i for i in src.items if i.id == "S2A_MSIL2A_20170613T101031_87_48")
    assert item.time == TimeRange("2017-06-13", "2017-06-13")
    grid = item.band("B02").grid
    assert grid.shape == (120, 120)
    image, valid = src.read(grid, bands=["B02", "B05", "B01"])
    assert valid.all() and image.dtype == np.uint16
    with rasterio.open(item.band("B02").path) as ds:
        np.testing.assert_array_equal(image[0], ds.read(1))
    for k, band in ((1, "B05"), (2, "B01")):
        expected = reference_reproject(Path(item.band(band).path), 1, grid, "bilinear")
        np.testing.assert_array_equal(image[k], expected)


def test_rgb_byte_with_nodata(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "rasterio_testdata" / "RGB.byte.tif"
    src = RasterSource(path, cache_dir=tmp_path)
    assert src.bands == ["B1", "B2", "B3"] and src.nodata == 0 and src.crs == "EPSG:32618"
    with rasterio.open(path) as ds:
        data, mask = ds.read(), ds.dataset_mask() > 0
    grid = src.items[0].refs[0].grid
    image, valid = src.read(grid)
    np.testing.assert_array_equal(image, data)
    np.testing.assert_array_equal(valid, mask)
    assert src.valid_fraction(grid) == pytest.approx(mask.mean(), abs=0.05)
    patch = grid.subgrid(300, 300, 256, 256)
    assert src.valid_fraction(patch) == pytest.approx(src.read(patch)[1].mean(), abs=0.05)


def test_default_band_names_select_bands(tmp_path: Path) -> None:
    from affine import Affine

    path = tmp_path / "three.tif"
    data = np.arange(3 * 4 * 4, dtype="uint8").reshape(3, 4, 4)
    profile = dict(driver="GTiff", width=4, height=4, count=3, dtype="uint8", crs="EPSG:32633",
                   transform=Affine(10, 0, 0, 0, -10, 40))  # fmt: skip
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)
    src = RasterSource(path, bands=["B3", "B1"], cache_dir=tmp_path / "cache")
    assert src.bands == ["B3", "B1"]
    image, _ = src.read(GridSpec.from_bounds(src.bounds, 10))
    np.testing.assert_array_equal(image, data[[2, 0]])
