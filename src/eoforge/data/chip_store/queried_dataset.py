"""``QueriedDataset``: a query-indexed dataset with a fixed list of queries, indexed ``0…n-1``.

A :class:`~eoforge.data.GeoDataset` is indexed by queries (grids), not by numbers. Fixing its
queries — e.g. the patches a sampler draws — gives a map-style dataset of ``n`` samples that
:func:`~eoforge.data.write_chip_store` can convert (it also accepts the pair
``(dataset, queries)`` and wraps it so).

Example:
    >>> squares = {q: {"value": q * q} for q in (2, 3, 5)}
    >>> ds = QueriedDataset(squares, [5, 2])
    >>> len(ds), ds[0], ds[1]
    (2, {'value': 25}, {'value': 4})
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from torch.utils.data import Dataset

__all__ = ["QueriedDataset"]

_DESCRIBING = ("bands", "classes", "colors", "ignore_index", "split", "task", "name")


class QueriedDataset(Dataset[Any]):
    """Sample ``i`` is ``dataset[queries[i]]``; batches read through ``dataset.__getitems__``.

    The describing attributes of ``dataset`` (``bands``, ``classes``, ``colors``,
    ``ignore_index``, ``split``, ``task``, ``name``), where it has them, are copied, so that a
    chip store written from it records them.

    Args:
        dataset: any dataset indexed by queries (``dataset[query]`` → sample dict).
        queries: the queries, in order (a list, or any iterable such as a sampler).

    Example:
        >>> ds = QueriedDataset({"a": {"x": 1}}, iter(["a"]))
        >>> ds.queries, ds.__getitems__([0])
        (['a'], [{'x': 1}])
    """

    def __init__(self, dataset: Any, queries: Iterable[Any]) -> None:
        self.dataset = dataset
        self.queries = list(queries)
        for name in _DESCRIBING:
            if hasattr(dataset, name):
                setattr(self, name, getattr(dataset, name))

    def __len__(self) -> int:
        return len(self.queries)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.queries[index]]

    def __getitems__(self, indexes: Sequence[int]) -> list[Any]:
        """The samples of several indexes, read together when the dataset can batch reads."""
        queries = [self.queries[i] for i in indexes]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return list(getitems(queries))
        return [self.dataset[q] for q in queries]
