"""``ChipStore``: the samples of a chip store, as a map-style dataset.

It returns exactly the sample dicts its source returned when the store was written — tensors
equal bit for bit, same dtypes, the same ``grid`` and ``bands`` — reading one LMDB record and
decoding one safetensors buffer per sample. The environment is opened once per process, read-only
and without locks, so the store works in ``DataLoader`` workers (forked or spawned) and on
read-only file systems.

Example:
    >>> import tempfile, torch
    >>> from eoforge.data.chip_store import write_chip_store
    >>> class Tiles(torch.utils.data.Dataset):
    ...     classes, bands = ["sea", "land"], ["B04", "B08"]
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, i):
    ...         return {"image": torch.full((2, 4, 4), float(i)), "label": torch.tensor(i % 2)}
    ...     def sample_id(self, i):
    ...         return f"tile_{i}"
    >>> store = ChipStore(write_chip_store(Tiles(), tempfile.mkdtemp() + "/s", progress=False))
    >>> store.keys, store.classes, store[2]["label"]
    (['tile_0', 'tile_1', 'tile_2'], ['sea', 'land'], tensor(0))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from eoforge.data.chip_store.environment import open_reader, read_meta, read_records
from eoforge.data.chip_store.record import decode_sample
from eoforge.errors import EoforgeError

__all__ = ["ChipStore"]

Sample = dict[str, Any]


class ChipStore(Dataset[Sample]):
    """A chip store written by :func:`~eoforge.data.write_chip_store`, sample by sample.

    Args:
        path: the store's folder.
        transforms: an optional callable applied to every sample dict, returning a sample dict.
        keys: the samples to expose, by key, in this order (default: all, in the store's order),
            e.g. one split of a store that holds several.
        max_readers: LMDB's ``max_readers`` of the read-only environment.

    Attributes:
        meta: the store's ``__meta__`` record (a dict; see ``docs/chip-store.md``).
        keys: the keys of the samples, in index order.
        bands, classes, colors, ignore_index, split, task, name: the source dataset's attributes
            (``None`` where it had none).

    Raises:
        NoFilesError: if there is no chip store at ``path``.
        EoforgeError: if the store is incomplete (the message says how to finish it), or a key
            of ``keys`` is not in it.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        transforms: Callable[[Sample], Sample] | None = None,
        keys: Iterable[str] | None = None,
        max_readers: int = 2048,
    ) -> None:
        self.path = Path(path)
        self.transforms = transforms
        self.max_readers = max_readers
        self.meta: dict[str, Any] = read_meta(self.path, max_readers)
        stored: list[str] = list(self.meta["keys"])
        if keys is None:
            self.keys = stored
        else:
            self.keys = list(keys)
            missing = set(self.keys) - set(stored)
            if missing:
                first = next(k for k in self.keys if k in missing)
                raise EoforgeError(
                    f"key {first!r} (and {len(missing) - 1} more) is not in the chip store "
                    f"{self.path} of {len(stored)} samples; give keys from ChipStore(path).keys"
                )
        self._encoded = [key.encode() for key in self.keys]
        self.bands: list[str] | None = self.meta.get("bands")
        self.classes: list[str] | None = self.meta.get("classes")
        self.colors: list[Any] | None = self.meta.get("colors")
        self.ignore_index: int | None = self.meta.get("ignore_index")
        self.split: str | None = self.meta.get("split")
        self.task: str | None = self.meta.get("task")
        self.name: str | None = self.meta.get("name")

    def __len__(self) -> int:
        return len(self.keys)

    def sample_id(self, index: int) -> str:
        """The key of sample ``index`` (so that converting a store again keeps its keys).

        Example:
            >>> import tempfile
            >>> from eoforge.data.chip_store import write_chip_store
            >>> ChipStore(write_chip_store([{"v": 1}], tempfile.mkdtemp() + "/s",
            ...                            progress=False)).sample_id(0)
            '0'
        """
        return self.keys[index]

    def _decode(self, data: bytes | None, key: bytes) -> Sample:
        if data is None:
            raise EoforgeError(
                f"the record {key.decode()!r} is missing from the chip store {self.path}, "
                "though its __meta__ lists it; the store is damaged — write it again with "
                "overwrite=True (--overwrite)"
            )
        sample = decode_sample(data)
        return sample if self.transforms is None else self.transforms(sample)

    def __getitem__(self, index: int) -> Sample:
        """The sample dict at ``index`` (then passed through ``transforms``)."""
        key = self._encoded[index]
        (data,) = read_records(open_reader(self.path, self.max_readers), [key])
        return self._decode(data, key)

    def __getitems__(self, indexes: Sequence[int]) -> list[Sample]:
        """The samples at ``indexes``, read in one LMDB transaction (``DataLoader`` batches).

        Example:
            >>> import tempfile
            >>> from eoforge.data.chip_store import write_chip_store
            >>> path = write_chip_store([{"v": i} for i in range(4)], tempfile.mkdtemp() + "/s",
            ...                         progress=False)
            >>> [s["v"] for s in ChipStore(path).__getitems__([3, 0])]
            [3, 0]
        """
        keys = [self._encoded[i] for i in indexes]
        records = read_records(open_reader(self.path, self.max_readers), keys)
        return [self._decode(data, key) for data, key in zip(records, keys, strict=True)]

    def __repr__(self) -> str:
        bands = "" if self.bands is None else f", bands={self.bands}"
        return f"ChipStore({str(self.path)!r}, {len(self)} samples of {self.name}{bands})"
