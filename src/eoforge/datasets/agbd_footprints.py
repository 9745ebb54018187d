"""AGBD's footprints: the split's Sentinel-2 tiles and each (file, tile, row) of them, indexed once.

The splits are a mapping split → list of Sentinel-2 tile names, shipped as a pickle
(``biomes_splits_to_name.pkl``). Unpickling runs code, so :func:`load_split_tiles` only
accepts a pickle of plain dicts, lists and strings (a restricted unpickler that refuses every
other global), or the same mapping as JSON (``biomes_splits_to_name.json``, preferred when
present).

A footprint is a row of a tile group of an HDF5 file. Rows whose ``GEDI/agbd`` is not a finite,
non-negative number are dropped (a safety net: the source footprints were pre-filtered, but the
authors' loader checks nothing). :func:`index_footprints` scans each file once — the number of
rows of each tile and the dropped ones — and saves that as JSON beside the data, re-scanning a
file only when its size or modification time changes. :class:`FootprintIndex` then gives the
n-th footprint of a split without a list of millions of triples.

Example:
    >>> index = FootprintIndex([("a.h5", "32TNN", 5, [1, 2])])
    >>> len(index), [index[i] for i in range(len(index))]
    (3, [('a.h5', '32TNN', 0), ('a.h5', '32TNN', 3), ('a.h5', '32TNN', 4)])
"""

from __future__ import annotations

import builtins
import io
import json
import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, overload

import h5py
import numpy as np

from eoforge.datasets.index_cache import load_index, save_index
from eoforge.errors import EoforgeError, RasterReadError

__all__ = ["INDEX_VERSION", "FootprintIndex", "index_footprints", "load_split_tiles"]

INDEX_VERSION = 1
"""Bumped when the saved index format changes (older indexes are then rebuilt)."""

_ALLOWED_GLOBALS = {("builtins", "dict"), ("builtins", "list"), ("builtins", "str")}


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler of dicts, lists and strings only: any other global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return getattr(builtins, name)
        raise pickle.UnpicklingError(f"global '{module}.{name}' is forbidden")


def _convert_hint(pkl: Path) -> str:
    return (
        f"convert it to JSON once, in an environment you trust with that file: python -c "
        f"\"import pickle, json; d = pickle.load(open('{pkl}', 'rb')); json.dump({{k: [str(t) "
        f"for t in v] for k, v in d.items()}}, open('{pkl.with_suffix('.json')}', 'w'))\""
    )


def load_split_tiles(pkl: Path, split: str) -> set[str]:
    """The Sentinel-2 tile names of ``split``, from ``pkl`` or the ``.json`` beside it.

    Raises:
        EoforgeError: the file cannot be read, holds anything but plain dicts/lists/strings
            (the message says how to convert it to JSON), or has no such split.

    Example:
        >>> import pickle, tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "biomes_splits_to_name.pkl"
        >>> _ = path.write_bytes(pickle.dumps({"train": ["32TNN"], "val": [], "test": ["30NXM"]}))
        >>> sorted(load_split_tiles(path, "train"))
        ['32TNN']
    """
    as_json = pkl.with_suffix(".json")
    try:
        if as_json.is_file():
            mapping = json.loads(as_json.read_text())
            source = as_json
        else:
            mapping = _PlainUnpickler(io.BytesIO(pkl.read_bytes())).load()
            source = pkl
    except pickle.UnpicklingError as err:
        raise EoforgeError(
            f"{pkl} holds more than plain dicts, lists and strings ({err}); eoforge does not "
            f"unpickle arbitrary objects: {_convert_hint(pkl)}"
        ) from err
    except (OSError, ValueError, EOFError) as err:
        raise EoforgeError(
            f"cannot read the split file {as_json if as_json.is_file() else pkl} ({err}); "
            "download biomes_splits_to_name.pkl again"
        ) from err
    if not isinstance(mapping, dict) or split not in mapping:
        keys = sorted(mapping) if isinstance(mapping, dict) else type(mapping).__name__
        raise EoforgeError(
            f"{source} maps no split {split!r} to tile names (it holds {keys}); it should be a "
            "dict {'train': [...], 'val': [...], 'test': [...]} of Sentinel-2 tile names"
        )
    tiles = mapping[split]
    if isinstance(tiles, str) or not all(isinstance(t, str) for t in tiles):
        raise EoforgeError(f"{source}[{split!r}] is not a list of tile names (strings)")
    return set(tiles)


def _scan_file(path: Path) -> dict[str, dict[str, Any]]:
    """Rows and dropped rows (non-finite or negative ``GEDI/agbd``) of every tile of a file."""
    groups: dict[str, dict[str, Any]] = {}
    try:
        with h5py.File(path, "r") as f:
            for tile in sorted(f.keys()):
                if not isinstance(f[tile], h5py.Group) or "GEDI/agbd" not in f[tile]:
                    continue
                agbd = np.asarray(f[tile]["GEDI/agbd"][()], dtype=np.float64)
                dropped = np.flatnonzero(~np.isfinite(agbd) | (agbd < 0))
                groups[tile] = {"n": int(agbd.size), "dropped": dropped.tolist()}
    except OSError as err:
        raise RasterReadError(
            f"cannot read the HDF5 file {path} ({err}); it may be incomplete: delete it and "
            "download it again"
        ) from err
    return groups


def index_footprints(root: Path, files: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """For each of ``files`` (names in ``root``): tile → ``{"n": rows, "dropped": [rows]}``.

    Files already scanned with the same size and modification time are not opened again; the
    index is saved beside the data (:mod:`eoforge.datasets.index_cache`).

    Raises:
        RasterReadError: a file cannot be read.
    """
    saved = load_index(root, "agbd", version=INDEX_VERSION)
    known: dict[str, Any] = dict(saved.get("files", {})) if isinstance(saved, dict) else {}
    changed = False
    for name in files:
        stat = (root / name).stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        entry = known.get(name)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp:
            known[name] = {"stamp": stamp, "groups": _scan_file(root / name)}
            changed = True
    if changed:
        save_index(root, "agbd", {"files": known}, version=INDEX_VERSION)
    return {name: known[name]["groups"] for name in files}


class FootprintIndex(Sequence[tuple[str, str, int]]):
    """The footprints of some tile groups, as ``(file, tile, row)``, without the dropped rows.

    Args:
        groups: ``(file, tile, rows, dropped rows)`` per group, in the dataset's order.

    Attributes:
        dropped: how many rows were dropped in all.
    """

    def __init__(self, groups: Iterable[tuple[str, str, int, Sequence[int]]]) -> None:
        self.groups: list[tuple[str, str]] = []
        self._shifted: list[np.ndarray] = []
        counts: list[int] = []
        self.dropped = 0
        for file, tile, rows, dropped in groups:
            gone = np.unique(np.asarray(dropped, dtype=np.int64))
            gone = gone[(gone >= 0) & (gone < rows)]
            if rows - gone.size <= 0:
                self.dropped += int(gone.size)
                continue
            self.groups.append((file, tile))
            # the k-th dropped row minus k: how far the valid rows are shifted past it
            self._shifted.append(gone - np.arange(gone.size))
            counts.append(rows - int(gone.size))
            self.dropped += int(gone.size)
        self._ends = np.cumsum(np.asarray(counts, dtype=np.int64))

    def __len__(self) -> int:
        return int(self._ends[-1]) if self._ends.size else 0

    @overload
    def __getitem__(self, index: int) -> tuple[str, str, int]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, str, int]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str, int] | list[tuple[str, str, int]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        position = int(index) + size if int(index) < 0 else int(index)
        if not 0 <= position < size:
            raise IndexError(f"footprint {index} is out of range (the split has {size})")
        group = int(np.searchsorted(self._ends, position, side="right"))
        start = int(self._ends[group - 1]) if group else 0
        local = position - start
        row = local + int(np.searchsorted(self._shifted[group], local, side="right"))
        file, tile = self.groups[group]
        return (file, tile, row)
