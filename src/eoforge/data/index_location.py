"""Where a saved index lives (beside the data when it can, else in the cache) and how it is written.

An index of files is saved as ``.eoforge-index-<digest>.json`` in the files' common folder when
that folder is writable, else as ``eoforge-index-<digest>.json`` in the cache folder
(``$EOFORGE_CACHE_DIR`` or ``~/.cache/eoforge``); files scattered over ``/`` or the home folder
keep their index in the cache only. Writes go through a temporary file that is renamed when
complete, so a reader never sees half an index.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "a.tif").touch()
    >>> beside, in_cache = index_candidates([str(folder / "a.tif")], "abc", folder / "cache")
    >>> beside.name, in_cache.parent.name
    ('.eoforge-index-abc.json', 'cache')
    >>> save_first_writable([beside, in_cache], "{}") == beside
    True
"""

from __future__ import annotations

import os
import stat
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "default_cache_dir",
    "index_candidates",
    "is_writable",
    "save_first_writable",
    "write_atomic",
]

_PREFIX = ".eoforge-index-"


def default_cache_dir() -> Path:
    """``$EOFORGE_CACHE_DIR``, else ``~/.cache/eoforge``.

    Example:
        >>> default_cache_dir().name in {"eoforge", os.environ.get("EOFORGE_CACHE_DIR", "eoforge")}
        True
    """
    env = os.environ.get("EOFORGE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "eoforge"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, renamed when done."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_writable(folder: Path) -> bool:
    """True when ``folder`` may be written.

    A folder without any write permission bit counts as read-only even for root (who could write
    it anyway), to respect shared read-only data.
    """
    try:
        mode = folder.stat().st_mode
    except OSError:
        return True  # does not exist yet: try to create it
    return bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(folder, os.W_OK)


def save_first_writable(
    candidates: Sequence[Path], text: str, *, name: str = "raster", fix: str = ""
) -> Path | None:
    """Write ``text`` to the first writable candidate; ``None`` (with a warning) if none is.

    Args:
        candidates: where the index may go, in order of preference.
        text: the index.
        name: what index it is, for the warning (``"raster"``, a dataset's name).
        fix: what the user can do about it, for the warning.
    """
    errors = []
    for candidate in candidates:
        if not is_writable(candidate.parent):
            errors.append(f"{candidate.parent}: read-only")
            continue
        try:
            write_atomic(candidate, text)
            return candidate
        except OSError as err:
            errors.append(f"{candidate.parent}: {err.strerror or err}")
    warnings.warn(
        f"could not save the {name} index ({'; '.join(errors)}); it will be rebuilt next time. "
        + (fix or "Set EOFORGE_CACHE_DIR to a writable folder to keep it"),
        stacklevel=3,  # the caller of the function that saves
    )
    return None


def index_candidates(files: Sequence[str], digest: str, cache_dir: Path | None) -> list[Path]:
    """Where the index may live: beside the data (the files' common folder), then the cache."""
    root = Path(os.path.commonpath(files))
    if not root.is_dir():
        root = root.parent
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    in_cache = cache / f"{_PREFIX[1:]}{digest}.json"
    if root == Path(root.anchor) or root == Path.home():  # files scattered: keep / and ~ clean
        return [in_cache]
    return [root / f"{_PREFIX}{digest}.json", in_cache]
