"""Rasterize COCO instance annotations (polygons or RLE) onto a window of their image's pixels.

A COCO annotation's ``segmentation`` is either a list of polygons ``[[x1, y1, x2, y2, …], …]``
in pixel coordinates (x to the right, y down, ``(0, 0)`` the top-left corner of the top-left
pixel), or an RLE ``{"size": [h, w], "counts": …}`` (see :mod:`eoforge.datasets.coco_rle`).
Polygons are burned with the pixel-centre rule (a pixel belongs to the polygon when its centre
lies inside, as GDAL rasterizes; the parts of one annotation are united); no ``pycocotools``
is needed. An RLE covers the whole image, unless it is *local*: the Restor TCD pipeline writes
masks the size of the annotation's ``bbox`` and marks them ``"global": 0`` — such masks are
placed at the box's top-left corner.

:func:`segmentation_mask` returns the pixels of one annotation inside a window as a
:class:`PixelMask` (a boolean mask cropped to its tight box, and where that box lies).

Example:
    >>> square = {"segmentation": [[2, 1, 5, 1, 5, 3, 2, 3]], "bbox": [2, 1, 3, 2]}
    >>> found = segmentation_mask(square, (8, 8))
    >>> found.box, found.mask.sum()
    ((2, 1, 5, 3), np.int64(6))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from rasterio import features

from eoforge.datasets.coco_rle import decode_rle
from eoforge.errors import EoforgeError

__all__ = ["PixelMask", "paste_masks", "segmentation_mask"]

Window = tuple[int, int, int, int]
"""``(row, col, height, width)`` of a window of an image, in pixels."""


@dataclass(frozen=True)
class PixelMask:
    """A boolean mask of ``mask.shape`` pixels whose top-left pixel is at ``row``, ``col``.

    ``row`` and ``col`` are relative to the window the mask was rasterized for.

    Example:
        >>> PixelMask(4, 2, np.ones((3, 5), bool)).box
        (2, 4, 7, 7)
    """

    row: int
    col: int
    mask: np.ndarray

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``: left, top, right and bottom (exclusive) pixel edges."""
        height, width = self.mask.shape
        return (self.col, self.row, self.col + width, self.row + height)


def _tight(mask: np.ndarray, row: int, col: int) -> PixelMask | None:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return PixelMask(row + r0, col + c0, np.ascontiguousarray(mask[r0:r1, c0:c1]))


def _crop(mask: np.ndarray, top: int, left: int, window: Window) -> PixelMask | None:
    """The part of ``mask`` (placed at ``top``, ``left`` of the image) inside ``window``."""
    row, col, height, width = window
    r0, c0 = max(top, row), max(left, col)
    r1, c1 = min(top + mask.shape[0], row + height), min(left + mask.shape[1], col + width)
    if r1 <= r0 or c1 <= c0:
        return None
    part = mask[r0 - top : r1 - top, c0 - left : c1 - left]
    return _tight(part, r0 - row, c0 - col)


def _rings(segmentation: Sequence[Any], where: str) -> list[np.ndarray]:
    rings = []
    for polygon in segmentation:
        coords = np.asarray(polygon, dtype=np.float64).ravel()
        if coords.size % 2:
            raise EoforgeError(
                f"{where} has a polygon of {coords.size} numbers; COCO polygons list x, y pairs "
                "([x1, y1, x2, y2, …]): fix the COCO file"
            )
        if coords.size >= 6:  # fewer than 3 points cover no pixel
            ring = coords.reshape(-1, 2)
            rings.append(np.vstack([ring, ring[:1]]))  # closed, as GeoJSON wants it
    return rings


def _polygon_mask(
    rings: list[np.ndarray], image: tuple[int, int], window: Window
) -> PixelMask | None:
    """The pixels of the polygons, in the window and the image (both clip them)."""
    row, col, height, width = window
    points = np.concatenate(rings)
    c0 = max(col, 0, math.floor(points[:, 0].min()))
    r0 = max(row, 0, math.floor(points[:, 1].min()))
    c1 = min(col + width, image[1], math.ceil(points[:, 0].max()))
    r1 = min(row + height, image[0], math.ceil(points[:, 1].max()))
    if c1 <= c0 or r1 <= r0:
        return None
    shapes = [({"type": "Polygon", "coordinates": [ring.tolist()]}, 1) for ring in rings]
    burned = features.rasterize(
        shapes, out_shape=(r1 - r0, c1 - c0), transform=Affine.translation(c0, r0),
        fill=0, dtype="uint8",
    )  # fmt: skip
    return _tight(burned.astype(bool), r0 - row, c0 - col)


def _rle_origin(annotation: Mapping[str, Any], size: tuple[int, int], image: tuple[int, int],
                where: str) -> tuple[int, int]:  # fmt: skip
    """Where a decoded RLE lies in the image: ``(0, 0)``, or the bbox corner of a local mask."""
    local = annotation.get("global") == 0
    if not local and size == image:
        return (0, 0)
    bbox = annotation.get("bbox")
    if bbox is not None and len(bbox) == 4:
        x, y, w, h = (float(v) for v in bbox)
        if local or size == (round(h), round(w)):
            return (round(y), round(x))
    raise EoforgeError(
        f"{where}: its RLE is {size[0]} x {size[1]} pixels, neither the image's "
        f"{image[0]} x {image[1]} nor its bbox's; fix the COCO file (a mask local to its box "
        "needs 'bbox' and \"global\": 0)"
    )


def segmentation_mask(
    annotation: Mapping[str, Any],
    image_size: tuple[int, int],
    window: Window | None = None,
) -> PixelMask | None:
    """The pixels of a COCO annotation inside ``window``, cropped to their tight box.

    Args:
        annotation: a COCO annotation (its ``segmentation``; ``bbox`` and ``global`` for local
            RLE masks).
        image_size: ``(height, width)`` of the annotated image.
        window: ``(row, col, height, width)`` of the part of the image wanted (default: all).

    Returns:
        The mask, with ``row``/``col`` relative to the window, or ``None`` when the annotation
        covers no pixel of the window.

    Raises:
        EoforgeError: the segmentation is malformed or does not fit the image.

    Example:
        >>> rle = {"segmentation": {"size": [4, 4], "counts": [5, 2, 9]}}
        >>> found = segmentation_mask(rle, (4, 4), window=(0, 1, 4, 3))
        >>> found.row, found.col, found.mask.astype(int).tolist()
        (1, 0, [[1], [1]])
    """
    height, width = image_size
    window = window or (0, 0, height, width)
    where = f"annotation {annotation.get('id', '?')}"
    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, Mapping):
        decoded = decode_rle(segmentation)
        shape = (int(decoded.shape[0]), int(decoded.shape[1]))
        top, left = _rle_origin(annotation, shape, (height, width), where)
        inside = decoded[max(0, -top) : max(0, height - top), max(0, -left) : max(0, width - left)]
        return _crop(inside, max(top, 0), max(left, 0), window)  # clipped to the image
    if isinstance(segmentation, Sequence) and not isinstance(segmentation, str):
        rings = _rings(segmentation, where)
        return _polygon_mask(rings, (height, width), window) if rings else None
    raise EoforgeError(
        f"{where} has no segmentation (polygons or RLE) but {str(segmentation)[:60]!r}; fix "
        "the COCO file"
    )


def paste_masks(masks: Sequence[PixelMask], shape: tuple[int, int]) -> np.ndarray:
    """The ``(N, height, width)`` boolean masks of ``masks`` on a window of ``shape``.

    Example:
        >>> paste_masks([PixelMask(1, 1, np.ones((1, 2), bool))], (2, 3)).astype(int).tolist()
        [[[0, 0, 0], [0, 1, 1]]]
    """
    out = np.zeros((len(masks), *shape), dtype=bool)
    for i, found in enumerate(masks):
        h, w = found.mask.shape
        out[i, found.row : found.row + h, found.col : found.col + w] = found.mask
    return out
