from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from eoforge.cli.main import main
from eoforge.data import BandStats, GeoDataset, GridPatchSampler, RasterSource, compute_band_stats


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenes")
    rng = np.random.default_rng(4)
    for i in range(2):
        pixels = rng.integers(0, 5000, size=(3, 40, 36)).astype(np.uint16)
        with rasterio.open(
            folder / f"tile_{i}.tif",
            "w",
            driver="GTiff",
            width=36,
            height=40,
            count=3,
            dtype="uint16",
            crs="EPSG:32633",
            transform=Affine(10, 0, 500_000 + 360 * i, 0, -10, 4_000_000),
        ) as dst:
            dst.write(pixels)
            dst.descriptions = ("B02", "B03", "B04")
    return folder


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    return err


def test_stats_json_equals_the_api_result(
    scenes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "stats.json"
    argv = ["data", "stats", str(scenes / "*.tif"), "--bands", "B04", "B02", "--patch", "24"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "B04" in printed and "B02" in printed and "B03" not in printed
    ds = GeoDataset(RasterSource(scenes / "*.tif", bands=["B04", "B02"]))
    expected = compute_band_stats(ds, GridPatchSampler(ds, 24), progress=False)
    saved = BandStats.load(out)
    assert saved == expected
    assert f"{expected.mean[0]:.6g}" in printed
    pixels = []
    for path in sorted(scenes.glob("*.tif")):
        with rasterio.open(path) as src:
            pixels.append(src.read([3, 1]).reshape(2, -1))
    assert saved.mean == pytest.approx(np.concatenate(pixels, axis=1).mean(axis=1), rel=1e-12)

    assert main([*argv, "--out", str(out)]) == 1  # refuses to overwrite
    assert "--overwrite" in _one_line_error(capsys)
    assert main([*argv, "--out", str(out), "--overwrite", "--crs", "EPSG:32633"]) == 0
    assert BandStats.load(out) == expected


def test_errors_print_one_line_and_exit_1(
    scenes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "stats", str(tmp_path / "nothing" / "*.tif")]) == 1
    assert "no raster files match" in _one_line_error(capsys)
    assert main(["data", "stats", str(scenes), "--bands", "B09"]) == 1
    assert "B09" in _one_line_error(capsys)
    assert main(["data", "stats", str(scenes), "--patch", "0"]) == 1
    _one_line_error(capsys)


def test_data_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data"]) == 2
    assert "stats" in capsys.readouterr().out
