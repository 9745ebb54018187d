"""Write the PairedFilesDataset fixtures beside this file (seeded; run it to regenerate them).

- ``images/tile_<i>.tif``: six georeferenced 3-band uint8 GeoTIFFs of 16 x 16 pixels (EPSG:32633,
  10 m, side by side);
- ``masks/tile_<i>_mask.png``: their RGB colour masks, in the colours of :data:`COLORS` plus a few
  pixels of the unknown colour :data:`UNKNOWN_COLOR`;
- ``codes/tile_<i>_label.tif``: the same labels as single-band codes (:data:`CODES`, unknown 99);
- ``pairs.csv``: ``image,mask,split`` rows (relative paths): tiles 0-3 train, 4 val, 5 test.

    .venv/bin/python tests/data/paired_files/make_data.py
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

HERE = Path(__file__).resolve().parent
CLASSES = ("background", "building", "tree")
COLORS = ((0, 0, 0), (255, 0, 0), (0, 160, 0))
CODES = (10, 20, 30)
UNKNOWN_COLOR = (255, 255, 0)
UNKNOWN_CODE = 99
TILES = 6
SPLITS = ("train", "train", "train", "train", "val", "test")


def labels_of(rng: np.random.Generator) -> np.ndarray:
    """A 16 x 16 label map: classes 0-2 in blocks, and -1 (unknown) on a few pixels."""
    labels = np.repeat(np.repeat(rng.integers(0, 3, size=(4, 4)), 4, axis=0), 4, axis=1)
    labels[rng.integers(0, 16, 5), rng.integers(0, 16, 5)] = -1
    return labels


def main() -> None:
    rng = np.random.default_rng(0)
    for name in ("images", "masks", "codes"):
        shutil.rmtree(HERE / name, ignore_errors=True)
        (HERE / name).mkdir()
    palette = np.array([*COLORS, UNKNOWN_COLOR], dtype="uint8")
    codes = np.array([*CODES, UNKNOWN_CODE], dtype="uint8")
    rows = ["image,mask,split"]
    for i in range(TILES):
        labels = labels_of(rng)
        image = palette[labels].transpose(2, 0, 1) // 2 + rng.integers(0, 60, (3, 16, 16))
        transform = Affine(10, 0, 500_000 + 160 * i, 0, -10, 5_000_000)
        with rasterio.open(
            HERE / "images" / f"tile_{i}.tif", "w", driver="GTiff", width=16, height=16, count=3,
            dtype="uint8", crs="EPSG:32633", transform=transform,
        ) as ds:  # fmt: skip
            ds.write(image.astype("uint8"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(
                HERE / "masks" / f"tile_{i}_mask.png", "w", driver="PNG", width=16, height=16,
                count=3, dtype="uint8",
            ) as ds:  # fmt: skip
                ds.write(palette[labels].transpose(2, 0, 1))
        with rasterio.open(
            HERE / "codes" / f"tile_{i}_label.tif", "w", driver="GTiff", width=16, height=16,
            count=1, dtype="uint8", crs="EPSG:32633", transform=transform,
        ) as ds:  # fmt: skip
            ds.write(codes[labels][None])
        rows.append(f"images/tile_{i}.tif,masks/tile_{i}_mask.png,{SPLITS[i]}")
    (HERE / "pairs.csv").write_text("\n".join(rows) + "\n")
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
