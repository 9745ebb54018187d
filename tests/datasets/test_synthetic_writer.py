"""write_synthetic_scenes: georeferenced COG tiles, label polygons, zones, overwrite policy."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.warp import transform as transform_points

from eoforge.datasets.synthetic import (
    CLASSES,
    SyntheticCollection,
    generate_scene,
    tile_seed,
    write_synthetic_scenes,
)
from eoforge.datasets.synthetic.tile_layout import tile_grids
from eoforge.errors import EoforgeError, OutputExistsError
from eoforge.io import read_class_names

SIZE = 64


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCollection:
    out = tmp_path_factory.mktemp("synthetic")
    return write_synthetic_scenes(out, n_tiles=3, size=SIZE, seed=7, progress=False)


def test_layout_of_the_folder(collection: SyntheticCollection) -> None:
    root = collection.root
    assert [p.relative_to(root).as_posix() for p in collection.images] == [
        f"images/tile_{i}.tif" for i in range(3)
    ]
    assert [p.relative_to(root).as_posix() for p in collection.labels] == [
        f"labels/tile_{i}.tif" for i in range(3)
    ]
    assert collection.polygons == root / "labels.gpkg"
    assert all(p.is_file() for p in (*collection.images, *collection.labels, root / "labels.gpkg"))
    assert collection.classes == CLASSES
    assert collection.class_names[4] == "built-up"


def test_image_tiles(collection: SyntheticCollection) -> None:
    for tile in collection.tiles:
        with rasterio.open(tile.image) as ds:
            assert ds.crs.to_epsg() == 32633
            assert ds.res == (10.0, 10.0)
            assert (ds.width, ds.height, ds.count) == (SIZE, SIZE, 10)
            assert ds.dtypes == ("uint16",) * 10
            assert ds.nodata == 0
            assert ds.descriptions == collection.bands
            assert ds.transform == tile.grid.transform
            assert ds.transform.c % 10 == 0 and ds.transform.f % 10 == 0
            pixels = ds.read()
        np.testing.assert_array_equal(pixels, generate_scene(SIZE, seed=tile.seed).image)


def test_label_tiles(collection: SyntheticCollection) -> None:
    for tile in collection.tiles:
        with rasterio.open(tile.labels) as ds:
            assert ds.count == 1
            assert ds.dtypes == ("uint8",)
            assert ds.nodata == 255
            assert ds.transform == tile.grid.transform
            assert ds.crs.to_epsg() == 32633
            cmap = ds.colormap(1)
            labels = ds.read(1)
        assert cmap[1] == (0, 100, 0, 255)
        assert cmap[3] == (0xF0, 0x96, 0xFF, 255)
        assert read_class_names(tile.labels) == {c.id: c.name for c in CLASSES}
        np.testing.assert_array_equal(labels, generate_scene(SIZE, seed=tile.seed).labels)


def test_tiles_are_adjacent_and_west_of_18e(collection: SyntheticCollection) -> None:
    b = [t.grid.bounds for t in collection.tiles]
    # 3 tiles: 2 columns, 2 rows (row by row)
    assert b[0].maxx == b[1].minx and b[0].maxy == b[1].maxy
    assert b[2].maxy == b[0].miny and b[2].minx == b[0].minx
    lon, lat = transform_points("EPSG:32633", "EPSG:4326", [b[1].maxx], [b[1].maxy])
    assert 17.99 < lon[0] <= 18.0
    assert 48 < lat[0] < 49.5


def test_tile_seeds(collection: SyntheticCollection) -> None:
    assert [t.seed for t in collection.tiles] == [tile_seed(7, i) for i in range(3)]
    assert len({t.seed for t in collection.tiles}) == 3


def test_label_polygons_match_the_label_rasters(collection: SyntheticCollection) -> None:
    frame = gpd.read_file(collection.polygons, layer="labels")
    assert {"tile", "class_id", "class_name", "geometry"} <= set(frame.columns)
    assert frame.crs.to_epsg() == 32633
    assert set(frame["class_name"]) <= {c.name for c in CLASSES}
    for tile in collection.tiles:
        with rasterio.open(tile.labels) as ds:
            counts = np.bincount(ds.read(1).ravel(), minlength=6)
        part = frame[frame["tile"] == tile.index]
        areas = part.geometry.area.groupby(part["class_id"]).sum()
        for class_id, count in enumerate(counts):
            assert math.isclose(areas.get(class_id, 0.0), count * 100.0, abs_tol=1e-3)
        assert part.geometry.is_valid.all()


def test_two_zones(tmp_path: Path) -> None:
    c = write_synthetic_scenes(
        tmp_path, n_tiles=4, size=SIZE, two_zones=True, progress=False, polygons=True
    )
    assert [t.grid.crs for t in c.tiles] == ["EPSG:32633"] * 2 + ["EPSG:32634"] * 2
    assert c.crss == ("EPSG:32633", "EPSG:32634")
    for tile in c.tiles:
        with rasterio.open(tile.image) as ds:
            assert f"EPSG:{ds.crs.to_epsg()}" == tile.grid.crs
            b = ds.bounds
            lons, _ = transform_points(
                ds.crs, "EPSG:4326", [b.left, b.right] * 2, [b.top] * 2 + [b.bottom] * 2
            )
        if tile.grid.crs == "EPSG:32633":
            assert max(lons) <= 18.0
        else:
            assert min(lons) >= 18.0
    # the two groups face each other across the zone boundary
    east_of_west = max(
        transform_points(
            "EPSG:32633", "EPSG:4326", [c.tiles[1].grid.bounds.maxx], [c.tiles[1].grid.bounds.maxy]
        )[0]
    )
    west_of_east = min(
        transform_points(
            "EPSG:32634", "EPSG:4326", [c.tiles[2].grid.bounds.minx], [c.tiles[2].grid.bounds.maxy]
        )[0]
    )
    assert west_of_east - east_of_west < 0.001  # degrees: about 70 m
    frame = gpd.read_file(c.polygons, layer="labels")
    assert frame.crs.to_epsg() == 32633
    assert sorted(set(frame["tile"])) == [0, 1, 2, 3]


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    c = write_synthetic_scenes(tmp_path, n_tiles=2, size=SIZE, progress=False, polygons=False)
    before = {p: p.stat().st_mtime_ns for p in (*c.images, *c.labels)}
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        write_synthetic_scenes(tmp_path, n_tiles=2, size=SIZE, seed=1, progress=False)
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert not (tmp_path / "labels.gpkg").exists()  # nothing written at all


def test_overwrite_replaces_and_removes_stale_tiles(tmp_path: Path) -> None:
    write_synthetic_scenes(tmp_path, n_tiles=3, size=SIZE, progress=False)
    c = write_synthetic_scenes(
        tmp_path, n_tiles=2, size=SIZE, seed=1, progress=False, polygons=False, overwrite=True
    )
    assert sorted(p.name for p in (tmp_path / "images").iterdir()) == ["tile_0.tif", "tile_1.tif"]
    assert sorted(p.name for p in (tmp_path / "labels").iterdir()) == ["tile_0.tif", "tile_1.tif"]
    assert not (tmp_path / "labels.gpkg").exists()
    with rasterio.open(c.labels[0]) as ds:
        np.testing.assert_array_equal(ds.read(1), generate_scene(SIZE, seed=tile_seed(1, 0)).labels)


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    write_synthetic_scenes(tmp_path, n_tiles=1, size=SIZE, progress=False)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_progress_bar_runs(tmp_path: Path) -> None:
    c = write_synthetic_scenes(tmp_path, n_tiles=1, size=SIZE, progress=True, polygons=False)
    assert c.images[0].is_file()


def test_custom_bands_and_resolution(tmp_path: Path) -> None:
    c = write_synthetic_scenes(
        tmp_path, n_tiles=1, size=(40, 72), bands=["B08", "B04"], res=20.0, progress=False
    )
    with rasterio.open(c.images[0]) as ds:
        assert ds.descriptions == ("B08", "B04")
        assert ds.res == (20.0, 20.0)
        assert (ds.height, ds.width) == (40, 72)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_tiles": 0}, "n_tiles"),
        ({"n_tiles": 1, "two_zones": True}, "at least 2"),
        ({"seed": -3}, "seed"),
        ({"size": 8}, "too small"),
        ({"bands": ["B10"]}, "B10"),
    ],
)
def test_bad_arguments_write_nothing(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(EoforgeError, match=match):
        write_synthetic_scenes(tmp_path / "out", progress=False, **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("n_tiles", [1, 2, 5, 9])
def test_tile_grids_do_not_overlap(n_tiles: int) -> None:
    grids = tile_grids(n_tiles, (100, 150), 10.0)
    boxes = [g.bounds for g in grids]
    for i, a in enumerate(boxes):
        assert a.width == 1500 and a.height == 1000
        for other in boxes[i + 1 :]:
            assert not a.intersects(other)
    union = boxes[0]
    for box in boxes[1:]:
        union = union.union(box)
    cols = math.ceil(math.sqrt(n_tiles))
    assert union.width == 1500 * min(cols, n_tiles)
