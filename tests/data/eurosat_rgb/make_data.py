"""Write the EuroSAT RGB fixture beside this file (run it to regenerate it).

The layout of ``EuroSAT.zip`` once extracted, and the official split lists:

- ``2750/<Class>/<Class>_<n>.jpg``: 3-band 8-bit JPEGs, 16 x 16 pixels (the real ones are
  64 x 64), no georeferencing; every pixel of a chip of class id ``c`` has the colour
  :func:`color` ``(c)`` = (20 c + 10, 200 - 15 c, 100) (JPEG keeps it to within a few levels);
- ``eurosat-{train,val,test}.txt``: the same lists as the multispectral fixture
  (``tests/data/eurosat``): train = ``<Class>_1`` of the ten classes, val = ``<Class>_2`` of
  AnnualCrop, Forest, Highway, River, SeaLake, test = ``<Class>_2`` of the five others.

    .venv/bin/python tests/data/eurosat_rgb/make_data.py
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

HERE = Path(__file__).resolve().parent
CLASSES = (
    "AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
    "PermanentCrop", "Residential", "River", "SeaLake",
)  # fmt: skip
VAL_CLASSES = ("AnnualCrop", "Forest", "Highway", "River", "SeaLake")
SIZE = 16


def color(label: int) -> tuple[int, int, int]:
    """The colour of the chips of class id ``label``."""
    return (20 * label + 10, 200 - 15 * label, 100)


def main() -> None:
    shutil.rmtree(HERE / "2750", ignore_errors=True)
    splits = {
        "train": [f"{c}_1" for c in CLASSES],
        "val": [f"{c}_2" for c in VAL_CLASSES],
        "test": [f"{c}_2" for c in CLASSES if c not in VAL_CLASSES],
    }
    for split, names in splits.items():
        for name in names:
            label = CLASSES.index(name.rpartition("_")[0])
            pixels = np.broadcast_to(
                np.array(color(label), "uint8")[:, None, None], (3, SIZE, SIZE)
            )
            path = HERE / "2750" / CLASSES[label] / f"{name}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                with rasterio.open(
                    path, "w", driver="JPEG", width=SIZE, height=SIZE, count=3, dtype="uint8",
                    quality=95,
                ) as ds:  # fmt: skip
                    ds.write(np.ascontiguousarray(pixels))
        text = "".join(f"{name}.jpg\n" for name in names)
        (HERE / f"eurosat-{split}.txt").write_text(text)
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
