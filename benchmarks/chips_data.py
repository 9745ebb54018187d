"""The chip-store benchmark's data: a BigEarthNet-v2-like folder of patches, and its loader.

``ensure_patches(folder, n)`` writes (once) ``n`` patches in the reBEN layout: one folder per
patch, ``<patch>/<patch>_<band>.tif``, twelve single-band uint16 GeoTIFFs like the real ones
(uncompressed, striped, EPSG:32633, no nodata): B02/B03/B04/B08 120x120 at 10 m, B05/B06/B07/B8A/
B11/B12 60x60 at 20 m, B01/B09 20x20 at 60 m, all covering the same 1200 m square. Pixel values are
a smooth multi-scale field (shared by the bands, with per-band gain and offset) plus sensor noise,
block-averaged for the coarser bands.

``BenLike(folder)`` is the small dataset a loader of that layout would be: sample ``i`` opens the
twelve files, reads each at 120x120 with bilinear resampling (rasterio ``out_shape``), and returns
``{"image": float32 (12, 120, 120), "label": int64 multi-hot (19,), "grid", "bands", "patch"}``.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling

BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12")
RES = {"B01": 60, "B09": 60, "B05": 20, "B06": 20, "B07": 20, "B8A": 20, "B11": 20, "B12": 20}
SIDE_M = 1200
SIZE = 120
CRS = "EPSG:32633"
CLASSES = 19
MARKER = "complete.json"


def band_res(band: str) -> int:
    return RES.get(band, 10)


def patch_name(index: int) -> str:
    row, col = divmod(index, 90)  # 90 x 90 patches of 1.2 km fill a 108 km Sentinel-2 tile
    return f"S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_{row}_{col}"


def _field(rng: np.random.Generator) -> np.ndarray:
    """A smooth 120x120 field in [0, 1]: a few low-frequency waves plus finer texture."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    out = np.zeros((SIZE, SIZE))
    for scale in (1, 2, 5, 11):
        fx, fy = rng.uniform(0.3, 1.0, 2) * scale
        phase = rng.uniform(0, 2 * np.pi)
        out += np.sin(2 * np.pi * (fx * xx + fy * yy) + phase) / scale
    out -= out.min()
    return out / max(out.max(), 1e-9)


def _write_patch(folder: Path, index: int) -> None:
    name = patch_name(index)
    rng = np.random.default_rng(index)
    row, col = divmod(index, 90)
    x0, y0 = 300_000 + col * SIDE_M, 5_800_000 - row * SIDE_M
    field = _field(rng)
    (folder / name).mkdir(parents=True, exist_ok=True)
    for b, band in enumerate(BANDS):
        res = band_res(band)
        factor = res // 10
        side = SIZE // factor
        gain, offset = 3000 + 300 * b, 200 + 40 * b
        values = field * gain + offset + rng.normal(0, 25, (SIZE, SIZE))
        values = values.reshape(side, factor, side, factor).mean(axis=(1, 3))
        pixels = np.clip(values, 0, 65535).astype(np.uint16)
        with rasterio.open(
            folder / name / f"{name}_{band}.tif", "w", driver="GTiff", width=side, height=side,
            count=1, dtype="uint16", crs=CRS, transform=Affine(res, 0, x0, 0, -res, y0),
        ) as dst:  # fmt: skip
            dst.write(pixels, 1)


def ensure_patches(folder: Path, n: int) -> Path:
    """``folder`` holding ``n`` patches (written on the first call; reused afterwards)."""
    marker = folder / MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("patches") == n:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        if not (folder / patch_name(i) / f"{patch_name(i)}_B12.tif").is_file():
            _write_patch(folder, i)
    marker.write_text(json.dumps({"patches": n}))
    return folder


class BenLike:
    """A map-style dataset of the patches in ``folder`` (sorted by name), read like a loader."""

    classes = tuple(f"class_{k}" for k in range(CLASSES))

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.patches = sorted(p.name for p in self.folder.iterdir() if p.is_dir())
        self.bands = list(BANDS)

    def __len__(self) -> int:
        return len(self.patches)

    def sample_id(self, index: int) -> str:
        return self.patches[index]

    def __getitem__(self, index: int) -> dict[str, Any]:
        import torch

        from eoforge.geo import GridSpec

        name = self.patches[index]
        image = np.empty((len(BANDS), SIZE, SIZE), dtype=np.float32)
        grid = None
        for b, band in enumerate(BANDS):
            with rasterio.open(self.folder / name / f"{name}_{band}.tif") as src:
                image[b] = src.read(1, out_shape=(SIZE, SIZE), resampling=Resampling.bilinear)
                if band == "B02":
                    grid = GridSpec(CRS, src.transform, SIZE, SIZE)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        label = (rng.random(CLASSES) < 0.15).astype(np.int64)
        return {
            "image": torch.from_numpy(image),
            "label": torch.from_numpy(label),
            "grid": grid,
            "bands": list(BANDS),
            "patch": name,
        }
