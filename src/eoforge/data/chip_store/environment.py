"""The LMDB side of a chip store: opening it, its reserved records, commits that grow the map.

A chip store is one LMDB environment in a folder (``data.mdb`` + ``lock.mdb``). Besides one record
per sample it holds two reserved records: ``__plan__`` (what is being converted, written first)
and ``__meta__`` (written last: a store without it is *incomplete*).

Readers open the environment once per process (:func:`open_reader` caches it by process id, so
a forked ``DataLoader`` worker opens its own) with ``readonly=True, lock=False,
readahead=False``.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "store"
    >>> env = open_writer(path, map_size=1 << 20)
    >>> put_records(env, [(b"a", b"1")])
    >>> env.close()
    >>> read_records(open_reader(path), [b"a", b"b"])
    [b'1', None]
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lmdb

from eoforge.errors import EoforgeError, NoFilesError

__all__ = [
    "DATA_FILE",
    "FORMAT_VERSION",
    "META_KEY",
    "PLAN_KEY",
    "STORE_FORMAT",
    "close_reader",
    "existing_keys",
    "is_chip_store",
    "open_reader",
    "open_writer",
    "put_records",
    "read_meta",
    "read_records",
]

STORE_FORMAT = "eoforge.chip_store"
"""The ``format`` entry of every ``__meta__`` record."""

FORMAT_VERSION = 1
"""The ``format_version`` this eoforge writes (and the newest it reads)."""

META_KEY = b"__meta__"
PLAN_KEY = b"__plan__"
DATA_FILE = "data.mdb"

_READERS: dict[tuple[str, int, int], tuple[int, lmdb.Environment]] = {}
"""(path, device, inode) → (the process that opened it, the read-only environment)."""


def is_chip_store(path: Path) -> bool:
    """Whether ``path`` is a folder holding an LMDB environment.

    Example:
        >>> is_chip_store(Path("/nonexistent"))
        False
    """
    return (path / DATA_FILE).is_file()


def open_writer(path: Path, map_size: int) -> lmdb.Environment:
    """The environment at ``path`` (created if needed) opened for writing, one writer at a time.

    Example:
        >>> import tempfile
        >>> open_writer(Path(tempfile.mkdtemp()) / "s", 1 << 20).info()["map_size"] >= 1 << 20
        True
    """
    path.mkdir(parents=True, exist_ok=True)
    return lmdb.open(str(path), map_size=map_size, subdir=True, max_dbs=0, meminit=False)


def open_reader(path: Path, max_readers: int = 2048) -> lmdb.Environment:
    """The read-only environment at ``path``, opened once per process (and per file).

    A forked child (a ``DataLoader`` worker) finds its parent's handle, which LMDB handles must
    not be used across a fork: it closes its copy (read-only and lock-free, so the parent's is
    untouched) and opens its own. A store written again at the same path (a new file) is opened
    afresh.

    Raises:
        NoFilesError: if ``path`` holds no LMDB environment.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "s"
        >>> open_writer(path, 1 << 20).close()
        >>> open_reader(path) is open_reader(path)
        True
    """
    try:
        stat = (path / DATA_FILE).stat()
    except OSError as err:
        raise NoFilesError(_missing_message(path)) from err
    key = (str(path.resolve()), stat.st_dev, stat.st_ino)
    pid = os.getpid()
    opened = _READERS.get(key)
    if opened is not None:
        if opened[0] == pid:
            return opened[1]
        opened[1].close()  # the parent's handle, inherited through a fork
    env = lmdb.open(
        str(path),
        subdir=True,
        readonly=True,
        lock=False,
        readahead=False,
        max_readers=max_readers,
        max_dbs=0,
    )
    _READERS[key] = (pid, env)
    return env


def close_reader(path: Path) -> None:
    """Close this process's read-only handles on the store at ``path`` (before writing it).

    LMDB (and py-lmdb, which refuses it) does not allow one process to open an environment
    twice; :class:`~eoforge.data.ChipStore` objects simply open it again on their next read.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "s"
        >>> open_writer(path, 1 << 20).close()
        >>> env = open_reader(path)
        >>> close_reader(path)
        >>> open_reader(path) is env
        False
    """
    resolved = str(path.resolve())
    pid = os.getpid()
    for key in [k for k in _READERS if k[0] == resolved]:
        opened_by, env = _READERS.pop(key)
        if opened_by == pid:
            env.close()


def _missing_message(path: Path) -> str:
    if path.exists():
        return (
            f"{path} is not a chip store (it holds no {DATA_FILE}); give the folder that "
            "write_chip_store / `eoforge data convert` wrote"
        )
    return (
        f"no chip store at {path}; write one first with `eoforge data convert NAME --root ROOT "
        f"--out {path}` or eoforge.data.write_chip_store(dataset, {str(path)!r})"
    )


def read_records(env: lmdb.Environment, keys: Sequence[bytes]) -> list[bytes | None]:
    """The values of ``keys`` (``None`` where absent), read in one transaction.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "s"
        >>> env = open_writer(path, 1 << 20)
        >>> put_records(env, [(b"k", b"v")])
        >>> read_records(env, [b"k"])
        [b'v']
    """
    for _ in range(3):
        try:
            with env.begin() as txn:
                return [txn.get(key) for key in keys]
        except lmdb.MapResizedError:  # a writer grew the map since this handle was opened
            env.set_mapsize(0)
    raise EoforgeError(f"the chip store at {env.path()} keeps growing while being read; retry")


def put_records(
    env: lmdb.Environment, records: Sequence[tuple[bytes, bytes]], delete: Sequence[bytes] = ()
) -> None:
    """Write ``records`` (and delete ``delete``) in one transaction, growing the map when full.

    The map size doubles on each ``MapFullError`` until the transaction fits, so a store never
    fails for want of a size guess.

    Example:
        >>> import tempfile
        >>> env = open_writer(Path(tempfile.mkdtemp()) / "s", 1 << 16)
        >>> put_records(env, [(b"big", bytes(1 << 20))])
        >>> env.info()["map_size"] > 1 << 20
        True
    """
    while True:
        try:
            with env.begin(write=True) as txn:
                for key in delete:
                    txn.delete(key)
                for key, value in records:
                    txn.put(key, value)
            return
        except lmdb.MapFullError:
            env.set_mapsize(2 * int(env.info()["map_size"]))


def existing_keys(env: lmdb.Environment) -> set[bytes]:
    """Every key of the environment.

    Example:
        >>> import tempfile
        >>> env = open_writer(Path(tempfile.mkdtemp()) / "s", 1 << 20)
        >>> put_records(env, [(b"a", b""), (b"b", b"")])
        >>> sorted(existing_keys(env))
        [b'a', b'b']
    """
    with env.begin() as txn:
        return set(txn.cursor().iternext(keys=True, values=False))


def read_meta(path: Path, max_readers: int = 2048) -> dict[str, Any]:
    """The ``__meta__`` record of the chip store at ``path``.

    Raises:
        NoFilesError: if there is no chip store at ``path``.
        EoforgeError: if the store is incomplete (its conversion has not finished) or was
            written by a newer eoforge.

    Example:
        >>> import tempfile
        >>> read_meta(Path(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: ... is not a chip store (it holds no data.mdb); ...
    """
    env = open_reader(path, max_readers)
    raw, plan = read_records(env, [META_KEY, PLAN_KEY])
    if raw is None:
        entries = int(env.stat()["entries"]) - (plan is not None)
        raise EoforgeError(
            f"the chip store {path} is incomplete: its conversion stopped after {entries} "
            "sample(s), before writing the __meta__ record; finish it by running the same "
            f"conversion again (write_chip_store(dataset, {str(path)!r}) resumes by default; "
            f"`eoforge data convert NAME --root ROOT --out {path}` too)"
        )
    meta: dict[str, Any] = json.loads(raw)
    if meta.get("format") != STORE_FORMAT:
        raise EoforgeError(
            f"{path} is an LMDB environment but not an eoforge chip store (format "
            f"{meta.get('format')!r}); give a folder written by write_chip_store"
        )
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise EoforgeError(
            f"the chip store {path} has format version {meta['format_version']}, newer than "
            f"this eoforge reads ({FORMAT_VERSION}); upgrade eoforge"
        )
    return meta
