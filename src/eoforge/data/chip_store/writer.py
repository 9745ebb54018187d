"""``write_chip_store``: convert any dataset of sample dicts into a chip store, in parallel.

Worker processes (a ``DataLoader`` with ``num_workers=workers``) read the samples and serialise
them to safetensors bytes; the parent — LMDB has one writer — puts them into the environment in
transactions of ``batch_commit`` records, committed on a thread of their own
(:class:`~eoforge.data.chip_store.commit_thread.CommitThread`) so that reading goes on while the
disk syncs. Keys already in the store are skipped, so a conversion
stopped by a crash or Ctrl-C resumes where its last commit ended; the ``__meta__`` record, written
last, marks the store complete.

Example:
    >>> import tempfile, torch
    >>> from eoforge.data.chip_store import ChipStore
    >>> samples = [{"image": torch.full((2, 4, 4), float(i)), "label": i % 3} for i in range(5)]
    >>> path = write_chip_store(samples, tempfile.mkdtemp() + "/chips", progress=False)
    >>> store = ChipStore(path)
    >>> len(store), store.keys[:2], store[4]["label"], store.meta["last_run"]["written"]
    (5, ['0', '1'], 1, 5)
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lmdb
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from torch.utils.data import DataLoader, Dataset

from eoforge import __version__
from eoforge.data.chip_store.commit_thread import CommitThread
from eoforge.data.chip_store.conversion_plan import (
    describe_dataset,
    plan_conflict,
    plan_record,
    sample_keys,
)
from eoforge.data.chip_store.environment import (
    FORMAT_VERSION,
    META_KEY,
    PLAN_KEY,
    STORE_FORMAT,
    close_reader,
    existing_keys,
    is_chip_store,
    open_reader,
    open_writer,
    put_records,
    read_records,
)
from eoforge.data.chip_store.queried_dataset import QueriedDataset
from eoforge.data.chip_store.record import encode_sample, read_record_metadata
from eoforge.errors import EoforgeError, OutputExistsError

__all__ = ["write_chip_store"]

DEFAULT_MAP_SIZE = 1 << 30
"""The first map size (1 GiB; it doubles whenever a transaction does not fit)."""

_READ_BATCH = 8  # samples a worker reads and encodes per request
Encoded = tuple[str, bytes | None, EoforgeError | None]


def _naming(err: EoforgeError, index: int, key: str) -> EoforgeError:
    """The same error, its message prefixed with the sample it is about."""
    message = f"sample {index} ({key!r}): {err}"
    try:
        return type(err)(message)
    except TypeError:
        return EoforgeError(message)


def _as_list(batch: list[Encoded]) -> list[Encoded]:
    """The ``collate_fn`` that keeps a batch as the list the encoder made."""
    return batch


class _Encoder(Dataset[Encoded]):
    """Position ``p`` of the pending list → ``(key, safetensors bytes, None)`` or the error."""

    def __init__(self, dataset: Any, pending: list[tuple[int, str]]) -> None:
        self.dataset = dataset
        self.pending = pending

    def __len__(self) -> int:
        return len(self.pending)

    def _encode(self, sample: Any, index: int, key: str) -> Encoded:
        try:
            return (key, encode_sample(sample), None)
        except EoforgeError as err:
            return (key, None, _naming(err, index, key))

    def _one(self, index: int, key: str) -> Encoded:
        try:
            sample = self.dataset[index]
        except EoforgeError as err:
            return (key, None, _naming(err, index, key))
        return self._encode(sample, index, key)

    def __getitem__(self, position: int) -> Encoded:
        return self._one(*self.pending[position])

    def __getitems__(self, positions: Sequence[int]) -> list[Encoded]:
        todo = [self.pending[p] for p in positions]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems) and len(todo) > 1:
            try:
                samples = getitems([index for index, _ in todo])
            except EoforgeError:  # read them one by one below, to name the sample at fault
                pass
            else:
                return [self._encode(s, i, k) for s, (i, k) in zip(samples, todo, strict=True)]
        return [self._one(index, key) for index, key in todo]


def _encoded(dataset: Any, pending: list[tuple[int, str]], workers: int) -> Iterator[Encoded]:
    loader: DataLoader[Encoded] = DataLoader(
        _Encoder(dataset, pending),
        batch_size=_READ_BATCH,
        num_workers=workers,
        collate_fn=_as_list,
        prefetch_factor=4 if workers else None,
    )
    for batch in loader:
        yield from batch


def _prepare(path: Path, overwrite: bool, resume: bool) -> None:
    """Refuse or clear what is at ``path`` before writing."""
    if not path.exists():
        return
    if is_chip_store(path):
        if overwrite:
            shutil.rmtree(path)
        elif not resume:
            (meta,) = read_records(open_reader(path), [META_KEY])
            state = "incomplete" if meta is None else "complete"
            raise OutputExistsError(
                f"{path} already holds a {state} chip store; pass overwrite=True (--overwrite) "
                "to replace it, or resume=True (--resume) to finish or extend it"
            )
        return
    if path.is_dir() and not any(path.iterdir()):
        return
    raise OutputExistsError(
        f"{path} exists and is not a chip store; give another path (overwrite replaces chip "
        "stores only)"
    )


def _progress(enabled: bool) -> Progress:
    console = Console(stderr=True)
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not (enabled and console.is_terminal),
    )


def _first_bands(env: lmdb.Environment, key: str) -> Any:
    """The ``bands`` of the stored record ``key`` (for datasets without a ``bands`` attribute)."""
    (data,) = read_records(env, [key.encode()])
    if data is None:
        return None
    bands = read_record_metadata(data).get("bands")
    return None if bands is None else json.loads(bands)


def _check_options(dataset: Any, order: list[int], workers: int, batch_commit: int) -> None:
    if workers < 0 or batch_commit < 1:
        raise EoforgeError(
            f"workers={workers}, batch_commit={batch_commit} are not valid; give workers >= 0 "
            "and batch_commit >= 1"
        )
    if not order:
        raise EoforgeError("there is nothing to convert: the dataset (or indexes) is empty")
    try:
        size = len(dataset)
    except TypeError:
        return
    bad = [i for i in order if not 0 <= i < size]
    if bad:
        raise EoforgeError(
            f"index {bad[0]} is outside the dataset's {size} samples; give indexes in 0…{size - 1}"
        )


def write_chip_store(
    dataset: Any,
    path: str | Path,
    *,
    indexes: Sequence[int] | None = None,
    workers: int = 0,
    overwrite: bool = False,
    resume: bool = True,
    map_size: int | None = None,
    progress: bool = True,
    batch_commit: int = 256,
) -> Path:
    """Write the samples of a dataset into a chip store (one LMDB environment) at ``path``.

    Args:
        dataset: any map-style dataset of sample dicts (``len`` + ``dataset[i]``: a benchmark
            dataset, a user dataset, a list), or a pair ``(dataset, queries)`` for a
            query-indexed dataset such as :class:`~eoforge.data.GeoDataset` (sample ``i`` is
            ``dataset[queries[i]]``, see :class:`QueriedDataset`).
        path: the store's folder (created).
        indexes: the samples to write, in order (default: all); the store keeps this order.
        workers: processes reading and serialising samples (``0``: in this process).
        overwrite: replace an existing chip store at ``path``.
        resume: finish (or extend) an existing store, skipping the keys it holds.
        map_size: the first LMDB map size in bytes (default 1 GiB); it grows when needed.
        progress: show a progress bar (on a terminal).
        batch_commit: records per LMDB transaction: after a crash or Ctrl-C the store is valid
            up to the last commit.

    Returns:
        ``path``. ``ChipStore(path).meta["last_run"]`` counts the samples written and skipped.

    Raises:
        OutputExistsError: if ``path`` is a chip store and neither ``overwrite`` nor ``resume``
            is set, if ``path`` is something else, or if a resumed store was started from
            another dataset, split, bands or queries.
        EoforgeError: if a sample cannot be kept (the message names sample and key), two
            samples have one id, or an index is outside the dataset.
    """
    if isinstance(dataset, tuple) and len(dataset) == 2 and not isinstance(dataset[0], Mapping):
        dataset = QueriedDataset(*dataset)  # (dataset, queries), not a tuple of two samples
    path = Path(path)
    order = list(range(len(dataset))) if indexes is None else [int(i) for i in indexes]
    _check_options(dataset, order, workers, batch_commit)
    keys = sample_keys(dataset, order)
    description = describe_dataset(dataset)
    _prepare(path, overwrite, resume)
    close_reader(path)
    started = time.perf_counter()
    env = open_writer(path, int(map_size or DEFAULT_MAP_SIZE))
    try:
        (stored_plan,) = read_records(env, [PLAN_KEY])
        conflict = plan_conflict(stored_plan, description)
        if conflict is not None:
            raise OutputExistsError(
                f"{path} holds a chip store of another conversion ({conflict}); pass "
                "overwrite=True (--overwrite) to replace it, or give another path"
            )
        present = existing_keys(env)
        pending = [(i, k) for i, k in zip(order, keys, strict=True) if k.encode() not in present]
        skipped = len(order) - len(pending)
        # From here until __meta__ is written again, the store is incomplete.
        put_records(env, [(PLAN_KEY, plan_record(description))], delete=[META_KEY] * bool(pending))
        written = _write_pending(env, dataset, pending, workers, batch_commit, progress, skipped)
        if description["bands"] is None:
            description["bands"] = _first_bands(env, keys[0])
        meta = {
            "format": STORE_FORMAT,
            "format_version": FORMAT_VERSION,
            **description,
            "count": len(keys),
            "keys": keys,
            "eoforge_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "last_run": {
                "written": written,
                "skipped": skipped,
                "workers": workers,
                "seconds": round(time.perf_counter() - started, 3),
            },
        }
        put_records(env, [(META_KEY, json.dumps(meta).encode())])
    finally:
        env.close()
    return path


def _write_pending(
    env: lmdb.Environment,
    dataset: Any,
    pending: list[tuple[int, str]],
    workers: int,
    batch_commit: int,
    progress: bool,
    skipped: int,
) -> int:
    """Read, encode and commit the pending samples; return how many were written."""
    if not pending:
        return 0
    buffer: list[tuple[bytes, bytes]] = []
    started = time.perf_counter()
    with _progress(progress) as bar, CommitThread(env) as commits:
        task = bar.add_task("chip store", total=skipped + len(pending), completed=skipped, rate="")
        for done, (key, data, error) in enumerate(_encoded(dataset, pending, workers), start=1):
            if error is not None:
                raise error
            assert data is not None
            buffer.append((key.encode(), data))
            if len(buffer) >= batch_commit:
                commits.submit(buffer)
                buffer = []
            rate = done / max(time.perf_counter() - started, 1e-9)
            bar.update(task, advance=1, rate=f"{rate:.1f} samples/s")
        if buffer:
            commits.submit(buffer)
    return commits.committed
