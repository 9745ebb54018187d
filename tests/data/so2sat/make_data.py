"""Write the So2Sat LCZ42 fixture beside this file (deterministic; run it to regenerate it).

Files in the real layout and array shapes (channels last, float64, one-hot labels):

- version 2: ``training.h5`` (6 patches), ``validation.h5`` (3), ``testing.h5`` (4);
- version 3 block split: ``block/training.h5`` (2), ``block/testing.h5`` (2).

Each file holds ``sen1`` N x 32 x 32 x 8, ``sen2`` N x 32 x 32 x 10 and ``label`` N x 17. Values are
exact binary fractions that name their place (so that the files compress)::

    sen2[n, r, c, b] = (b + 1) / 16 + n / 256 + r / 4096 + c / 16384
    sen1[n, r, c, b] = -(b + 1) / 2 + n / 32 + r / 1024 - c / 4096

and the labels are ``LABELS[file]`` (class ids 0-16, one-hot in the file).

    .venv/bin/python tests/data/so2sat/make_data.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
LABELS = {
    "training.h5": [0, 4, 16, 9, 10, 13],
    "validation.h5": [1, 2, 3],
    "testing.h5": [5, 6, 7, 8],
    "block/training.h5": [11, 12],
    "block/testing.h5": [14, 15],
}


def sen2(n: int) -> np.ndarray:
    i, r, c, b = np.meshgrid(np.arange(n), np.arange(32), np.arange(32), np.arange(10),
                             indexing="ij")  # fmt: skip
    return (b + 1) / 16 + i / 256 + r / 4096 + c / 16384


def sen1(n: int) -> np.ndarray:
    i, r, c, b = np.meshgrid(np.arange(n), np.arange(32), np.arange(32), np.arange(8),
                             indexing="ij")  # fmt: skip
    return -(b + 1) / 2 + i / 32 + r / 1024 - c / 4096


def write(path: Path, labels: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(labels)
    one_hot = np.zeros((n, 17), dtype=np.float64)
    one_hot[np.arange(n), labels] = 1
    options = {"compression": "gzip", "compression_opts": 9, "shuffle": True, "track_times": False}
    with h5py.File(path, "w") as f:
        f.create_dataset("sen1", data=sen1(n), chunks=(1, 32, 32, 8), **options)
        f.create_dataset("sen2", data=sen2(n), chunks=(1, 32, 32, 10), **options)
        f.create_dataset("label", data=one_hot, **options)


def main() -> None:
    shutil.rmtree(HERE / "block", ignore_errors=True)
    for name, labels in LABELS.items():
        (HERE / name).unlink(missing_ok=True)
        write(HERE / name, labels)


if __name__ == "__main__":
    main()
