"""The registry of benchmark datasets: ``register_dataset``, ``list_datasets``, ``get_dataset``.

A dataset module registers its class with the :func:`register_dataset` decorator, under the
class's ``name``. eoforge's own datasets are listed in :data:`BUILTIN_DATASETS` by name and module
and imported on their first look-up, so that ``import eoforge.datasets`` stays cheap.

Example:
    >>> from eoforge.datasets import ChipDataset
    >>> @register_dataset
    ... class Doc(ChipDataset):
    ...     name, classes, all_bands = "doc_registry", ("a", "b"), ("R", "G", "B")
    >>> get_dataset("doc_registry") is Doc, "doc_registry" in list_datasets()
    (True, True)
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Final, TypeVar

from eoforge.errors import EoforgeError, UnknownNameError

if TYPE_CHECKING:
    from eoforge.datasets.chip_dataset import ChipDataset

__all__ = ["BUILTIN_DATASETS", "get_dataset", "list_datasets", "register_dataset"]

D = TypeVar("D", bound="type[ChipDataset]")

BUILTIN_DATASETS: Final[dict[str, str]] = {
    "agbd": "eoforge.datasets.agbd",
    "bigearthnet": "eoforge.datasets.bigearthnet",
    "eurosat": "eoforge.datasets.eurosat",
    "eurosat_rgb": "eoforge.datasets.eurosat_rgb",
    "kurosiwo": "eoforge.datasets.kurosiwo",
    "landcoverai": "eoforge.datasets.landcoverai",
    "oamtcd": "eoforge.datasets.oamtcd",
    "reben": "eoforge.datasets.reben",
    "reben_maps": "eoforge.datasets.reben_maps",
    "so2sat": "eoforge.datasets.so2sat",
}
"""eoforge's own benchmark datasets: registry name → module that defines (and registers) it.

The module is imported on the first look-up of its name, so listing names costs no import. A
new built-in dataset adds one line here, e.g. ``"eurosat": "eoforge.datasets.eurosat"``.
"""

_REGISTRY: dict[str, type[ChipDataset]] = {}


def _load_builtin(name: str) -> None:
    module = BUILTIN_DATASETS.get(name)
    if module is not None and name not in _REGISTRY:
        importlib.import_module(module)
        if name not in _REGISTRY:
            raise EoforgeError(
                f"{module} does not register a dataset named {name!r}; decorate its class with "
                "@register_dataset and set name = " + repr(name)
            )


def register_dataset(cls: D) -> D:
    """Register a :class:`~eoforge.datasets.ChipDataset` subclass under its ``name``.

    Raises:
        EoforgeError: the class has no ``name``, or another class holds that name.

    Example:
        >>> from eoforge.datasets import ChipDataset
        >>> register_dataset(ChipDataset)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.EoforgeError: ChipDataset has no name; ...
    """
    name = getattr(cls, "name", "")
    if not name:
        raise EoforgeError(
            f"{cls.__name__} has no name; set the class attribute name = '…' (lowercase) "
            "before registering it"
        )
    held = _REGISTRY.get(name)
    same = held is not None and (held.__module__, held.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    )  # the same class again (a module imported twice, reloaded): take the new one
    if held is not None and not same:
        raise EoforgeError(
            f"the dataset name {name!r} is taken by {held.__module__}.{held.__qualname__}; "
            f"give {cls.__qualname__} another name"
        )
    _REGISTRY[name] = cls
    return cls


def list_datasets() -> list[str]:
    """The registered dataset names, sorted.

    Example:
        >>> isinstance(list_datasets(), list)
        True
    """
    return sorted({*BUILTIN_DATASETS, *_REGISTRY})


def get_dataset(name: str) -> type[ChipDataset]:
    """The dataset class registered under ``name`` (case-insensitive).

    Raises:
        UnknownNameError: no dataset has that name (the message lists them, with a close match).

    Example:
        >>> get_dataset("no_such_dataset")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.UnknownNameError: unknown dataset 'no_such_dataset'...
    """
    key = name.lower()
    _load_builtin(key)
    if key in _REGISTRY:
        return _REGISTRY[key]
    names = list_datasets()
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    message = f"unknown dataset {name!r}"
    if close:
        message += f" (did you mean {close[0]!r}?)"
    known = ", ".join(names) or "none yet"
    raise UnknownNameError(f"{message}; registered datasets: {known} (eoforge datasets list)")
