"""Checks of a chip dataset's description and of the ``split`` and ``bands`` asked of it.

They run where a mistake is cheapest to see: :func:`check_dataset_class` when a subclass of
:class:`~eoforge.datasets.ChipDataset` is defined (so a wrong class attribute fails on import, not
in the middle of a training run), :func:`check_split` and :func:`check_bands` when a dataset is
constructed (before anything is downloaded).

Example:
    >>> check_bands(["b04", "B03"], ("B02", "B03", "B04"), (), "Tiny")
    ['B04', 'B03']
    >>> check_split("val", ("train", "val"), "Tiny")
    'val'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from eoforge.errors import BandNotFoundError, EoforgeError, UnknownNameError

__all__ = ["TASKS", "check_bands", "check_dataset_class", "check_split"]

TASKS: tuple[str, ...] = ("classification", "multilabel", "segmentation", "regression", "instances")
"""The tasks a chip dataset can be made for; each fixes the label key of the samples."""

_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")


def check_split(split: str, splits: Sequence[str], title: str) -> str:
    """``split`` when it is one of ``splits``.

    Raises:
        UnknownNameError: it is not (the message lists the valid splits, with a close match).

    Example:
        >>> check_split("tset", ("train", "test"), "Tiny")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.UnknownNameError: Tiny has no split 'tset' (did you mean 'test'?); ...
    """
    if isinstance(split, str) and split in splits:
        return split
    close = difflib.get_close_matches(str(split), list(splits), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    valid = ", ".join(repr(s) for s in splits)
    raise UnknownNameError(f"{title} has no split {split!r}{hint}; use one of {valid}")


def check_bands(
    bands: Sequence[str] | str | None,
    all_bands: Sequence[str],
    default_bands: Sequence[str],
    title: str,
) -> list[str]:
    """The requested band names (official spelling, in the order asked), or the default ones.

    Names match exactly, else case-insensitively (``"b8a"`` is ``"B8A"``).

    Args:
        bands: the names asked for (one name or several), or ``None`` for ``default_bands``.
        all_bands: every band of the dataset.
        default_bands: the bands used when none are asked for (``all_bands`` when empty).
        title: the dataset's name, for the messages.

    Raises:
        BandNotFoundError: a name is not a band of the dataset (the message lists them).
        EoforgeError: no band, or a band twice.

    Example:
        >>> check_bands(None, ("VV", "VH"), (), "S1")
        ['VV', 'VH']
        >>> check_bands(["HH"], ("VV", "VH"), (), "S1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.BandNotFoundError: S1 has no band 'HH'; its bands are VV, VH; ...
    """
    if bands is None:
        return list(default_bands or all_bands)
    asked = [bands] if isinstance(bands, str) else list(bands)
    if not asked:
        raise EoforgeError(f"bands=[] selects no band of {title}; give at least one, or None")
    folded = {b.lower(): b for b in all_bands}
    picked: list[str] = []
    missing: list[str] = []
    for name in asked:
        found = name if name in all_bands else folded.get(str(name).lower())
        if found is None:
            missing.append(str(name))
        else:
            picked.append(found)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        shown = ", ".join(repr(m) for m in missing)
        raise BandNotFoundError(
            f"{title} has no band{plural} {shown}; its bands are {', '.join(all_bands)}; "
            f"choose among them, e.g. bands={list(all_bands[:3])}"
        )
    twice = sorted({b for b in picked if picked.count(b) > 1})
    if twice:
        raise EoforgeError(f"bands={asked} names {twice} more than once; give each band once")
    return picked


def _problems(cls: Any) -> list[str]:
    problems: list[str] = []
    if not _NAME.fullmatch(cls.name):
        problems.append(f"name {cls.name!r} must be lowercase letters, digits and '_'")
    if cls.task not in TASKS:
        problems.append(f"task {cls.task!r} must be one of {', '.join(TASKS)}")
    if cls.colors and len(cls.colors) != len(cls.classes):
        problems.append(f"{len(cls.colors)} colors for {len(cls.classes)} classes (one each)")
    if not cls.all_bands or len(set(cls.all_bands)) != len(cls.all_bands):
        problems.append(f"all_bands {cls.all_bands!r} must name each band once")
    for attribute in ("default_bands", "rgb_bands"):
        value = getattr(cls, attribute)
        if value is not None and not set(value) <= set(cls.all_bands):
            problems.append(f"{attribute} {value!r} must be bands of all_bands")
    if cls.rgb_bands is not None and len(cls.rgb_bands) != 3:
        problems.append(f"rgb_bands {cls.rgb_bands!r} must name three bands")
    if not cls.splits:
        problems.append("splits must name at least one split")
    if cls.task in ("classification", "multilabel", "segmentation") and not cls.classes:
        problems.append(f"a {cls.task} dataset needs its classes")
    return problems


def check_dataset_class(cls: Any) -> None:
    """Check the class attributes of a concrete chip dataset (one whose ``name`` is set).

    Raises:
        EoforgeError: an attribute is inconsistent (the message lists every problem).

    Example:
        >>> class Bad:
        ...     name, task, classes, colors, all_bands = "Bad", "detection", (), (), ("R",)
        ...     default_bands = rgb_bands = None
        ...     splits = ("train",)
        >>> check_dataset_class(Bad)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.EoforgeError: dataset class Bad is not valid: name 'Bad' must be ...
    """
    problems = _problems(cls)
    if problems:
        raise EoforgeError(
            f"dataset class {cls.__name__} is not valid: {'; '.join(problems)}; fix its class "
            "attributes (see docs/datasets.md, 'Adding a dataset')"
        )
