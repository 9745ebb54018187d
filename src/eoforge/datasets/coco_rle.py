"""COCO run-length encoded masks (RLE), decoded without ``pycocotools``.

A COCO RLE segmentation is ``{"size": [height, width], "counts": …}``: the lengths of alternating
runs of 0 and 1 (starting with 0) over the mask's pixels in **column-major** order (down the
first column, then the next). ``counts`` is either a list of integers (*uncompressed* RLE, the
``iscrowd`` annotations of COCO files) or a string (*compressed* RLE, what
``pycocotools.mask.encode`` writes): each count is stored as a difference to the count two
places before it (from the fourth count on), in little-endian groups of 5 bits, each group a
character ``chr(48 + bits)`` with bit 6 (value 32) set when another group follows and bit 5
(value 16) of the last group the sign.

Example:
    >>> decode_rle({"size": [2, 3], "counts": [1, 2, 3]}).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0]]
    >>> rle_counts("1114")  # the fourth count is stored as 4 more than the second
    [1, 1, 1, 5]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError

__all__ = ["decode_rle", "rle_counts"]


def rle_counts(counts: str | bytes) -> list[int]:
    """The run lengths of a compressed COCO RLE string.

    Raises:
        EoforgeError: the string ends in the middle of a count, or holds a character outside
            the encoding (ASCII 48-111).

    Example:
        >>> rle_counts("T3"), rle_counts("051M")
        ([100], [0, 5, 1, 2])
    """
    text = counts.decode("ascii") if isinstance(counts, bytes) else counts
    values: list[int] = []
    position = 0
    while position < len(text):
        value, shift, more = 0, 0, True
        while more:
            if position >= len(text):
                raise EoforgeError(
                    f"the compressed RLE {text[:40]!r} ends in the middle of a count; the "
                    "annotation is truncated: export the COCO file again"
                )
            bits = ord(text[position]) - 48
            if not 0 <= bits < 64:
                raise EoforgeError(
                    f"the compressed RLE {text[:40]!r} holds {text[position]!r}, which is not "
                    "a COCO RLE character (ASCII 48-111); export the COCO file again"
                )
            value |= (bits & 0x1F) << shift
            more = bool(bits & 0x20)
            shift += 5
            position += 1
            if not more and bits & 0x10:
                value |= -1 << shift  # negative: extend the sign
        if len(values) > 2:
            value += values[-2]
        values.append(value)
    return values


def decode_rle(segmentation: Mapping[str, Any]) -> np.ndarray:
    """The boolean ``(height, width)`` mask of a COCO RLE (compressed or uncompressed).

    Raises:
        EoforgeError: ``size`` or ``counts`` is missing or malformed, a count is negative, or
            the counts do not add up to ``height * width``.

    Example:
        >>> decode_rle({"size": [2, 2], "counts": "022"}).astype(int).tolist()
        [[1, 0], [1, 0]]
    """
    try:
        height, width = (int(v) for v in segmentation["size"])
        raw = segmentation["counts"]
    except (KeyError, TypeError, ValueError) as err:
        raise EoforgeError(
            f"RLE segmentation {str(dict(segmentation))[:80]} has no valid 'size' [height, "
            "width] and 'counts'; fix the COCO file"
        ) from err
    counts: Sequence[int] = rle_counts(raw) if isinstance(raw, str | bytes) else list(raw)
    runs = np.asarray(counts, dtype=np.int64)
    if runs.size and runs.min() < 0:
        raise EoforgeError(f"RLE counts {list(counts)[:10]} hold a negative run; fix the COCO file")
    if int(runs.sum()) != height * width:
        raise EoforgeError(
            f"RLE counts add up to {int(runs.sum())} pixels, not {height} x {width} = "
            f"{height * width}; the segmentation does not fit its 'size': fix the COCO file"
        )
    values = np.arange(runs.size) % 2 == 1
    flat = np.repeat(values, runs)
    return np.asarray(flat.reshape(width, height).T)
