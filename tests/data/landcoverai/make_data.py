"""Write the LandCover.ai fixture beside this file (deterministic; run it to regenerate it).

The layout of the extracted ``landcover.ai.v1.zip``, with two small orthophotos:

- ``images/M-33-20-D-c-4-2.tif``: 1030 x 1100 px RGB uint8 GeoTIFF, EPSG:2180, 25 cm pixels;
  its complete 512 x 512 tiles are k = 0, 1, 3, 4 (k = 2, 5, 6, 7, 8 are incomplete edge tiles);
- ``images/N-34-61-B-a-1-1.tif``: 600 x 530 px, 50 cm pixels; one complete tile, k = 0;
- ``masks/<sheet>.tif``: uint8 class ids, ``mask_value(sheet, row, col)``;
- ``train.txt`` (3 tiles), ``val.txt`` (``M-33-20-D-c-4-2_1``), ``test.txt``
  (``M-33-20-D-c-4-2_3``).

Pixels are ``image_value(sheet, band, row, col)`` (smooth, so that the files compress).
``official/`` holds what the archive's ``split.py`` writes for the val and test tiles (JPEG
images, 3-band PNG masks in ``output/``) and the three split files; the train tiles are left out.

    .venv/bin/python tests/data/landcoverai/make_data.py
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
SHEETS = {  # name: (height, width, transform, offset of the class pattern)
    "M-33-20-D-c-4-2": (1030, 1100, Affine(0.25, 0, 611_000.0, 0, -0.25, 402_000.0), 0),
    "N-34-61-B-a-1-1": (600, 530, Affine(0.5, 0, 733_000.0, 0, -0.5, 515_000.0), 2),
}
SPLITS = {
    "train": ["M-33-20-D-c-4-2_0", "M-33-20-D-c-4-2_4", "N-34-61-B-a-1-1_0"],
    "val": ["M-33-20-D-c-4-2_1"],
    "test": ["M-33-20-D-c-4-2_3"],
}
TILE_ORIGINS = {"0": (0, 0), "1": (0, 512), "3": (512, 0), "4": (512, 512)}  # k: (row, col)


def image_value(sheet: str, band: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The uint8 pixel values of an orthophoto (band 0, 1, 2 = R, G, B)."""
    shift = SHEETS[sheet][3] * 40
    if band == 0:
        value = rows // 4 + shift
    elif band == 1:
        value = cols // 4 + 2 * shift
    else:
        value = (rows + cols) // 8 + 100
    return np.asarray(value % 256, dtype=np.uint8)


def mask_value(sheet: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The class ids (0-4) of a mask: 128-pixel squares cycling through the classes."""
    return np.asarray((rows // 128 + cols // 128 + SHEETS[sheet][3]) % 5, dtype=np.uint8)


def write_archive_layout(root: Path) -> None:
    for folder in ("images", "masks"):
        (root / folder).mkdir(parents=True)
    for sheet, (height, width, transform, _) in SHEETS.items():
        rows, cols = np.mgrid[0:height, 0:width]
        profile = {
            "driver": "GTiff", "width": width, "height": height, "crs": "EPSG:2180",
            "transform": transform, "dtype": "uint8", "compress": "deflate", "predictor": 2,
        }  # fmt: skip
        with rasterio.open(root / "images" / f"{sheet}.tif", "w", count=3, **profile) as ds:
            ds.write(np.stack([image_value(sheet, b, rows, cols) for b in range(3)]))
        with rasterio.open(root / "masks" / f"{sheet}.tif", "w", count=1, **profile) as ds:
            ds.write(mask_value(sheet, rows, cols)[None])
    for split, ids in SPLITS.items():
        (root / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))


def write_official_tiles(root: Path) -> None:
    """JPEG tiles and 3-band PNG masks, as split.py (OpenCV) writes them, for val and test."""
    output = root / "output"
    output.mkdir(parents=True)
    for tile_id in SPLITS["val"] + SPLITS["test"]:
        sheet, k = tile_id.rsplit("_", 1)
        row0, col0 = TILE_ORIGINS[k]
        rows, cols = np.mgrid[row0 : row0 + 512, col0 : col0 + 512]
        rgb = np.stack([image_value(sheet, b, rows, cols) for b in range(3)])
        mask = np.repeat(mask_value(sheet, rows, cols)[None], 3, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(output / f"{tile_id}.jpg", "w", driver="JPEG", width=512,
                               height=512, count=3, dtype="uint8", quality=90) as ds:  # fmt: skip
                ds.write(rgb)
            with rasterio.open(output / f"{tile_id}_m.png", "w", driver="PNG", width=512,
                               height=512, count=3, dtype="uint8") as ds:  # fmt: skip
                ds.write(mask)
    for split, ids in SPLITS.items():
        (root / f"{split}.txt").write_text("".join(f"{i}\n" for i in ids))


def main() -> None:
    for name in ("images", "masks", "official", "output"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    write_archive_layout(HERE)
    write_official_tiles(HERE / "official")
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
