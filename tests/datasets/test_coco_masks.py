"""COCO RLE decoding and polygon rasterization against hand-made masks and property tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from eoforge.datasets.coco_masks import paste_masks, segmentation_mask
from eoforge.datasets.coco_rle import decode_rle, rle_counts
from eoforge.errors import EoforgeError


def _runs(mask: np.ndarray) -> list[int]:
    """Reference encoder: run lengths down the columns, starting with a run of 0s."""
    flat = mask.T.ravel().astype(int).tolist()
    counts, current, length = [], 0, 0
    for value in flat:
        if value == current:
            length += 1
        else:
            counts.append(length)
            current, length = value, 1
    return [*counts, length]


def _compress(counts: list[int]) -> str:
    """Reference of pycocotools' rleToString (deltas from the 4th count, 5-bit groups)."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if c & 0x10 else (x != 0)
            out.append(chr(48 + (c | 0x20 if more else c)))
    return "".join(out)


# -- RLE ---------------------------------------------------------------------------------------


def test_uncompressed_rle_runs_down_the_columns() -> None:
    # 3 x 2: column 0 is (0, 1, 1), column 1 is (1, 0, 0): runs 1 zero, 3 ones, 2 zeros
    mask = decode_rle({"size": [3, 2], "counts": [1, 3, 2]})
    assert mask.astype(int).tolist() == [[0, 1], [1, 0], [1, 0]]


def test_compressed_rle_strings_worked_out_by_hand() -> None:
    assert rle_counts("234") == [2, 3, 4]  # small counts: chr(48 + n)
    assert rle_counts("1114") == [1, 1, 1, 5]  # from the 4th on: a delta to the count 2 before
    assert rle_counts("T3") == [100]  # 'T' = 48 + 32 + 4 (more follows), '3': 3 << 5
    assert rle_counts("051M") == [0, 5, 1, 2]  # 'M' = 48 + 29: -3 (sign bit 16), 5 - 3 = 2
    mask = decode_rle({"size": [3, 3], "counts": "11140"})  # runs 1 1 1 5 1, column-major
    assert mask.astype(int).tolist() == [[0, 1, 1], [1, 1, 1], [0, 1, 0]]


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 40), st.integers(1, 40))))
def test_decoding_inverts_the_reference_encoders(mask: np.ndarray) -> None:
    size = list(mask.shape)
    counts = _runs(mask)
    np.testing.assert_array_equal(decode_rle({"size": size, "counts": counts}), mask)
    np.testing.assert_array_equal(decode_rle({"size": size, "counts": _compress(counts)}), mask)


def test_malformed_rle_is_refused() -> None:
    with pytest.raises(EoforgeError, match="add up to 5 pixels, not 2 x 2"):
        decode_rle({"size": [2, 2], "counts": [1, 4]})
    with pytest.raises(EoforgeError, match="ends in the middle of a count"):
        rle_counts("T")
    with pytest.raises(EoforgeError, match="no valid 'size'"):
        decode_rle({"counts": [4]})


# -- polygons and placement --------------------------------------------------------------------


def test_a_polygon_burns_the_pixels_whose_centre_is_inside() -> None:
    triangle = {"segmentation": [[0, 0, 4.2, 0, 0, 4.2]]}
    found = segmentation_mask(triangle, (6, 6))
    rows, cols = np.mgrid[0:6, 0:6]
    expected = (rows + 0.5) + (cols + 0.5) < 4.2
    np.testing.assert_array_equal(paste_masks([found], (6, 6))[0], expected)
    two_parts = {"segmentation": [[0, 0, 2, 0, 2, 1, 0, 1], [4, 4, 6, 4, 6, 6, 4, 6]]}
    found = segmentation_mask(two_parts, (6, 6))
    assert found.box == (0, 0, 6, 6) and int(found.mask.sum()) == 2 + 4


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 20), st.integers(1, 20)),
    st.tuples(st.integers(-5, 30), st.integers(-5, 30), st.integers(1, 25), st.integers(1, 25)),
)
def test_a_rectangle_in_any_window_is_the_crop_of_its_pixels(
    rect: tuple[int, int, int, int], window: tuple[int, int, int, int]
) -> None:
    x, y, w, h = rect
    image = np.zeros((40, 40), dtype=bool)
    image[y : y + h, x : x + w] = True
    row, col, height, width = window
    crop = np.zeros((height, width), dtype=bool)  # the reference: the window cut out of the image
    r0, c0 = max(row, 0), max(col, 0)
    r1, c1 = min(row + height, 40), min(col + width, 40)
    if r1 > r0 and c1 > c0:
        crop[r0 - row : r1 - row, c0 - col : c1 - col] = image[r0:r1, c0:c1]
    polygon = {"segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]}
    rle = {"segmentation": {"size": [40, 40], "counts": _compress(_runs(image))}}
    for annotation in (polygon, rle):
        found = segmentation_mask(annotation, (40, 40), window)
        if not crop.any():
            assert found is None
        else:
            np.testing.assert_array_equal(paste_masks([found], (height, width))[0], crop)


def test_a_local_rle_is_placed_at_its_bbox() -> None:
    local = {"segmentation": {"size": [2, 3], "counts": [0, 6]}, "bbox": [5, 1, 3, 2],
             "global": 0}  # fmt: skip
    found = segmentation_mask(local, (8, 10))
    assert found.box == (5, 1, 8, 3) and found.mask.all()
    unmarked = {"segmentation": {"size": [2, 3], "counts": [0, 6]}, "bbox": [5, 1, 3, 2]}
    assert segmentation_mask(unmarked, (8, 10)).box == (5, 1, 8, 3)  # its size is the bbox's
    with pytest.raises(EoforgeError, match="neither the image's 8 x 10 nor its bbox's"):
        segmentation_mask({"id": 7, "segmentation": {"size": [2, 3], "counts": [0, 6]}}, (8, 10))


def test_odd_polygons_are_refused() -> None:
    with pytest.raises(EoforgeError, match="annotation 3 has a polygon of 5 numbers"):
        segmentation_mask({"id": 3, "segmentation": [[1, 2, 3, 4, 5]]}, (8, 8))


def test_the_restor_model_output_masks_decode_to_their_boxes(shared_data: Path) -> None:
    path = (
        shared_data
        / "oam_tcd_samples"
        / "tests"
        / "unit"
        / "5c15321f63d9810007f8b06f_10_00000.json"
    )
    annotations = json.loads(path.read_text())["annotations"]
    assert len(annotations) == 387
    for annotation in annotations:  # local RLE ("global": 0) of the size of the box
        x, y, w, h = (int(v) for v in annotation["bbox"])
        decoded = decode_rle(annotation["segmentation"])
        assert decoded.shape == (h, w)
        found = segmentation_mask(annotation, (2048, 2048))
        assert found is not None
        x0, y0, x1, y1 = found.box
        assert x <= x0 < x1 <= x + w and y <= y0 < y1 <= y + h
        assert int(found.mask.sum()) == int(decoded.sum())
