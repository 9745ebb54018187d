"""``DataInfo``: what a model must know of its data — bands, classes, colours, normalisation.

A data module fills it from its data (band names from the files, classes from the labels,
statistics from the training split); a task stores it in its hyper-parameters, so that a checkpoint
alone is enough to predict later: which bands, in which order, normalised how, into which classes.

Example:
    >>> info = DataInfo(bands=("B04", "B08"), classes=("water", "land"),
    ...                 colors=((0, 0, 255), (0, 255, 0)), mean=(500.0, 2000.0), std=(100.0, 400.0))
    >>> DataInfo.from_dict(info.to_dict()) == info
    True
    >>> info.num_classes, info.in_channels
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eoforge.errors import EoforgeError

__all__ = ["DataInfo"]


@dataclass(frozen=True)
class DataInfo:
    """The data-dependent facts a task needs to build, train and later apply its model.

    Attributes:
        bands: band names in channel order (``("B02", "B03", …)``).
        classes: class names, the index being the class id (empty for regression).
        colors: an RGB colour per class (0-255), for maps and figures.
        ignore_index: the label value that marks unlabelled pixels, if any.
        mean: per-band mean of the training pixels (empty: no normalisation).
        std: per-band standard deviation of the training pixels.
        target_name: for regression, the name of the regressed quantity (e.g. ``"AGB"``).
    """

    bands: tuple[str, ...]
    classes: tuple[str, ...] = ()
    colors: tuple[tuple[int, int, int], ...] = ()
    ignore_index: int | None = None
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    target_name: str | None = None

    def __post_init__(self) -> None:
        if not self.bands:
            raise EoforgeError("DataInfo needs the band names, e.g. bands=('B02', 'B03', 'B04')")
        if (self.mean or self.std) and not len(self.mean) == len(self.std) == len(self.bands):
            raise EoforgeError(
                f"DataInfo has {len(self.bands)} bands but {len(self.mean)} means and "
                f"{len(self.std)} standard deviations; give one of each per band"
            )
        if self.colors and len(self.colors) != len(self.classes):
            raise EoforgeError(
                f"DataInfo has {len(self.classes)} classes but {len(self.colors)} colours; give "
                "one colour per class or none"
            )

    @property
    def in_channels(self) -> int:
        """Number of input bands."""
        return len(self.bands)

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.classes)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and numbers (YAML/JSON-friendly, as stored in hyper-parameters)."""
        out = asdict(self)
        for key in ("bands", "classes", "mean", "std"):
            out[key] = list(out[key])
        out["colors"] = [list(c) for c in self.colors]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataInfo:
        """Inverse of :meth:`to_dict` (unknown keys are refused with a clear error)."""
        known = {"bands", "classes", "colors", "ignore_index", "mean", "std", "target_name"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise EoforgeError(
                f"data_info has unknown keys {unknown}; known keys are {sorted(known)}"
            )
        colors: Sequence[Sequence[int]] = data.get("colors") or ()
        return cls(
            bands=tuple(str(b) for b in data.get("bands") or ()),
            classes=tuple(str(c) for c in data.get("classes") or ()),
            colors=tuple((int(c[0]), int(c[1]), int(c[2])) for c in colors),
            ignore_index=None if data.get("ignore_index") is None else int(data["ignore_index"]),
            mean=tuple(float(v) for v in data.get("mean") or ()),
            std=tuple(float(v) for v in data.get("std") or ()),
            target_name=data.get("target_name"),
        )
