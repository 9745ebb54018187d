from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from eoforge.cli.demo import run_demo
from eoforge.cli.main import main
from eoforge.errors import OutputExistsError


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    run_demo(out, size=256, workers=0, console=Console(quiet=True))
    return out


def test_demo_writes_its_summary_and_figure(demo_out: Path) -> None:
    summary = json.loads((demo_out / "summary.json").read_text())
    assert summary["crs_of_tiles"] == ["EPSG:32633", "EPSG:32634"]
    assert summary["dataset_crs"] == "EPSG:32633"
    assert summary["random_patches"] == 64
    assert summary["grid_patches_256"] >= 4  # four 256² tiles, one of them reprojected
    assert summary["polygon_vs_raster_label_agreement"] == pytest.approx(1.0, abs=0.02)
    assert len(summary["class_pixels"]) >= 4
    assert (demo_out / "patches.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_refuses_to_overwrite(demo_out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run_demo(demo_out, size=256, workers=0, console=Console(quiet=True))
    assert main(["demo", "--out", str(demo_out), "--size", "256"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
