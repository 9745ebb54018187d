"""Tiny datasets for the chip-store tests, importable by dotted path (``chip_store_dataset.X``),
and ``assert_same``, the exact comparison of two samples.

The CLI test puts this folder on ``sys.path`` and converts ``chip_store_dataset.TinyChips``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from affine import Affine
from torch.utils.data import Dataset

from eoforge.errors import NoFilesError
from eoforge.geo import GridSpec

ALL_BANDS = ("B02", "B03", "B04", "B08")
SIZES = {"train": 23, "val": 7}


def raw_bytes(value: torch.Tensor | np.ndarray) -> bytes:
    """The value's bytes (NaN payloads and signed zeros included): the independent reference."""
    if isinstance(value, torch.Tensor):
        flat = value.contiguous().reshape(-1)
        return b"" if flat.numel() == 0 else bytes(flat.view(torch.uint8).numpy().tobytes())
    return bytes(np.ascontiguousarray(value).tobytes())


def assert_same(a: Any, b: Any) -> None:
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert raw_bytes(a) == raw_bytes(b)
    elif isinstance(a, np.ndarray | np.generic):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        assert raw_bytes(np.asarray(a)) == raw_bytes(np.asarray(b))
    elif isinstance(a, GridSpec):
        assert a == b and tuple(a.transform) == tuple(b.transform)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    else:
        assert a == b


class TinyChips(Dataset[dict[str, Any]]):
    """Deterministic 4-band 6x5 chips with a mask, a label and a grid; ids like ``train_007``."""

    classes = ("water", "forest", "field")
    colors = ((0, 0, 255), (0, 128, 0), (255, 255, 0))
    ignore_index = 255

    def __init__(
        self, root: str | Path, split: str = "train", bands: list[str] | None = None
    ) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NoFilesError(f"no TinyChips data in {self.root}; give an existing --root")
        self.split = split
        self.bands = list(bands or ALL_BANDS)
        self.band_indexes = [ALL_BANDS.index(b) for b in self.bands]

    def __len__(self) -> int:
        return SIZES[self.split]

    def sample_id(self, index: int) -> str:
        return f"{self.split}_{index:03d}"

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = np.random.default_rng([index, len(self.split)])
        image = rng.normal(1000, 300, size=(len(ALL_BANDS), 6, 5)).astype(np.float32)
        image[:, 0, 0] = np.nan  # a nodata pixel
        mask = rng.integers(0, 3, size=(6, 5))
        mask[0, 0] = self.ignore_index
        transform = Affine(10, 0, 500_000 + 50 * index, 0, -10, 4_000_000)
        return {
            "image": torch.from_numpy(image[self.band_indexes]),
            "mask": torch.from_numpy(mask),
            "label": torch.tensor(index % 3),
            "valid": torch.from_numpy(~np.isnan(image[0])),
            "grid": GridSpec("EPSG:32633", transform, 5, 6),
            "bands": list(self.bands),
            "path": str(self.root / f"{self.sample_id(index)}.tif"),
        }


class Unkeepable(TinyChips):
    """Sample 4 holds a value the chip store cannot keep (a set)."""

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = super().__getitem__(index)
        if index == 4:
            sample["tags"] = {"a", "b"}
        return sample
