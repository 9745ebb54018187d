"""SpatialSplit itself: validation, centroid assignment, reports, files for GIS tools, plots."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer
from rich.console import Console

from eoforge.data import GeoDataset, RasterSource
from eoforge.data.splits import SpatialSplit, block_split
from eoforge.errors import CRSMismatchError, EoforgeError, InvalidGridError, OutputExistsError
from eoforge.geo import BBox, GridSpec

CRS = "EPSG:32633"
X0, Y0, RES = 500_000.0, 4_000_000.0, 10.0
W, H = 40, 30  # pixels of the one tile


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> GeoDataset:
    path = tmp_path_factory.mktemp("report_tile") / "tile.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=W, height=H, count=1, dtype="uint8", crs=CRS,
        transform=Affine(RES, 0, X0, 0, -RES, Y0),
    ) as dst:  # fmt: skip
        dst.write(np.ones((1, H, W), "uint8"))
    return GeoDataset(RasterSource(path))


def box(x0: float, y0: float, x1: float, y1: float) -> BBox:
    """A box in metres from the tile's lower-left corner."""
    ymin = Y0 - H * RES
    return BBox(X0 + x0, ymin + y0, X0 + x1, ymin + y1, CRS)


@pytest.fixture
def split() -> SpatialSplit:
    # train: the west 123 m; val: 123..250 m minus a 20 m gap; test: the rest
    return SpatialSplit(
        {
            "train": [box(0, 0, 123, 300)],
            "val": [box(143, 0, 250, 150), box(143, 150, 250, 300)],
            "test": [box(250, 0, 400, 300)],
        },
        description="hand-made",
    )


def test_report_areas_pixels_and_counts_match_a_hand_count(
    ds: GeoDataset, split: SpatialSplit
) -> None:
    patches: list[GridSpec | BBox] = [
        ds.grid.subgrid(0, 0, 4, 4),  # centre x = 20 m: train
        ds.grid.subgrid(10, 10, 4, 4),  # centre x = 120 m: train
        ds.grid.subgrid(10, 11, 4, 4),  # centre x = 130 m: in the gap
        ds.grid.subgrid(0, 14, 6, 6),  # centre x = 170 m: val
        ds.grid.subgrid(20, 30, 4, 4),  # centre x = 320 m: test
        box(240, 10, 262, 30),  # centre x = 251 m: test
        box(500, 10, 520, 30),  # outside every region
    ]
    report = split.report(ds, patches)
    assert report["crs"] == CRS and report["description"] == "hand-made"
    entries = report["splits"]
    # by hand: train has 12 columns of pixel centres (5 … 115 m) of 30 rows; val 143 … 250 m
    # holds the centres 145 … 245 m (11 columns); test 255 … 395 m (15 columns)
    assert [entries[n]["pixels"] for n in ("train", "val", "test")] == [12 * H, 11 * H, 15 * H]
    assert [entries[n]["area"] for n in ("train", "val", "test")] == pytest.approx(
        [123 * 300, 107 * 300, 150 * 300]
    )
    total = (123 + 107 + 150) * 300
    assert report["total_area"] == pytest.approx(total)
    assert entries["val"]["fraction"] == pytest.approx(107 * 300 / total)
    assert [entries[n]["regions"] for n in ("train", "val", "test")] == [1, 2, 1]
    assert [entries[n]["patches"] for n in ("train", "val", "test")] == [2, 1, 2]
    assert report["unassigned_patches"] == 2
    # the pixel rule is assign's rule: count every pixel centre through assign_points
    centres = ds.grid.xy_arrays(*np.indices(ds.grid.shape))
    found = split.assign_points(*centres)
    assert [int((found == k).sum()) for k in range(3)] == [12 * H, 11 * H, 15 * H]


def test_report_without_a_dataset_counts_whole_regions(split: SpatialSplit) -> None:
    report = split.report()
    assert "pixels" not in report["splits"]["train"]
    assert "unassigned_patches" not in report
    assert report["splits"]["test"]["area"] == pytest.approx(150 * 300)
    assert sum(e["fraction"] for e in report["splits"].values()) == pytest.approx(1.0)


def test_report_areas_count_only_the_data_of_the_dataset(ds: GeoDataset) -> None:
    wide = SpatialSplit({"a": [box(-1000, -1000, 200, 1300)], "b": [box(200, -1000, 9000, 1300)]})
    entries = wide.report(ds)["splits"]
    assert entries["a"]["area"] == pytest.approx(200 * 300)
    assert entries["b"]["area"] == pytest.approx(200 * 300)
    assert entries["a"]["pixels"] + entries["b"]["pixels"] == W * H


def test_table_lists_every_split(ds: GeoDataset, split: SpatialSplit) -> None:
    table = split.table(ds, [ds.grid.subgrid(0, 0, 2, 2)])
    assert table.row_count == 3
    assert [c.header for c in table.columns] == [
        "split", "regions", "area", "share", "pixels", "patches",
    ]  # fmt: skip
    console = Console(record=True, width=120)
    console.print(split)
    text = console.export_text()
    assert all(name in text for name in ("train", "val", "test"))


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_to_file_round_trips_through_geopandas(
    tmp_path: Path, split: SpatialSplit, suffix: str
) -> None:
    path = split.to_file(tmp_path / f"split{suffix}")
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 32633
    assert frame["split"].tolist() == ["train", "val", "val", "test"]
    assert frame["region"].tolist() == [0, 0, 1, 0]
    expected = [b for group in split.boxes for b in group]
    for geometry, want in zip(frame.geometry, expected, strict=True):
        assert geometry.equals(want.to_polygon())
    assert frame["area"].tolist() == pytest.approx([b.area for b in expected])
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        split.to_file(path)
    other = SpatialSplit({"only": [box(0, 0, 10, 10)]})
    other.to_file(path, overwrite=True)
    assert gpd.read_file(path)["split"].tolist() == ["only"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left


def test_to_file_refuses_unknown_formats(tmp_path: Path, split: SpatialSplit) -> None:
    with pytest.raises(EoforgeError, match=r"'\.shp'.*\.gpkg"):
        split.to_file(tmp_path / "split.shp")


def test_geojson_is_wgs84_by_default(split: SpatialSplit) -> None:
    data = json.loads(split.to_geojson())
    first = data["features"][0]
    assert first["properties"]["split"] == "train"
    lon, lat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(X0, Y0 - H * RES)
    ring = np.array(first["geometry"]["coordinates"][0])
    assert np.abs(ring - [lon, lat]).min(axis=0).max() < 1e-9  # the corner is a vertex
    native = json.loads(split.to_geojson(wgs84=False))
    assert shapely.geometry.shape(native["features"][3]["geometry"]).equals(
        split.regions["test"][0].to_polygon()
    )


def test_plot_draws_every_region_coloured_by_split(ds: GeoDataset, split: SpatialSplit) -> None:
    fig = split.plot(ds)
    ax = fig.axes[0]
    *regions, outlines = ax.collections
    assert [len(c.get_paths()) for c in regions] == [1, 2, 1]
    assert len(outlines.get_paths()) == len(ds.footprints)
    colours = {tuple(c.get_facecolor()[0]) for c in regions}
    assert len(colours) == 3
    # the drawn rectangles are the regions
    val = sorted(tuple(p.get_extents().bounds) for p in regions[1].get_paths())
    want = sorted((b.minx, b.miny, b.width, b.height) for b in split.regions["val"])
    assert np.allclose(val, want)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val", "test"]
    assert ax.get_title() == "hand-made"


def test_assign_uses_the_centroid_and_reprojects_it(split: SpatialSplit) -> None:
    # a patch mostly in train, but with its centroid in val
    assert split.assign(box(100, 0, 250, 20)) == "val"
    lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    lon, lat = lonlat.transform(X0 + 300, Y0 - 100)
    assert split.assign(BBox(lon, lat, lon, lat, 4326)) == "test"
    grid = GridSpec.from_bounds(BBox(lon - 1e-5, lat - 1e-5, lon + 1e-5, lat + 1e-5, 4326), 1e-5)
    assert split.assign(grid) == "test"
    assert split.assign_all([]) == []
    with pytest.raises(EoforgeError, match="GridSpec or BBox"):
        split.assign((0, 0, 1, 1))  # type: ignore[arg-type]


def test_invalid_regions_are_refused() -> None:
    with pytest.raises(InvalidGridError, match="overlaps region"):
        SpatialSplit({"a": [box(0, 0, 10, 10)], "b": [box(5, 5, 15, 15)]})
    with pytest.raises(CRSMismatchError, match="reproject"):
        SpatialSplit({"a": [box(0, 0, 10, 10)], "b": [BBox(0, 0, 1, 1, 4326)]})
    with pytest.raises(InvalidGridError, match="no area"):
        SpatialSplit({"a": [box(0, 0, 0, 10)]})
    with pytest.raises(InvalidGridError, match="no region at all"):
        SpatialSplit({"a": [], "b": []})
    with pytest.raises(InvalidGridError, match="not a BBox"):
        SpatialSplit({"a": box(0, 0, 1, 1)})  # type: ignore[dict-item]
    with pytest.raises(InvalidGridError, match="non-empty string"):
        SpatialSplit({"": [box(0, 0, 1, 1)]})
    # touching is fine, and so is overlap within one split
    touching = SpatialSplit(
        {"a": [box(0, 0, 10, 10), box(5, 0, 12, 10)], "b": [box(12, 0, 20, 10)]}
    )
    assert touching.area("a") == pytest.approx(120)


def test_splits_are_immutable_values(ds: GeoDataset) -> None:
    split = block_split(ds, 100.0, seed=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.crs = "EPSG:4326"  # type: ignore[misc]
    with pytest.raises(TypeError):
        split.regions["train"] = ()  # type: ignore[index]
    assert {split: 1}[block_split(ds, 100.0, seed=3)] == 1
    with pytest.raises(InvalidGridError, match="no split named 'x'"):
        split.area("x")
