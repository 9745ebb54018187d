from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

import eoforge.data.index_location as index_location
import eoforge.data.raster_index as raster_index
from eoforge.data.raster_index import build_index, default_cache_dir
from eoforge.data.raster_source import RasterSource
from eoforge.errors import RasterReadError
from eoforge.geo import BBox

CRS = "EPSG:32633"


def write_tile(path: Path, col: int = 0, value: int = 1, size: int = 8) -> Path:
    transform = Affine(10, 0, 500000 + col * size * 10, 0, -10, 5000000)
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8",
        crs=CRS, transform=transform,
    ) as ds:  # fmt: skip
        ds.write(np.full((1, size, size), value, dtype="uint8"))
    return path


@pytest.fixture
def tiles(tmp_path: Path) -> list[str]:
    return [str(write_tile(tmp_path / f"t{i}.tif", col=i)) for i in range(3)]


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file whose header the index opens."""
    opened: list[str] = []
    real = raster_index.raster_info  # type: ignore[attr-defined]

    def counting(path: Any) -> Any:
        opened.append(str(path))
        return real(path)

    monkeypatch.setattr(raster_index, "raster_info", counting)
    return opened


PARAMS = {"paths": ["x"], "band_pattern": None}


def test_first_build_reads_every_file_and_saves_beside(
    tiles: list[str], counter: list[str]
) -> None:
    index = build_index(tiles, params=PARAMS)
    assert sorted(counter) == tiles
    assert index.reread == 3
    assert index.crs == CRS
    assert [r.path for r in index.records] == tiles
    assert index.records[1].footprint == (500080.0, 4999920.0, 500160.0, 5000000.0)
    assert index.location is not None
    assert index.location.parent == Path(tiles[0]).parent
    assert index.location.name.startswith(".eoforge-index-")
    assert index.location.suffix == ".json"
    leftovers = [p for p in os.listdir(index.location.parent) if p.endswith(".tmp")]
    assert leftovers == []


def test_second_build_opens_no_file(tiles: list[str], counter: list[str]) -> None:
    first = build_index(tiles, params=PARAMS)
    counter.clear()
    second = build_index(tiles, params=PARAMS)
    assert counter == []
    assert second.reread == 0
    assert second.records == first.records
    assert second.location == first.location


def test_changed_file_alone_is_reread(tiles: list[str], counter: list[str]) -> None:
    build_index(tiles, params=PARAMS)
    counter.clear()
    write_tile(Path(tiles[1]), col=7, value=9)  # new content, new grid
    st = os.stat(tiles[1])
    os.utime(tiles[1], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    index = build_index(tiles, params=PARAMS)
    assert counter == [tiles[1]]
    assert index.records[1].footprint is not None
    assert index.records[1].footprint[0] == 500000 + 7 * 80


def test_touch_alone_triggers_reread(tiles: list[str], counter: list[str]) -> None:
    build_index(tiles, params=PARAMS)
    counter.clear()
    st = os.stat(tiles[0])
    os.utime(tiles[0], ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    build_index(tiles, params=PARAMS)
    assert counter == [tiles[0]]


def test_added_and_removed_files(tiles: list[str], counter: list[str], tmp_path: Path) -> None:
    build_index(tiles, params=PARAMS)
    counter.clear()
    extra = str(write_tile(tmp_path / "t9.tif", col=9))
    files = [*tiles[1:], extra]
    index = build_index(files, params=PARAMS)
    assert counter == [extra]
    assert [r.path for r in index.records] == files
    counter.clear()
    assert build_index(files, params=PARAMS).reread == 0  # the updated index was saved


def test_parameters_change_the_index_file(tiles: list[str], counter: list[str]) -> None:
    a = build_index(tiles, params=PARAMS)
    b = build_index(tiles, params={**PARAMS, "band_pattern": "x"})
    assert a.location != b.location
    assert b.reread == 3


def test_index_crs_and_footprints(tiles: list[str]) -> None:
    index = build_index(tiles, params=PARAMS, crs="EPSG:4326")
    assert index.crs == "EPSG:4326"
    fp = index.records[0].footprint
    assert fp is not None
    expected = BBox(500000, 4999920, 500080, 5000000, CRS).to_crs("EPSG:4326")
    assert fp == pytest.approx(tuple(expected))


def test_read_only_folder_falls_back_to_cache_dir(
    tiles: list[str], tmp_path: Path, counter: list[str]
) -> None:
    data_dir = Path(tiles[0]).parent
    data_dir.chmod(0o555)  # read-only (even for root, whose writes the index refuses here)
    try:
        cache = tmp_path.parent / (tmp_path.name + "-cache")
        index = build_index(tiles, params=PARAMS, cache_dir=cache)
        assert index.location is not None and index.location.parent == cache
        assert not any(p.name.startswith(".eoforge-index") for p in data_dir.iterdir())
        counter.clear()
        again = build_index(tiles, params=PARAMS, cache_dir=cache)
        assert again.reread == 0 and counter == []
    finally:
        data_dir.chmod(0o755)


def test_nowhere_to_save_warns_but_works(
    tiles: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, text: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index_location, "write_atomic", refuse)
    with pytest.warns(UserWarning, match="could not save the raster index"):
        index = build_index(tiles, params=PARAMS, cache_dir=tmp_path / "c")
    assert index.location is None and len(index.records) == 3


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EOFORGE_CACHE_DIR", str(tmp_path / "eo"))
    assert default_cache_dir() == tmp_path / "eo"
    monkeypatch.delenv("EOFORGE_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "eoforge"


@pytest.mark.parametrize("damage", [lambda t: "{not json", lambda t: t.replace('"files"', '"x"')])
def test_damaged_index_is_rebuilt(
    tiles: list[str], counter: list[str], damage: Callable[[str], str]
) -> None:
    index = build_index(tiles, params=PARAMS)
    assert index.location is not None
    index.location.write_text(damage(index.location.read_text()))
    counter.clear()
    rebuilt = build_index(tiles, params=PARAMS)
    assert rebuilt.reread == 3
    assert json.loads(rebuilt.location.read_text())["version"] == raster_index.INDEX_VERSION  # type: ignore[union-attr]


def test_unreadable_file_is_remembered(tiles: list[str], counter: list[str]) -> None:
    bad = Path(tiles[0]).parent / "bad.tif"
    bad.write_bytes(b"this is not a tiff")
    files = sorted([*tiles, str(bad)])
    first = build_index(files, params=PARAMS)
    record = next(r for r in first.records if r.path == str(bad))
    assert record.error is not None and "bad.tif" in record.error
    counter.clear()
    second = build_index(files, params=PARAMS)
    assert counter == []  # not re-opened while unchanged
    record = next(r for r in second.records if r.path == str(bad))
    with pytest.raises(RasterReadError, match=r"bad\.tif"):
        record.raise_error()


def test_source_reuses_index(tiles: list[str], counter: list[str]) -> None:
    folder = Path(tiles[0]).parent
    first = RasterSource(folder)
    assert len(counter) == 3
    counter.clear()
    second = RasterSource(folder)
    assert counter == []
    assert second.items == first.items
    assert second.index_path == first.index_path


def test_source_sees_modified_file(tiles: list[str], counter: list[str]) -> None:
    folder = Path(tiles[0]).parent
    RasterSource(folder)
    write_tile(Path(tiles[2]), col=2, value=42, size=4)
    st = os.stat(tiles[2])
    os.utime(tiles[2], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    counter.clear()
    source = RasterSource(folder)
    assert counter == [tiles[2]]
    assert source.items[2].refs[0].grid.shape == (4, 4)


def test_scattered_files_index_in_cache(tiles: list[str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index = build_index([*tiles, "/etc/hostname"], params=PARAMS, cache_dir=cache)  # common: /
    assert index.location is not None and index.location.parent == cache
