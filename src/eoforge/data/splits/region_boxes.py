"""Sets of axis-aligned boxes: the difference of two boxes, and merging boxes that share an edge.

A split's regions are unions of boxes. Cutting a box out of another leaves at most four boxes
(a band above, one below, and the two pieces left and right between them), and boxes of one split
that share a whole edge are merged back into one, so that a split has few, large regions.

Boxes here are plain ``(minx, miny, maxx, maxy)`` tuples of floats, in one CRS.

Example:
    >>> subtract_box((0, 0, 4, 4), (1, 1, 3, 3))
    [(0, 3, 4, 4), (0, 0, 4, 1), (0, 1, 1, 3), (3, 1, 4, 3)]
    >>> merge_boxes([(0, 0, 1, 1), (1, 0, 2, 1), (0, 1, 2, 2)])
    [(0, 0, 2, 2)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["Box", "dilate_box", "merge_boxes", "subtract_box", "subtract_boxes"]

Box = tuple[float, float, float, float]
"""``(minx, miny, maxx, maxy)``."""


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def dilate_box(box: Box, distance: float) -> Box:
    """``box`` grown by ``distance`` on every side.

    Example:
        >>> dilate_box((0, 0, 1, 1), 0.5)
        (-0.5, -0.5, 1.5, 1.5)
    """
    return (box[0] - distance, box[1] - distance, box[2] + distance, box[3] + distance)


def subtract_box(box: Box, cutter: Box) -> list[Box]:
    """The parts of ``box`` outside ``cutter``, as at most four boxes that do not overlap.

    The bands above and below the cutter span the whole width of ``box``; the pieces left and
    right of it span only the height they share. Parts of no area are left out.

    Example:
        >>> subtract_box((0, 0, 4, 4), (2, -1, 5, 5))
        [(0, 0, 2, 4)]
        >>> subtract_box((0, 0, 4, 4), (5, 5, 6, 6))
        [(0, 0, 4, 4)]
    """
    if not _overlap(box, cutter):
        return [box]
    minx, miny, maxx, maxy = box
    parts: list[Box] = []
    if cutter[3] < maxy:
        parts.append((minx, cutter[3], maxx, maxy))
    if cutter[1] > miny:
        parts.append((minx, miny, maxx, cutter[1]))
    low, high = max(miny, cutter[1]), min(maxy, cutter[3])
    if cutter[0] > minx:
        parts.append((minx, low, cutter[0], high))
    if cutter[2] < maxx:
        parts.append((cutter[2], low, maxx, high))
    return parts


def subtract_boxes(boxes: Iterable[Box], cutters: Sequence[Box]) -> list[Box]:
    """The parts of ``boxes`` outside every cutter.

    Example:
        >>> subtract_boxes([(0, 0, 3, 1)], [(0, 0, 1, 1), (2, 0, 3, 1)])
        [(1, 0, 2, 1)]
    """
    parts = list(boxes)
    for cutter in cutters:
        parts = [piece for part in parts for piece in subtract_box(part, cutter)]
    return parts


def _merge_along(boxes: list[Box], axis: int) -> list[Box]:
    """Merge boxes with the same extent across ``axis`` that touch along it (0: x, 1: y)."""
    across = 1 - axis
    ordered = sorted(boxes, key=lambda b: (b[across], b[across + 2], b[axis], b[axis + 2]))
    merged: list[Box] = []
    for box in ordered:
        if merged:
            last = merged[-1]
            same_band = last[across] == box[across] and last[across + 2] == box[across + 2]
            if same_band and last[axis + 2] == box[axis]:
                grown = list(last)
                grown[axis + 2] = box[axis + 2]
                merged[-1] = (grown[0], grown[1], grown[2], grown[3])
                continue
        merged.append(box)
    return merged


def merge_boxes(boxes: Iterable[Box]) -> list[Box]:
    """Merge boxes that share a whole edge, until none does; the union stays the same.

    Runs of boxes in one row (same ``miny, maxy``, touching in x) become one box, then runs in
    one column; this repeats while it merges anything. Edges must be equal exactly, which they
    are for boxes cut from one tiling.

    Example:
        >>> merge_boxes([(0, 0, 1, 1), (1, 0, 2, 1), (3, 0, 4, 1)])
        [(0, 0, 2, 1), (3, 0, 4, 1)]
    """
    current = list(boxes)
    while True:
        merged = _merge_along(_merge_along(current, axis=0), axis=1)
        if len(merged) == len(current):
            return sorted(merged, key=lambda b: (-b[3], b[0]))
        current = merged
