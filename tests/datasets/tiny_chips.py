"""A tiny pre-chipped dataset (an archive of .npy chips and split tables) and its ChipDataset."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.datasets import ChipDataset, RemoteFile

BANDS = ("B02", "B03", "B04", "B08")
CLASSES = ("sea", "land", "cloud")
SPLIT_SIZES = {"train": 6, "val": 2, "test": 2}


def chips() -> dict[str, tuple[np.ndarray, int]]:
    """``{file name: (chip (4, 8, 8) uint16, label)}``, seeded."""
    rng = np.random.default_rng(0)
    out = {}
    for i in range(sum(SPLIT_SIZES.values())):
        out[f"chip_{i}.npy"] = (rng.integers(0, 3000, (4, 8, 8)).astype("uint16"), i % 3)
    return out


def archive_bytes() -> bytes:
    """A zip of ``tiny/chips/*.npy`` and ``tiny/<split>.csv`` (``file,label`` rows)."""
    buffer = io.BytesIO()
    names = list(chips())
    with zipfile.ZipFile(buffer, "w") as zf:
        start = 0
        for split, size in SPLIT_SIZES.items():
            rows = ["file,label"]
            for name in names[start : start + size]:
                rows.append(f"{name},{chips()[name][1]}")
            zf.writestr(f"tiny/{split}.csv", "\n".join(rows))
            start += size
        for name, (chip, _) in chips().items():
            raw = io.BytesIO()
            np.save(raw, chip)
            zf.writestr(f"tiny/chips/{name}", raw.getvalue())
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class TinyBase(ChipDataset):
    """The reading logic; subclasses made by :func:`tiny_class` add the ``files``."""

    task = "classification"
    classes = CLASSES
    colors = ((0, 0, 200), (0, 150, 0), (230, 230, 230))
    all_bands = BANDS
    rgb_bands = ("B04", "B03", "B02")
    license = "CC-BY-4.0"
    homepage = "https://example.org/tiny"
    description = "Ten 8x8 chips of three classes."

    def _load_index(self) -> list[tuple[str, int]]:
        lines = (self.root / "tiny" / f"{self.split}.csv").read_text().splitlines()[1:]
        return [(name, int(label)) for name, label in (line.split(",") for line in lines)]

    def _load_sample(self, record: Any) -> dict[str, Any]:
        name, label = record
        chip = np.load(self.root / "tiny" / "chips" / name)
        return {"image": self.select_bands(chip), "label": label, "id": name}


def tiny_class(files: tuple[RemoteFile, ...], name: str = "test_tiny") -> type[TinyBase]:
    """A concrete Tiny dataset downloading ``files``."""
    return type("Tiny", (TinyBase,), {"name": name, "files": files})


def tiny_remote(url: str, data: bytes, **kwargs: Any) -> RemoteFile:
    return RemoteFile(url, "tiny.zip", md5=md5(data), extract=True, size=len(data), **kwargs)


def unpacked(root: Path) -> None:
    """Write the extracted dataset into ``root`` by hand (as if downloaded earlier)."""
    with zipfile.ZipFile(io.BytesIO(archive_bytes())) as zf:
        zf.extractall(root)
