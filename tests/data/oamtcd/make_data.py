"""Write the OAM-TCD fixture beside this file (deterministic; run it to regenerate it).

The layout of Restor's exporter (``tools/generate_dataset.py … --tiffs --folds``), with tiles of
64 x 64 pixels (the real ones are 2048 x 2048) in the real format: 3-band uint8 JPEG-compressed
GeoTIFFs, EPSG:3395, 10 cm pixels, each band constant (R 200, G 120, B 40)::

    holdout/images/<oam_id>_<image_id>.tif     train: 101, 102; test: 201
    holdout/masks/<oam_id>_<image_id>.png      binary 0/1 (tree or canopy)
    holdout/train.json, holdout/test.json      COCO
    kfold_0/train.json (image 101), kfold_0/val.json (image 102)

``train.json`` uses the published coding (canopy = 1, tree = 2); ``test.json`` another one
(tree = 0, canopy = 1), as annotation-tool exports do. Annotations (pixel rows r, columns c):

- image 101: tree polygon r 10:20, c 10:20; canopy polygon r 5:25, c 30:60; tree as
  *compressed* RLE r 15:20, c 40:50 (over the canopy); canopy as *uncompressed* RLE r 40:60,
  c 0:8; tree of two polygons r 40:44, c 40:44 and r 50:54, c 50:54;
- image 102: tree as a *local* RLE (``"global": 0``, the size of its bbox x 5, y 30, w 4, h 3):
  r 30:33, c 5:9; canopy triangle (x, y) = (50, 50), (58.2, 50), (50, 58.2): the pixels
  whose centre is inside, (r - 50) + (c - 50) <= 7, r >= 50, c >= 50 (36 pixels);
- image 201: tree polygon r 0:16, c 0:16; canopy polygon r 32:64, c 32:64.

    .venv/bin/python tests/data/oamtcd/make_data.py
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

HERE = Path(__file__).resolve().parent
SIZE = 64
NAMES = {
    101: "5c15321f63d9810007f8b06f_101",
    102: "5b3622402b6a08001185f8d8_102",
    201: "60a4b0f3c9f00b0007d1a1a2_201",
}
ORIGINS = {101: (1_009_956.8, 6_161_233.1), 102: (1_010_100.0, 6_161_300.0), 201: (2e6, 3e6)}
TRAIN_CATEGORIES = [
    {"id": 2, "name": "tree", "supercategory": "root"},
    {"id": 1, "name": "canopy", "supercategory": "root"},
]
TEST_CATEGORIES = [
    {"id": 0, "name": "tree", "supercategory": "root"},
    {"id": 1, "name": "canopy", "supercategory": "root"},
]


def rectangle(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def box_mask(rows: slice, cols: slice, shape: tuple[int, int] = (SIZE, SIZE)) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[rows, cols] = True
    return mask


def runs(mask: np.ndarray) -> list[int]:
    """COCO run lengths (column-major, starting with a run of 0s)."""
    flat = mask.T.ravel().astype(np.int8)
    counts, current, length = [], 0, 0
    for value in flat:
        if value == current:
            length += 1
        else:
            counts.append(length)
            current, length = int(value), 1
    counts.append(length)
    return counts


def compress(counts: list[int]) -> str:
    """pycocotools' string encoding of run lengths (written independently of eoforge's)."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if c & 0x10 else (x != 0)
            out.append(chr(48 + (c | 0x20 if more else c)))
    return "".join(out)


def annotation(aid: int, image: int, category: int, segmentation: Any, **extra: Any) -> dict:
    crowd = 1 if isinstance(segmentation, dict) else 0
    bbox = extra.pop("bbox", [0, 0, 0, 0])
    return {"id": aid, "image_id": image, "category_id": category, "segmentation": segmentation,
            "iscrowd": crowd, "area": 0.0, "bbox": bbox, **extra}  # fmt: skip


def train_annotations() -> list[dict]:
    tree, canopy = 2, 1
    compressed = {
        "size": [SIZE, SIZE],
        "counts": compress(runs(box_mask(slice(15, 20), slice(40, 50)))),
    }
    plain = {"size": [SIZE, SIZE], "counts": runs(box_mask(slice(40, 60), slice(0, 8)))}
    local = {"size": [3, 4], "counts": compress(runs(np.ones((3, 4), bool)))}
    return [
        annotation(1, 101, tree, [rectangle(10, 10, 20, 20)], bbox=[10, 10, 10, 10]),
        annotation(2, 101, canopy, [rectangle(30, 5, 60, 25)], bbox=[30, 5, 30, 20]),
        annotation(3, 101, tree, compressed, bbox=[40, 15, 10, 5]),
        annotation(4, 101, canopy, plain, bbox=[0, 40, 8, 20]),
        annotation(
            5,
            101,
            tree,
            [rectangle(40, 40, 44, 44), rectangle(50, 50, 54, 54)],
            bbox=[40, 40, 14, 14],
        ),
        annotation(6, 102, tree, local, bbox=[5, 30, 4, 3], score=0.9, **{"global": 0}),
        annotation(7, 102, canopy, [[50, 50, 58.2, 50, 50, 58.2]], bbox=[50, 50, 8, 8]),
    ]


def test_annotations() -> list[dict]:
    tree, canopy = 0, 1
    return [
        annotation(1, 201, tree, [rectangle(0, 0, 16, 16)], bbox=[0, 0, 16, 16]),
        annotation(2, 201, canopy, [rectangle(32, 32, 64, 64)], bbox=[32, 32, 32, 32]),
    ]


def cover(image: int) -> np.ndarray:
    """Tree or canopy, from the rectangles above (for the exporter's binary masks)."""
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    areas = {
        101: [(10, 20, 10, 20), (5, 25, 30, 60), (15, 20, 40, 50), (40, 60, 0, 8),
              (40, 44, 40, 44), (50, 54, 50, 54)],
        102: [(30, 33, 5, 9)],
        201: [(0, 16, 0, 16), (32, 64, 32, 64)],
    }  # fmt: skip
    for r0, r1, c0, c1 in areas[image]:
        mask[r0:r1, c0:c1] = 1
    if image == 102:
        rows, cols = np.mgrid[0:SIZE, 0:SIZE]
        mask[(rows >= 50) & (cols >= 50) & (rows - 50 + cols - 50 <= 7)] = 1
    return mask


def coco(images: list[int], annotations: list[dict], categories: list[dict]) -> dict:
    return {
        "images": [
            {"file_name": f"{NAMES[i]}.tif", "width": SIZE, "height": SIZE, "id": i, "license": 1}
            for i in images
        ],
        "annotations": [a for a in annotations if a["image_id"] in images],
        "licenses": [{"id": 1, "name": "CC-BY 4.0"}],
        "categories": categories,
    }


def write_tiles(holdout: Path) -> None:
    (holdout / "images").mkdir(parents=True)
    (holdout / "masks").mkdir(parents=True)
    for image, name in NAMES.items():
        x, y = ORIGINS[image]
        pixels = np.stack([np.full((SIZE, SIZE), v, np.uint8) for v in (200, 120, 40)])
        profile = {"driver": "GTiff", "width": SIZE, "height": SIZE, "count": 3, "dtype": "uint8",
                   "crs": "EPSG:3395", "transform": Affine(0.1, 0, x, 0, -0.1, y),
                   "compress": "jpeg"}  # fmt: skip
        with rasterio.open(holdout / "images" / f"{name}.tif", "w", **profile) as ds:
            ds.write(pixels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(holdout / "masks" / f"{name}.png", "w", driver="PNG", width=SIZE,
                               height=SIZE, count=1, dtype="uint8") as ds:  # fmt: skip
                ds.write(cover(image)[None])


def main() -> None:
    for name in ("holdout", "kfold_0"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    holdout = HERE / "holdout"
    write_tiles(holdout)
    files = {
        holdout / "train.json": coco([101, 102], train_annotations(), TRAIN_CATEGORIES),
        holdout / "test.json": coco([201], test_annotations(), TEST_CATEGORIES),
        HERE / "kfold_0" / "train.json": coco([101], train_annotations(), TRAIN_CATEGORIES),
        HERE / "kfold_0" / "val.json": coco([102], train_annotations(), TRAIN_CATEGORIES),
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=1))
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
