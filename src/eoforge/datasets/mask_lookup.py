"""``MaskLookup``: turn a label image into class ids — by RGB colour or by raw value.

Label images come as RGB drawings (LandCover.ai-style colour masks, annotation tools' PNGs) or as
single-band codes that are not 0…K-1 (``{0: 0, 255: 1}``, CORINE codes). A lookup maps each
colour or value to a class id; any colour or value not in its table becomes ``ignore_index``,
so an unexpected label never passes as a class.

Example:
    >>> import numpy as np
    >>> lookup = MaskLookup.from_colors({(0, 0, 0): 0, (255, 0, 0): 1}, ignore_index=255)
    >>> rgb = np.array([[[0, 255]], [[0, 0]], [[0, 0]]], dtype="uint8")  # (3, 1, 2): black, red
    >>> lookup(rgb).tolist()
    [[0, 1]]
    >>> MaskLookup.from_ids({10: 0, 20: 1}, ignore_index=255)(np.array([[10, 30]])).tolist()
    [[0, 255]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from eoforge.errors import EoforgeError

__all__ = ["MaskLookup", "parse_colors", "parse_ids"]


def _rgb_key(color: Any) -> tuple[int, int, int]:
    """``(r, g, b)`` from a tuple/list or a ``"r,g,b"`` / ``"#rrggbb"`` string."""
    if isinstance(color, str):
        text = color.strip()
        if text.startswith("#") and len(text) == 7:
            return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
        color = [p for p in text.strip("()[] ").replace(",", " ").split() if p]
    values = [int(v) for v in color]
    if len(values) < 3 or not all(0 <= v <= 255 for v in values[:3]):
        raise ValueError(color)
    return (values[0], values[1], values[2])


def parse_colors(
    colors: Mapping[Any, int] | Sequence[Sequence[int]],
) -> dict[tuple[int, int, int], int]:
    """``{(r, g, b): class id}`` from a mapping or from a list of colours (position = id).

    Mapping keys may be tuples, lists' string forms ``"255,0,0"`` or hex ``"#ff0000"`` (YAML
    configs cannot hold tuple keys).

    Raises:
        EoforgeError: a colour is not three values 0-255, or an id is not an integer.

    Example:
        >>> parse_colors([(0, 0, 0), (255, 0, 0)])
        {(0, 0, 0): 0, (255, 0, 0): 1}
        >>> parse_colors({"#00ff00": 3})
        {(0, 255, 0): 3}
    """
    items = colors.items() if isinstance(colors, Mapping) else enumerate(colors)
    table: dict[tuple[int, int, int], int] = {}
    for first, second in items:
        color, class_id = (first, second) if isinstance(colors, Mapping) else (second, first)
        class_id = cast(Any, class_id)
        try:
            table[_rgb_key(color)] = int(class_id)
        except (TypeError, ValueError) as err:
            raise EoforgeError(
                f"colors entry {color!r}: {class_id!r} is not valid; map RGB colours to class "
                "ids, e.g. colors={(0, 0, 0): 0, (255, 0, 0): 1}, or list one colour per class "
                "id, e.g. colors=[[0, 0, 0], [255, 0, 0]]"
            ) from err
    return table


def parse_ids(ids: Mapping[Any, Any]) -> dict[int, int]:
    """``{raw mask value: class id}`` with integer keys (YAML may give them as strings).

    Raises:
        EoforgeError: a key or value is not an integer.

    Example:
        >>> parse_ids({"0": 0, "255": "1"})
        {0: 0, 255: 1}
    """
    try:
        return {int(k): int(v) for k, v in ids.items()}
    except (TypeError, ValueError, AttributeError) as err:
        raise EoforgeError(
            f"ids={ids!r} is not valid; map raw mask values to class ids, e.g. ids={{0: 0, 255: 1}}"
        ) from err


@dataclass(frozen=True)
class MaskLookup:
    """A table from mask colours or values to class ids; anything else is ``ignore_index``.

    Attributes:
        keys: the sorted packed keys (values, or colours packed as ``r << 16 | g << 8 | b``).
        ids: the class id of each key.
        ignore_index: the id of colours or values not in the table.
        by_color: whether the keys are RGB colours (masks of 3 or 4 bands).
    """

    keys: np.ndarray
    ids: np.ndarray
    ignore_index: int
    by_color: bool

    @classmethod
    def from_colors(
        cls, colors: Mapping[Any, int] | Sequence[Sequence[int]], ignore_index: int = 255
    ) -> MaskLookup:
        """A lookup of RGB colours (see :func:`parse_colors`).

        Example:
            >>> MaskLookup.from_colors([(9, 9, 9)]).by_color
            True
        """
        table = parse_colors(colors)
        packed = {(r << 16) | (g << 8) | b: i for (r, g, b), i in table.items()}
        return cls._of(packed, ignore_index, by_color=True)

    @classmethod
    def from_ids(cls, ids: Mapping[Any, Any], ignore_index: int = 255) -> MaskLookup:
        """A lookup of raw single-band values (see :func:`parse_ids`).

        Example:
            >>> MaskLookup.from_ids({1: 0}).by_color
            False
        """
        return cls._of(parse_ids(ids), ignore_index, by_color=False)

    @classmethod
    def _of(cls, table: Mapping[int, int], ignore_index: int, by_color: bool) -> MaskLookup:
        keys = np.asarray(sorted(table), dtype=np.int64)
        return cls(keys, np.asarray([table[k] for k in keys.tolist()], np.int64), ignore_index,
                   by_color)  # fmt: skip

    def __call__(self, mask: np.ndarray, source: str = "the mask") -> np.ndarray:
        """The ``(H, W)`` int64 class ids of a mask (``(3|4, H, W)`` colours, or ``(H, W)``).

        Raises:
            EoforgeError: the mask has the wrong number of bands for this lookup.
        """
        values = np.asarray(mask)
        if self.by_color:
            if values.ndim != 3 or values.shape[0] not in (3, 4):
                raise EoforgeError(
                    f"{source} has shape {values.shape}, not RGB (3, H, W); colour tables need "
                    "RGB masks: use ids={{value: id}} for single-band masks"
                )
            rgb = values[:3].astype(np.int64)
            packed = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
        else:
            if values.ndim == 3 and values.shape[0] == 1:
                values = values[0]
            if values.ndim != 2:
                raise EoforgeError(
                    f"{source} has shape {values.shape}, not one band (H, W); id tables need "
                    "single-band masks: use colors={{(r, g, b): id}} for RGB masks"
                )
            packed = values.astype(np.int64)
        if self.keys.size == 0:
            return np.full(packed.shape, self.ignore_index, dtype=np.int64)
        at = np.clip(np.searchsorted(self.keys, packed), 0, self.keys.size - 1)
        found = self.keys[at] == packed
        return np.where(found, self.ids[at], self.ignore_index).astype(np.int64)
