"""The grid cells of Kuro Siwo: found by walking ``data/**/info.json``, indexed once, read per band.

Kuro Siwo's GRD release is a folder per 224 x 224 grid cell,
``data/<actid>/<aoiid>/<grid_hash>/``, holding ``info.json`` and one GeoTIFF per layer, named
``<PTYPE><RANK>_<PNAME>_<actid>_<aoiid>_<YYYYMMDD>.tif``: ``MS1`` = the post-event (master)
acquisition, ``SL1``/``SL2`` = the two pre-event (slave) acquisitions, ``MK0`` = masks and
ancillary layers; ``PNAME`` is ``IVV``/``IVH`` (SAR backscatter), ``MLU`` (labels), ``MNA``
(valid-data mask), ``DEM`` or ``SLOPE``. The date differs per file, so a layer is found by its
``<PTYPE><RANK>_<PNAME>`` key (what the authors' loader matches, by file-name prefix).

Unlabelled cells (``data/<actid>/00/<2-char prefix>/<hash>/``, aoiid ``NA``, no ``MK0_MLU``
file) are counted and skipped. The authors' split files are compress-pickle dicts (not readable
without ``compress_pickle``); the cell index is built here instead and saved as JSON beside the
data (:mod:`eoforge.datasets.index_cache`), rebuilt when an ``<actid>/<aoiid>`` folder changes.

Example:
    >>> match = CELL_FILE.match("SL2_IVH_1111013_01_20170410.tif")
    >>> match["key"], match["actid"], match["date"]
    ('SL2_IVH', '1111013', '20170410')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eoforge.datasets.index_cache import load_index, save_index
from eoforge.datasets.raster_chip import open_chip
from eoforge.errors import EoforgeError, RasterReadError
from eoforge.geo import GridSpec

__all__ = ["CELL_FILE", "INDEX_VERSION", "TIMES", "KuroSiwoCell", "index_cells", "read_layer"]

TIMES: dict[str, str] = {"post": "MS1", "pre1": "SL1", "pre2": "SL2"}
"""Time step → acquisition prefix of the file names (MS1 = post-event, SL1/SL2 = pre-event)."""

CELL_FILE = re.compile(
    r"^(?P<key>(?:MS|SL|MK)\d_[A-Z]+)_(?P<actid>\d+)_(?P<aoiid>[^_]+)_(?P<date>\d{8})\.tiff?$",
    re.IGNORECASE,
)
"""A layer file of a cell; ``key`` (``MS1_IVV``, ``MK0_MLU``, …) names the layer."""

INDEX_VERSION = 1
"""Bumped when the saved index format changes (older indexes are then rebuilt)."""


@dataclass(frozen=True)
class KuroSiwoCell:
    """One labelled grid cell.

    Attributes:
        path: the cell folder, relative to the ``data`` folder (``"130/01/<grid_hash>"``).
        actid: the flood event (activation) id.
        aoiid: the area-of-interest id within the event.
        files: layer key (``"MS1_IVV"``, ``"MK0_MLU"``, …) → file name in the cell folder.

    Example:
        >>> cell = KuroSiwoCell("130/01/ab", 130, 1, {"MS1_IVV": "MS1_IVV_130_01_20200101.tif"})
        >>> cell.dates()
        {'post': '2020-01-01'}
    """

    path: str
    actid: int
    aoiid: int
    files: dict[str, str]

    def dates(self) -> dict[str, str]:
        """The acquisition date (ISO) of each time step the cell has (``post``, ``pre1``, …)."""
        out: dict[str, str] = {}
        for time, acquisition in TIMES.items():
            for key, name in sorted(self.files.items()):
                found = CELL_FILE.match(name)
                if key.startswith(acquisition) and found is not None:
                    d = found["date"]
                    out[time] = f"{d[:4]}-{d[4:6]}-{d[6:]}"
                    break
        return out


def _fingerprint(data: Path) -> dict[str, int]:
    """Modification times of the ``<actid>/<aoiid>`` folders: they change when cells come in."""
    stamps = {".": data.stat().st_mtime_ns}
    for event in sorted(p for p in data.iterdir() if p.is_dir()):
        stamps[event.name] = event.stat().st_mtime_ns
        for aoi in sorted(p for p in event.iterdir() if p.is_dir()):
            stamps[f"{event.name}/{aoi.name}"] = aoi.stat().st_mtime_ns
    return stamps


def _read_info(path: Path) -> dict[str, Any]:
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise EoforgeError(
            f"cannot read {path} ({err}); extract its archive again, or delete the cell folder "
            f"{path.parent}"
        ) from err
    if not isinstance(info, dict):
        raise EoforgeError(f"{path} holds no JSON object; extract its archive again")
    return info


def _scan(data: Path) -> tuple[list[dict[str, Any]], int]:
    """Every labelled cell under ``data`` (as JSON records) and the number of unlabelled ones."""
    cells: list[dict[str, Any]] = []
    unlabelled = 0
    for info_path in sorted(data.rglob("info.json")):
        folder = info_path.parent
        files = {}
        for file in folder.iterdir():
            found = CELL_FILE.match(file.name)
            if found is not None:
                files[found["key"].upper()] = file.name
        info = _read_info(info_path)
        relative = folder.relative_to(data)
        aoiid = info.get("aoiid", relative.parts[1] if len(relative.parts) > 1 else "NA")
        if "MK0_MLU" not in files or str(aoiid).strip().upper() in ("NA", "", "NONE"):
            unlabelled += 1
            continue
        try:
            actid = int(info.get("actid", relative.parts[0]))
            aoi = int(aoiid)
        except (TypeError, ValueError) as err:
            raise EoforgeError(
                f"{info_path} has actid {info.get('actid')!r} / aoiid {aoiid!r}, which are not "
                "integers; extract its archive again, or delete the cell folder"
            ) from err
        cells.append({"path": relative.as_posix(), "actid": actid, "aoiid": aoi, "files": files})
    return cells, unlabelled


def index_cells(data: Path, root: Path) -> tuple[list[KuroSiwoCell], int]:
    """The labelled cells under ``data`` and the count of unlabelled ones (cached in ``root``).

    Raises:
        EoforgeError: an ``info.json`` cannot be read, or names ids that are not integers.
    """
    stamps = _fingerprint(data)
    saved = load_index(root, "kurosiwo", version=INDEX_VERSION)
    if isinstance(saved, dict) and saved.get("fingerprint") == stamps:
        records, unlabelled = saved["cells"], int(saved["unlabelled"])
    else:
        records, unlabelled = _scan(data)
        payload = {"fingerprint": stamps, "cells": records, "unlabelled": unlabelled}
        save_index(root, "kurosiwo", payload, version=INDEX_VERSION)
    cells = [KuroSiwoCell(r["path"], int(r["actid"]), int(r["aoiid"]), dict(r["files"]))
             for r in records]  # fmt: skip
    return cells, unlabelled


def read_layer(path: Path) -> tuple[np.ndarray, np.ndarray, GridSpec | None]:
    """One single-band layer file: float32 ``(H, W)`` pixels, their validity, and the grid.

    A pixel is invalid when it is NaN/infinite or equals the file's nodata value.

    Raises:
        RasterReadError: the file cannot be read, or has more than one band.
    """
    with open_chip(path) as ds:
        if ds.count != 1:
            raise RasterReadError(
                f"{path} has {ds.count} bands where Kuro Siwo layers have one; is this the SLC "
                "release? eoforge reads the GRD release (one band per layer file)"
            )
        pixels = np.asarray(ds.read(1), dtype=np.float32)
        nodata = ds.nodata
        grid = GridSpec(ds.crs, ds.transform, ds.width, ds.height) if ds.crs else None
    valid = np.isfinite(pixels)
    if nodata is not None and np.isfinite(nodata):
        valid &= pixels != np.float32(nodata)
    return pixels, valid, grid
