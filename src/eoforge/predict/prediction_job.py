"""``PredictionJob``: the on-disk state of a prediction, so that a killed job can resume.

Beside the output ``map.tif`` the job keeps a folder ``.map.tif.partial/`` holding:

- ``pixels.raw`` — the map's finished pixels, written as they are finished
  (:class:`~eoforge.io.raw_raster.RawRaster`; a killed process loses none of them);
- ``strip.npy`` — the blending strip after the last finished row of tiles (values, weights);
- ``journal.json`` — the job's settings (a fingerprint of checkpoint, inputs, grid, tiles,
  output kind) and the last finished row of tiles, written after the strip (both atomically:
  temporary file, then rename).

A row is recorded when :data:`CHECKPOINT_SECONDS` have passed since the previous record.
``--resume`` continues after the row in the journal; the work redone is at most those seconds
and one row of tiles, and the result is byte-identical to an uninterrupted run (the same
batches, the same blending, the same bytes). When the map has been published, the folder is removed.

Example:
    >>> import tempfile, pathlib
    >>> from eoforge.geo import BBox, GridSpec
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 320, 320, "EPSG:32633"), res=10)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "map.tif"
    >>> job = PredictionJob.start(out, {"kind": "classes"}, grid, 1, "uint8", resume=False)
    >>> job.next_row, job.partial.name
    (0, '.map.tif.partial')
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec
from eoforge.io.raw_raster import RawRaster

__all__ = ["PredictionJob", "fingerprint"]

Array = np.ndarray[Any, Any]
_VERSION = 2
CHECKPOINT_SECONDS = 10.0
"""Least time between two records of the job's progress (each writes the strip: width x overlap
floats per band; on an 8192-wide scene, 30-60 ms)."""


def fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of the job's settings (JSON-able values)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


@dataclass
class PredictionJob:
    """A prediction in progress: its raw pixels, strip and journal."""

    output: Path
    partial: Path
    raw: RawRaster
    settings_hash: str
    next_row: int
    strip: dict[str, Array] | None
    _last_checkpoint: float = field(default_factory=time.monotonic, repr=False)

    @classmethod
    def start(
        cls,
        output: Path,
        settings: dict[str, Any],
        grid: GridSpec,
        bands: int,
        dtype: str,
        *,
        resume: bool,
    ) -> PredictionJob:
        """Start afresh, or (``resume``) continue the job recorded beside ``output``.

        Raises:
            EoforgeError: ``resume`` was asked but the recorded job had other settings.
        """
        partial = output.with_name(f".{output.name}.partial")
        digest = fingerprint(settings)
        journal = partial / "journal.json"
        if resume and journal.is_file():
            facts = json.loads(journal.read_text())
            if facts.get("settings") != digest or facts.get("version") != _VERSION:
                raise EoforgeError(
                    f"the unfinished prediction in '{partial}' was started with other settings "
                    "(checkpoint, inputs, grid, tiles or output kind); run again with the same "
                    "options, or without --resume to start over"
                )
            raw = RawRaster.open(partial / "pixels.raw", grid, bands, dtype)
            strip = np.load(partial / "strip.npy")  # (bands + 1, h, w): values, then weights
            row = int(facts["rows_done"])
            state = {"values": strip[:-1], "weights": strip[-1], "row": np.array(row)}
            return cls(output, partial, raw, digest, row + 1, state)
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir(parents=True)
        raw = RawRaster.create(partial / "pixels.raw", grid, bands, dtype)
        settings_text = json.dumps({"version": _VERSION, "settings": digest, "rows_done": -1})
        _write_atomic(journal, settings_text.encode())
        return cls(output, partial, raw, digest, 0, None)

    def checkpoint(self, row: int, strip: dict[str, Array]) -> bool:
        """Record that row ``row`` of tiles is finished (strip first, then the journal).

        Done when :data:`CHECKPOINT_SECONDS` have passed since the last record; otherwise
        skipped, and a resumed job starts after the last recorded row.

        Returns:
            Whether the row was recorded.
        """
        if time.monotonic() - self._last_checkpoint < CHECKPOINT_SECONDS:
            return False
        values, weights = strip["values"], strip["weights"]
        header = {"descr": "<f4", "fortran_order": False,
                  "shape": (values.shape[0] + 1, *weights.shape)}  # fmt: skip
        tmp = self.partial / ".strip.tmp.npy"
        with open(tmp, "wb") as f:  # a plain .npy (values, then weights), written without a copy
            np.lib.format.write_array_header_2_0(f, header)
            for part in (values, weights):
                f.write(np.ascontiguousarray(part, dtype="<f4").data)
        os.replace(tmp, self.partial / "strip.npy")
        facts = {"version": _VERSION, "settings": self.settings_hash, "rows_done": row}
        _write_atomic(self.partial / "journal.json", json.dumps(facts).encode())
        self._last_checkpoint = time.monotonic()
        return True

    def clean(self) -> None:
        """Remove the job's folder (after the map was published)."""
        shutil.rmtree(self.partial, ignore_errors=True)
