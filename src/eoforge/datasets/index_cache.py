"""``load_index`` / ``save_index``: a dataset's own file index, saved as JSON beside its data.

Benchmark datasets whose samples are found by walking thousands of folders (Kuro Siwo's grid
cells) or by opening large HDF5 files (AGBD's footprints) build that index once and save it:
``root/.eoforge-<name>-index.json`` when the dataset folder is writable, else in eoforge's cache
folder (``$EOFORGE_CACHE_DIR`` or ``~/.cache/eoforge``, under a name that holds a hash of the
root), written atomically. The payload is any JSON value; the dataset decides whether a loaded
payload is still current (e.g. by comparing file sizes and modification times it stored).

Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> save_index(root, "doc", {"cells": ["a", "b"]}, version=1).name
    '.eoforge-doc-index.json'
    >>> load_index(root, "doc", version=1), load_index(root, "doc", version=2)
    ({'cells': ['a', 'b']}, None)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

# the one routine that saves eoforge's indexes (atomic write, read-only folders skipped)
from eoforge.data.index_location import default_cache_dir, save_first_writable

__all__ = ["index_locations", "load_index", "save_index"]


def index_locations(root: str | Path, name: str) -> list[Path]:
    """Where the index of dataset ``name`` in ``root`` may be: beside the data, then the cache.

    Example:
        >>> [p.name for p in index_locations("data/kurosiwo", "kurosiwo")][0]
        '.eoforge-kurosiwo-index.json'
    """
    folder = Path(root)
    digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12]
    return [folder / f".eoforge-{name}-index.json", default_cache_dir() / f"{name}-{digest}.json"]


def load_index(root: str | Path, name: str, *, version: int) -> Any:
    """The saved payload of ``name``'s index of ``root`` (``None``: none, or another version).

    A file that cannot be parsed counts as absent (it is rebuilt and overwritten).
    """
    for path in index_locations(root, name):
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(saved, dict) and saved.get("version") == version and "payload" in saved:
            return saved["payload"]
    return None


def save_index(root: str | Path, name: str, payload: Any, *, version: int) -> Path | None:
    """Save ``payload`` as ``name``'s index of ``root``; returns where (``None``: nowhere).

    Nothing is raised when no location is writable: a warning says so and the index is simply
    rebuilt next time.
    """
    text = json.dumps({"version": version, "payload": payload}, separators=(",", ":"))
    return save_first_writable(index_locations(root, name), text, name=name)
