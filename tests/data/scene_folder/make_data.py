"""Write the SceneFolderDataset fixtures beside this file (seeded; run it to regenerate them).

- ``rgb/<class>/``: three classes (forest, river, urban) of five 8-bit RGB images each, mixed
  formats (PNG, JPEG, 3-band GeoTIFF without georeferencing); one urban image is 24 x 16 pixels
  (mixed sizes), the others 16 x 16.
- ``multispectral/{train,val,test}/<class>/``: a fixed split of georeferenced 4-band uint16
  GeoTIFFs (band descriptions B02, B03, B04, B08; EPSG:32633) of two classes (crops, water).

    .venv/bin/python tests/data/scene_folder/make_data.py
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
RGB_CLASSES = ("urban", "forest", "river")  # written in this order; the dataset sorts them
FORMATS = ("png", "jpg", "tif", "png", "jpg")
MS_BANDS = ("B02", "B03", "B04", "B08")
MS_SPLIT_COUNTS = {"train": 3, "val": 1, "test": 1}


def _rgb_image(rng: np.random.Generator, label: int, height: int, width: int) -> np.ndarray:
    base = np.array([[60, 60, 60], [40, 120, 40], [30, 60, 160]][label], dtype=np.int16)
    noise = rng.integers(-25, 26, size=(3, height, width))
    return np.clip(base[:, None, None] + noise, 0, 255).astype("uint8")


def write_rgb(root: Path, rng: np.random.Generator) -> None:
    drivers = {"png": "PNG", "jpg": "JPEG", "tif": "GTiff"}
    for label, name in enumerate(RGB_CLASSES):
        folder = root / name
        folder.mkdir(parents=True)
        for i, ext in enumerate(FORMATS):
            height, width = (16, 24) if (name == "urban" and i == 4) else (16, 16)
            pixels = _rgb_image(rng, label, height, width)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(
                    folder / f"{name}_{i}.{ext}", "w", driver=drivers[ext], width=width,
                    height=height, count=3, dtype="uint8",
                ) as ds:  # fmt: skip
                    ds.write(pixels)


def write_multispectral(root: Path, rng: np.random.Generator) -> None:
    n = 0
    for split, count in MS_SPLIT_COUNTS.items():
        for label, name in enumerate(("crops", "water")):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                level = (1200, 300)[label]
                pixels = rng.normal(level, 80, size=(4, 16, 16)).clip(1, None).astype("uint16")
                transform = Affine(10, 0, 500_000 + 160 * n, 0, -10, 5_000_000)
                n += 1
                with rasterio.open(
                    folder / f"{name}_{split}_{i}.tif", "w", driver="GTiff", width=16, height=16,
                    count=4, dtype="uint16", crs="EPSG:32633", transform=transform,
                ) as ds:  # fmt: skip
                    ds.write(pixels)
                    ds.descriptions = MS_BANDS


def main() -> None:
    rng = np.random.default_rng(0)
    for name in ("rgb", "multispectral"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    write_rgb(HERE / "rgb", rng)
    write_multispectral(HERE / "multispectral", rng)
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
