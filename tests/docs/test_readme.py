"""The README's tour runs as written (in a temporary folder)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "readme"}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "classes.tif").exists()
    assert (tmp_path / "scenes" / "images").is_dir()
    batch = namespace["batch"]
    assert tuple(batch["image"].shape) == (16, 10, 256, 256)  # as the README's comments say
    assert tuple(batch["mask"].shape) == (16, 256, 256)
    assert (
        str(batch["image"].dtype) == "torch.float32" and str(batch["mask"].dtype) == "torch.int64"
    )
    assert namespace["covered"] >= 4 * 1024 * 1024 * 0.9  # four 1024² tiles, touching, owned once
    assert (tmp_path / "landcover.ckpt").is_file()
    import rasterio

    with (
        rasterio.open(tmp_path / "landcover_map.tif") as m,
        rasterio.open(tmp_path / "scenes" / "images" / "tile_0.tif") as scene,
    ):
        assert m.transform == scene.transform and m.crs == scene.crs and m.colormap(1)
    assert namespace["model"].data_info.classes[:2] == ("water", "tree cover")
