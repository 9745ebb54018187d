"""The persisted file index of a raster source: one header record per file, reused while unchanged.

Opening thousands of files to learn their grids is the slow part of building a source, so the
headers are saved as JSON — ``.eoforge-index-<hash>.json`` beside the data (in the files' common
folder) when it is writable, else in the cache folder (``$EOFORGE_CACHE_DIR`` or
``~/.cache/eoforge``). ``<hash>`` is a hash of the parameters that decide the content: the paths as
given, the ``band_pattern`` (it filters files) and the index CRS. On the next build a file is
re-read only when it is new or its ``(size, mtime_ns)`` changed; files that disappeared are
dropped. Files that could not be read are remembered too (with their error), so that they are not
re-opened while unchanged. Footprints are stored in the index CRS.

Example:
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> profile = dict(driver="GTiff", width=4, height=4, count=1, dtype="uint8", crs="EPSG:32633")
    >>> with rasterio.open(folder / "a.tif", "w", transform=Affine(10, 0, 0, 0, -10, 40),
    ...                    **profile) as ds:
    ...     ds.write(np.zeros((1, 4, 4), "uint8"))
    >>> index = build_index([str(folder / "a.tif")], params={"paths": [str(folder)]})
    >>> index.crs, index.records[0].footprint, index.location.parent == folder
    ('EPSG:32633', (0.0, 0.0, 40.0, 40.0), True)
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from affine import Affine
from rich.console import Console
from rich.progress import Progress

from eoforge.data.index_location import default_cache_dir, index_candidates, save_first_writable
from eoforge.errors import MissingCRSError, NoFilesError, RasterReadError
from eoforge.geo import BBox, GridSpec
from eoforge.io import close_all, raster_info

__all__ = ["INDEX_VERSION", "FileRecord", "RasterIndex", "build_index", "default_cache_dir"]

INDEX_VERSION = 2
"""Bumped whenever the saved format changes (older files are then rebuilt)."""

_POOL_MIN_FILES = 64  # below this, threads cost more than they save
_POOL_THREADS = max(2, min(4, os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the index remembers of one file (its header, or why it could not be read).

    Attributes:
        path: absolute path.
        size: file size in bytes when read.
        mtime_ns: modification time (ns) when read.
        crs: canonical CRS key (``None`` for unreadable files).
        transform: the six affine coefficients ``(a, b, c, d, e, f)``.
        width: columns.
        height: rows.
        count: number of bands.
        dtype: numpy dtype name of the bands.
        nodata: the nodata value, or ``None``.
        descriptions: band descriptions (``None`` where unset).
        datetime_tag: the ``TIFFTAG_DATETIME`` value, if any.
        footprint: ``(minx, miny, maxx, maxy)`` in the index CRS.
        mask_kind: how the file marks invalid pixels: ``"none"``, ``"nodata"`` or ``"mask"``.
        error: for an unreadable file, the error message.
        error_kind: ``"read"`` (corrupt / unreadable) or ``"crs"`` (no CRS).

    Example:
        >>> r = FileRecord("/x.tif", 1, 2, "EPSG:32633", (10, 0, 0, 0, -10, 20), 2, 2, 1, "uint8")
        >>> r.grid.bounds
        BBox(0.0, 0.0, 20.0, 20.0, crs='EPSG:32633')
    """

    path: str
    size: int
    mtime_ns: int
    crs: str | None = None
    transform: tuple[float, ...] = ()
    width: int = 0
    height: int = 0
    count: int = 0
    dtype: str = ""
    nodata: float | None = None
    descriptions: tuple[str | None, ...] = ()
    datetime_tag: str | None = None
    footprint: tuple[float, float, float, float] | None = None
    mask_kind: str = "none"
    error: str | None = None
    error_kind: str | None = None

    @property
    def grid(self) -> GridSpec:
        """The file's native grid."""
        assert self.crs is not None, "unreadable files have no grid"
        return GridSpec(self.crs, Affine(*self.transform), self.width, self.height)

    def raise_error(self) -> None:
        """Raise the error remembered for an unreadable file (does nothing for a good one)."""
        if self.error is None:
            return
        if self.error_kind == "crs":
            raise MissingCRSError(self.error)
        raise RasterReadError(self.error)


@dataclass(frozen=True, slots=True)
class RasterIndex:
    """The records of a set of files, with the CRS their footprints are in.

    Attributes:
        records: one record per file, sorted by path (unreadable files included).
        crs: the index CRS of the footprints.
        location: where the index was saved or loaded from (``None`` if it could not be saved).
        reread: how many files were opened to build it (0 when fully reused).

    Example:
        >>> RasterIndex([], "EPSG:4326", None, 0).crs
        'EPSG:4326'
    """

    records: list[FileRecord]
    crs: str
    location: Path | None
    reread: int


def _params_hash(params: Mapping[str, Any]) -> str:
    text = json.dumps({"version": INDEX_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_record(path: str, size: int, mtime_ns: int) -> FileRecord:
    """Open one file's header (the only place the index touches files)."""
    try:
        info = raster_info(path)
    except MissingCRSError as err:
        return FileRecord(path, size, mtime_ns, error=str(err), error_kind="crs")
    except (RasterReadError, NoFilesError) as err:
        return FileRecord(path, size, mtime_ns, error=str(err), error_kind="read")
    grid = info.grid
    tag = info.tags.get("TIFFTAG_DATETIME")
    return FileRecord(
        path=path,
        size=size,
        mtime_ns=mtime_ns,
        crs=grid.crs,
        transform=tuple(float(v) for v in tuple(grid.transform)[:6]),
        width=grid.width,
        height=grid.height,
        count=int(info.count),
        dtype=str(info.dtype),
        nodata=None if info.nodata is None else float(info.nodata),
        descriptions=tuple(info.descriptions),
        datetime_tag=None if tag is None else str(tag),
        mask_kind=str(info.mask_kind),
    )


def _read_records(todo: Sequence[tuple[str, int, int]]) -> list[FileRecord]:
    """Read many headers; on a thread pool when there are many (GDAL opens release the GIL)."""
    if len(todo) < _POOL_MIN_FILES:
        return [_read_record(*args) for args in todo]
    console = Console(stderr=True)
    with (
        Progress(console=console, transient=True, disable=not console.is_terminal) as progress,
        ThreadPoolExecutor(_POOL_THREADS) as pool,
    ):
        task = progress.add_task("indexing raster files", total=len(todo))
        records = []
        for record in pool.map(lambda args: _read_record(*args), todo):
            records.append(record)
            progress.advance(task)
        return records


def _footprint(record: FileRecord, crs: str) -> tuple[float, float, float, float]:
    box = record.grid.bounds
    if box.crs != crs:
        box = box.to_crs(crs)
    return (box.minx, box.miny, box.maxx, box.maxy)


# ---------------------------------------------------------------------------- persistence
def _to_json(records: Sequence[FileRecord], crs: str, params: Mapping[str, Any]) -> str:
    crss = sorted({r.crs for r in records if r.crs is not None})
    rows = []
    for r in records:
        row: dict[str, Any] = {"path": r.path, "size": r.size, "mtime_ns": r.mtime_ns}
        if r.error is not None:
            row.update(error=r.error, error_kind=r.error_kind)
        else:
            row.update(
                crs=crss.index(r.crs),  # type: ignore[arg-type]
                transform=r.transform,
                shape=[r.height, r.width, r.count],
                dtype=r.dtype,
                nodata=r.nodata,
                descriptions=r.descriptions,
                datetime=r.datetime_tag,
                footprint=r.footprint,
                mask=r.mask_kind,
            )
        rows.append(row)
    doc = {"format": "eoforge-raster-index", "version": INDEX_VERSION, "params": params}
    doc.update(crs=crs, crss=crss, files=rows)
    return json.dumps(doc, separators=(",", ":"), default=str)


def _from_json(text: str, params: Mapping[str, Any]) -> tuple[dict[str, FileRecord], str] | None:
    doc = json.loads(text)
    if doc.get("version") != INDEX_VERSION or doc.get("params") != json.loads(
        json.dumps(params, default=str)
    ):
        return None
    crss = doc["crss"]
    records = {}
    for row in doc["files"]:
        if "error" in row:
            rec = FileRecord(row["path"], row["size"], row["mtime_ns"])
            rec = replace(rec, error=row["error"], error_kind=row["error_kind"])
        else:
            height, width, count = row["shape"]
            fp = row["footprint"]
            rec = FileRecord(
                row["path"],
                row["size"],
                row["mtime_ns"],
                crs=crss[row["crs"]],
                transform=tuple(row["transform"]),
                width=width,
                height=height,
                count=count,
                dtype=row["dtype"],
                nodata=row["nodata"],
                descriptions=tuple(row["descriptions"]),
                datetime_tag=row["datetime"],
                footprint=None if fp is None else (fp[0], fp[1], fp[2], fp[3]),
                mask_kind=row["mask"],
            )
        records[rec.path] = rec
    return records, str(doc["crs"])


def _load(candidates: Sequence[Path], params: Mapping[str, Any]) -> tuple[Any, Path | None]:
    for candidate in candidates:
        try:
            text = candidate.read_text()
        except OSError:
            continue
        try:
            loaded = _from_json(text, params)
        except (ValueError, KeyError, TypeError, IndexError):
            loaded = None  # damaged or foreign file: rebuild
        if loaded is not None:
            return loaded, candidate
    return None, None


# ---------------------------------------------------------------------------- build
def build_index(
    files: Sequence[str],
    *,
    params: Mapping[str, Any],
    crs: str | None = None,
    cache_dir: Path | None = None,
) -> RasterIndex:
    """Index ``files``, reusing a saved index for every file whose size and mtime are unchanged.

    Args:
        files: absolute file paths, sorted.
        params: the source parameters that decide the content (hashed into the file name and
            checked on load); JSON-serialisable.
        crs: the index CRS (canonical key); by default the CRS of the first readable file.
        cache_dir: where to save when the data folder is not writable.

    Returns:
        The index; ``reread`` tells how many files had to be opened.

    Example:
        >>> build_index([], params={}).records
        []
    """
    if not files:
        return RasterIndex([], crs or "EPSG:4326", None, 0)
    params = {**params, "crs": crs}
    candidates = index_candidates(files, _params_hash(params), cache_dir)
    loaded, loaded_from = _load(candidates, params)
    saved, saved_crs = loaded if loaded is not None else ({}, None)

    records: list[FileRecord | None] = []
    stale: dict[int, tuple[str, int, int]] = {}
    for path in files:
        try:
            st = os.stat(path)
        except OSError as err:
            records.append(FileRecord(path, -1, -1, error=f"{path}: {err}", error_kind="read"))
            continue
        old = saved.get(path)
        if old is not None and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
            records.append(old)
        else:
            stale[len(records)] = (path, st.st_size, st.st_mtime_ns)
            records.append(None)
    if any(path in saved for path, _, _ in stale.values()):
        close_all()  # a handle opened before a file changed would still show its old header
    for i, rec in zip(stale, _read_records(list(stale.values())), strict=True):
        records[i] = rec
    done = [r for r in records if r is not None]
    reread = len(stale)

    index_crs = crs or next((r.crs for r in done if r.crs is not None), "EPSG:4326")
    changed = reread > 0 or loaded is None or set(saved) != set(files) or saved_crs != index_crs
    for i, rec in enumerate(done):
        if rec.error is None and (rec.footprint is None or saved_crs != index_crs):
            done[i] = replace(rec, footprint=_footprint(rec, index_crs))
    location = loaded_from
    if changed:
        location = save_first_writable(
            candidates, _to_json(done, index_crs, params),
            fix="Pass cache_dir=… or set EOFORGE_CACHE_DIR to a writable folder",
        )  # fmt: skip
    return RasterIndex(done, index_crs, location, reread)


def footprint_box(record: FileRecord, crs: str) -> BBox:
    """The record's footprint as a :class:`~eoforge.geo.BBox` in the index CRS ``crs``.

    Example:
        >>> r = FileRecord("/x.tif", 1, 2, "EPSG:32633", (10, 0, 0, 0, -10, 20), 2, 2, 1, "uint8",
        ...                footprint=(0.0, 0.0, 20.0, 20.0))
        >>> footprint_box(r, "EPSG:32633").area
        400.0
    """
    fp = record.footprint if record.footprint is not None else _footprint(record, crs)
    return BBox(*fp, crs=crs)
