"""What a conversion writes: each sample's key and the description of the dataset.

**Keys.** A sample is stored under its dataset's own id when the dataset has one — a method
``sample_id(index) -> str`` (a patch name, a file stem) — else under its index, zero-padded to
the width of the largest index (``"0007"`` in a dataset of 2,000), so that keys sort in order.
Keys are known before any sample is read, which is what lets an interrupted conversion skip what
it has already written.

**Description.** The dataset's class, ``name``, ``task``, ``split``, ``bands``, ``classes``,
``colors`` and ``ignore_index`` attributes, where it has them, as JSON; they become the store's
``__meta__`` and the attributes of :class:`~eoforge.data.ChipStore`. For a
:class:`QueriedDataset`, a digest of its queries too: a conversion resumed with other queries
(an unseeded sampler) would store other samples under the same index keys, and is refused.

Example:
    >>> class Patches:
    ...     bands = ("B04", "B08")
    ...     def __len__(self):
    ...         return 12
    >>> sample_keys(Patches(), [0, 11])
    ['00', '11']
    >>> describe_dataset(Patches())["bands"]
    ['B04', 'B08']
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from eoforge.data.chip_store.environment import META_KEY, PLAN_KEY
from eoforge.data.chip_store.queried_dataset import QueriedDataset
from eoforge.errors import EoforgeError

__all__ = [
    "MAX_KEY_BYTES",
    "describe_dataset",
    "jsonable",
    "plan_conflict",
    "plan_record",
    "sample_keys",
]

MAX_KEY_BYTES = 511
"""LMDB's default largest key, in bytes."""

_ATTRIBUTES = ("name", "task", "split", "bands", "classes", "colors", "ignore_index")
_PLAN_FIELDS = ("dataset", "split", "bands", "queries")


def _index_width(dataset: Any, indexes: Sequence[int]) -> int:
    try:
        largest = len(dataset) - 1
    except TypeError:
        largest = max(indexes, default=0)
    return len(str(max(largest, 0)))


def sample_keys(dataset: Any, indexes: Sequence[int]) -> list[str]:
    """The store key of each of ``indexes``: ``dataset.sample_id(i)`` or the padded index.

    Raises:
        EoforgeError: if a key is empty, reserved (``__meta__``, ``__plan__``), longer than
            511 UTF-8 bytes, or given to two samples.

    Example:
        >>> class Named:
        ...     def sample_id(self, index):
        ...         return f"patch_{index}"
        >>> sample_keys(Named(), [3, 1])
        ['patch_3', 'patch_1']
    """
    sample_id = getattr(dataset, "sample_id", None)
    if callable(sample_id):
        keys = [str(sample_id(i)) for i in indexes]
    else:
        width = _index_width(dataset, indexes)
        keys = [f"{i:0{width}d}" for i in indexes]
    seen: dict[str, int] = {}
    reserved = {META_KEY.decode(), PLAN_KEY.decode()}
    for index, key in zip(indexes, keys, strict=True):
        if not key or key in reserved or len(key.encode()) > MAX_KEY_BYTES:
            raise EoforgeError(
                f"sample {index} has the id {key!r:.80}, which cannot be a chip-store key (keys "
                f"are 1–{MAX_KEY_BYTES} UTF-8 bytes, not {sorted(reserved)}); make the "
                "dataset's sample_id() return a short, unique name"
            )
        if key in seen:
            raise EoforgeError(
                f"samples {seen[key]} and {index} have the same id {key!r}; a chip store needs "
                "one id per sample: make the dataset's sample_id() unique (or pass each index "
                "once)"
            )
        seen[key] = index
    return keys


def jsonable(value: Any, what: str) -> Any:
    """``value`` as JSON (tuples → lists, numpy values → Python ones), or an error naming it.

    Example:
        >>> import numpy as np
        >>> jsonable([(0, 0, 255), np.array([1, 2])], "colors")
        [[0, 0, 255], [1, 2]]
    """
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, list | tuple | str):
        value = tolist()
    if isinstance(value, list | tuple):
        return [jsonable(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v, what) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise EoforgeError(
        f"the dataset's {what!r} ({value!r:.60}) cannot be written to the chip store's metadata "
        f"as JSON; make {what} a list of strings or numbers"
    )


def describe_dataset(dataset: Any) -> dict[str, Any]:
    """The dataset's class path and describing attributes (``None`` where it has none).

    Example:
        >>> describe_dataset([1, 2])["dataset"], describe_dataset([1, 2])["classes"]
        ('builtins.list', None)
    """
    queried = isinstance(dataset, QueriedDataset)
    inner = dataset.dataset if queried else dataset
    cls = type(inner)
    description: dict[str, Any] = {"dataset": f"{cls.__module__}.{cls.__qualname__}"}
    if queried:  # a resumed conversion must read the same queries under the same index keys
        text = "\n".join(repr(q) for q in dataset.queries).encode()
        description["queries"] = hashlib.sha256(text).hexdigest()[:16]
    for name in _ATTRIBUTES:
        value = getattr(dataset, name, None)
        description[name] = None if callable(value) else jsonable(value, name)
    if description["name"] is None:
        description["name"] = cls.__name__
    return description


def plan_conflict(stored: bytes | None, description: dict[str, Any]) -> str | None:
    """How the store's recorded plan differs from this conversion's (``None``: it does not).

    Example:
        >>> plan_conflict(json.dumps({"dataset": "a.B", "split": "val"}).encode(),
        ...               {"dataset": "a.B", "split": "train", "bands": None})
        "split: 'val' in the store, 'train' now"
    """
    if stored is None:
        return None
    plan = json.loads(stored)
    for field in _PLAN_FIELDS:
        if plan.get(field) != description.get(field):
            return f"{field}: {plan.get(field)!r} in the store, {description.get(field)!r} now"
    return None


def plan_record(description: dict[str, Any]) -> bytes:
    """The ``__plan__`` record of a conversion (the fields a resumed run must agree with).

    Example:
        >>> plan_record({"dataset": "a.B", "split": None, "bands": ["B02"], "name": "x"})
        b'{"dataset": "a.B", "split": null, "bands": ["B02"], "queries": null}'
    """
    return json.dumps({field: description.get(field) for field in _PLAN_FIELDS}).encode()
