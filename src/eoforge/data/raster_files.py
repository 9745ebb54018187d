"""Finding the raster files a source is made of: paths, folders and globs → a sorted file list.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b.tif", "a.tif", "notes.txt", ".hidden.tif"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> [pathlib.Path(p).name for p in find_raster_files(folder)]
    ['a.tif', 'b.tif']
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from pathlib import Path

from eoforge.errors import NoFilesError

__all__ = ["RASTER_SUFFIXES", "PathsLike", "find_raster_files", "path_spec"]

PathsLike = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""A file, a folder, a glob, or a list of them."""

RASTER_SUFFIXES: frozenset[str] = frozenset(
    {".tif", ".tiff", ".gtiff", ".jp2", ".vrt", ".img", ".nc", ".hdf", ".h5", ".png", ".jpg"}
)
"""File suffixes (lower case) picked up when a folder is given."""

_GLOB_CHARS = re.compile(r"[*?\[]")


def path_spec(paths: PathsLike) -> list[str]:
    """The inputs as absolute strings (globs kept), in the order given.

    Example:
        >>> path_spec("data/*.tif")[0].endswith("data/*.tif")
        True
    """
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    return [os.path.abspath(os.path.expanduser(os.fspath(p))) for p in items]


def _is_hidden(path: str, root: str) -> bool:
    rel = os.path.relpath(path, root)
    return any(part.startswith(".") for part in Path(rel).parts)


def _folder_files(folder: str) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(
            os.path.join(dirpath, name)
            for name in filenames
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in RASTER_SUFFIXES
        )
    return found


def find_raster_files(paths: PathsLike, band_pattern: str | None = None) -> list[str]:
    """Resolve files, folders (searched recursively) and globs into sorted absolute file paths.

    Folders contribute files with a raster suffix (:data:`RASTER_SUFFIXES`); hidden files and
    folders (``.name``) are skipped. With ``band_pattern``, only files whose name matches it are
    kept.

    Args:
        paths: a file, folder or glob (``**`` recurses), or a list of them.
        band_pattern: a regex searched in each file name.

    Raises:
        NoFilesError: when a named file does not exist, or nothing matches (the message shows
            the pattern and the folder looked in).

    Example:
        >>> find_raster_files("/nonexistent/*.tif")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: no raster files match '*.tif' in /nonexistent; check ...
    """
    spec = path_spec(paths)
    if not spec:
        raise NoFilesError("no paths given; pass a file, a folder or a glob such as 'data/*.tif'")
    found: set[str] = set()
    for entry in spec:
        if _GLOB_CHARS.search(entry):
            root = entry[: _GLOB_CHARS.search(entry).start()]  # type: ignore[union-attr]
            root = os.path.dirname(root) or "/"
            hits = [
                p
                for p in glob.glob(entry, recursive=True)
                if os.path.isfile(p) and not _is_hidden(p, root)
            ]
        elif os.path.isdir(entry):
            hits = _folder_files(entry)
        elif os.path.isfile(entry):
            hits = [entry]
        else:
            raise NoFilesError(f"{entry} does not exist; check the path")
        found.update(os.path.abspath(p) for p in hits)
    if band_pattern is not None:
        regex = re.compile(band_pattern)
        found = {p for p in found if regex.search(os.path.basename(p))}
    if not found:
        raise NoFilesError(_nothing_found(spec, band_pattern))
    return sorted(found)


def _nothing_found(spec: list[str], band_pattern: str | None) -> str:
    entry = spec[0]
    if os.path.isdir(entry):
        folder, pattern = entry, "*"
    else:
        folder, pattern = os.path.dirname(entry), os.path.basename(entry)
    suffixes = ", ".join(sorted(RASTER_SUFFIXES))
    message = f"no raster files match {pattern!r} in {folder}"
    if band_pattern is not None:
        message += f" with band_pattern '{band_pattern}' (searched in file names)"
    return (
        f"{message}; check the path or glob (folders are searched recursively for {suffixes} files)"
    )
