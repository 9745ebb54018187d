"""Write the EuroSAT fixture beside this file (seeded; run it to regenerate it).

The layout of ``EuroSATallBands.zip`` once extracted, and the official split lists:

- ``ds/images/remote_sensing/otherDatasets/sentinel_2/tif/<Class>/<Class>_<n>.tif``: 13-band
  uint16 GeoTIFFs (bands B01 … B12 with B10, B8A last, as in the real files), 16 x 16 pixels
  (the real ones are 64 x 64), UTM CRS (EPSG:32632 or 32635) with pixels of about, not exactly,
  10 m, deflate-compressed. Every pixel of file band ``k`` (1-based) of a chip of class id ``c``
  is ``1000 k + 10 c`` plus noise 1..9, except pixel (0, 0), which is exactly ``1000 k + c``;
- ``eurosat-{train,val,test}.txt``: the chips' names written with ``.jpg``, as the real lists:
  train = ``<Class>_1`` of the ten classes, val = ``<Class>_2`` of AnnualCrop, Forest, Highway,
  River, SeaLake, test = ``<Class>_2`` of the five others; ``Forest_3`` is in no split.

    .venv/bin/python tests/data/eurosat/make_data.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "ds" / "images" / "remote_sensing" / "otherDatasets" / "sentinel_2" / "tif"
CLASSES = (
    "AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
    "PermanentCrop", "Residential", "River", "SeaLake",
)  # fmt: skip
VAL_CLASSES = ("AnnualCrop", "Forest", "Highway", "River", "SeaLake")
SIZE = 16


def chip_names() -> dict[str, list[str]]:
    """The chips of each split, and ``"none"``: those of no split."""
    return {
        "train": [f"{c}_1" for c in CLASSES],
        "val": [f"{c}_2" for c in VAL_CLASSES],
        "test": [f"{c}_2" for c in CLASSES if c not in VAL_CLASSES],
        "none": ["Forest_3"],
    }


def write_chip(path: Path, label: int, n: int, rng: np.random.Generator) -> None:
    levels = 1000 * np.arange(1, 14)[:, None, None] + 10 * label
    pixels = (levels + rng.integers(1, 10, size=(13, SIZE, SIZE))).astype("uint16")
    pixels[:, 0, 0] = 1000 * np.arange(1, 14) + label
    crs, x0 = ("EPSG:32635", 624_602.23) if n % 2 else ("EPSG:32632", 533_043.68)
    transform = Affine(10.0057, 0, x0 + 640 * n, 0, -9.9941, 4_877_286.03)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="GTiff", width=SIZE, height=SIZE, count=13, dtype="uint16", crs=crs,
        transform=transform, compress="deflate",
    ) as ds:  # fmt: skip
        ds.write(pixels)


def main() -> None:
    rng = np.random.default_rng(0)
    shutil.rmtree(HERE / "ds", ignore_errors=True)
    n = 0
    for split, names in chip_names().items():
        for name in names:
            label = CLASSES.index(name.rpartition("_")[0])
            write_chip(IMAGES / CLASSES[label] / f"{name}.tif", label, n, rng)
            n += 1
        if split != "none":
            text = "".join(f"{name}.jpg\n" for name in names) + "\n"
            (HERE / f"eurosat-{split}.txt").write_text(text)
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
