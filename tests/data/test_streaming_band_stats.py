from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.data import BandStats, StreamingBandStats
from eoforge.errors import EoforgeError

QS = [1.0, 2.0, 50.0, 98.0, 99.0]


def _reference(images: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
    """numpy over the valid finite pixels of each band of (N, C, H, W) images."""
    out: dict[str, list[float]] = {k: [] for k in ("count", "mean", "std", "min", "max", "p")}
    for c in range(images.shape[1]):
        band = images[:, c].astype(np.float64)
        values = band[valid[:, c] & np.isfinite(band)]
        out["count"].append(values.size)
        out["mean"].append(np.mean(values))
        out["std"].append(np.std(values))
        out["min"].append(values.min())
        out["max"].append(values.max())
        out["p"].append(np.percentile(values, QS))
    return {k: np.array(v) for k, v in out.items()}


@st.composite
def chunked_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[int], bool]:
    """(N, C, H, W) images, a (N, C, H, W) valid mask with NaNs mixed in, chunk sizes."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, c = draw(st.integers(1, 12)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    integral = draw(st.booleans())
    if integral:
        images = rng.integers(0, 10_000, size=(n, c, h, w)).astype(np.float32)
    else:
        scale = draw(st.sampled_from([1e-3, 1.0, 1e4]))
        offset = draw(st.sampled_from([0.0, 1e3, 1e6]))
        images = (offset + scale * rng.standard_normal((n, c, h, w))).astype(np.float64)
    valid = rng.random((n, c, h, w)) < draw(st.sampled_from([0.6, 1.0]))
    valid[:, :, 0, 0] = True  # every band keeps a valid pixel
    if not integral:
        nan = rng.random((n, c, h, w)) < 0.1
        nan[:, :, 0, 0] = False
        images[nan] = np.nan
    chunks = draw(st.lists(st.integers(1, 5), min_size=1, max_size=12))
    return images, valid, chunks, integral


def _chunks(n: int, sizes: list[int]) -> list[slice]:
    cuts, start = [], 0
    for size in sizes * (n // max(sum(sizes), 1) + 1):
        if start >= n:
            break
        cuts.append(slice(start, min(start + size, n)))
        start += size
    return cuts


@settings(max_examples=60, deadline=None)
@given(chunked_data())
def test_chunks_and_merges_equal_numpy_over_the_whole(
    data: tuple[np.ndarray, np.ndarray, list[int], bool],
) -> None:
    images, valid, sizes, integral = data
    ref = _reference(images, valid)
    names = [f"B{i}" for i in range(images.shape[1])]
    streamed = StreamingBandStats(names)
    parts = []
    for cut in _chunks(len(images), sizes):
        streamed.update(images[cut], valid[cut])
        part = StreamingBandStats(names)
        part.update(torch.from_numpy(images[cut]), torch.from_numpy(valid[cut]))
        parts.append(part)
    merged = StreamingBandStats(names)
    for part in parts[::-1]:
        merged.merge(part)
    for stats in (streamed.result(), merged.result()):
        assert stats.count == tuple(ref["count"])
        np.testing.assert_allclose(stats.mean, ref["mean"], rtol=1e-9, atol=0)
        np.testing.assert_allclose(stats.std, ref["std"], rtol=1e-9, atol=0)
        assert stats.min == tuple(ref["min"]) and stats.max == tuple(ref["max"])
        got = np.array([stats.percentile(q) for q in QS]).T
        if integral:
            np.testing.assert_array_equal(got, ref["p"])
            assert stats.max_error == (0.0,) * len(names)
        else:
            bound = np.array(stats.max_error)[:, None]
            assert np.all(np.abs(got - ref["p"]) <= bound + 1e-9 * np.abs(ref["p"]))
        np.testing.assert_array_equal(stats.p2, got[:, 1])
    assert streamed.result().histograms == merged.result().histograms


def test_std_is_stable_far_from_zero() -> None:
    rng = np.random.default_rng(3)
    values = 1e9 + rng.standard_normal((50, 1, 20, 20))  # naive sum-of-squares loses all digits
    acc = StreamingBandStats()
    for i in range(0, 50, 7):
        acc.update(values[i : i + 7])
    assert acc.result().std[0] == pytest.approx(np.std(values), rel=1e-9)


def test_mask_shapes_and_nan_are_honoured() -> None:
    image = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)
    image[1, 0, 0] = np.nan
    image[0, 2, 3] = np.inf
    valid = np.ones((3, 4), dtype=bool)
    valid[1] = False
    acc = StreamingBandStats(["A", "B"])
    acc.update(image, valid)
    keep = valid & np.isfinite(image)
    stats = acc.result()
    assert stats.count == (7, 7)
    assert stats.mean == (np.mean(image[0][keep[0]]), np.mean(image[1][keep[1]]))

    batch = np.stack([image, image + 100])
    per_sample = np.stack([valid, ~valid])  # (B, H, W)
    acc = StreamingBandStats(["A", "B"])
    acc.update(torch.from_numpy(batch), torch.from_numpy(per_sample))
    both = batch[:, 0][per_sample & np.isfinite(batch[:, 0])]
    assert acc.result().mean[0] == pytest.approx(np.mean(both), rel=1e-12)


def test_a_band_without_valid_pixels_gets_nan() -> None:
    image = np.ones((2, 2, 2))
    image[1] = np.nan
    acc = StreamingBandStats(["A", "B"])
    acc.update(image)
    stats = acc.result()
    assert stats.count == (4, 0)
    assert stats.mean[0] == 1.0 and np.isnan(stats.mean[1]) and np.isnan(stats.p98[1])
    assert BandStats.from_dict(stats.to_dict()) == stats


def test_bad_input_is_refused() -> None:
    acc = StreamingBandStats(["A", "B"])
    with pytest.raises(EoforgeError, match="2 bands"):
        acc.update(np.ones((3, 4, 4)))
    with pytest.raises(EoforgeError, match=r"\(C, H, W\)"):
        acc.update(np.ones((4, 4)))
    with pytest.raises(EoforgeError, match="does not fit"):
        acc.update(np.ones((2, 4, 4)), np.ones((3, 3), dtype=bool))
    with pytest.raises(EoforgeError, match="no valid pixel"):
        acc.result()
    other = StreamingBandStats(["A", "C"])
    other.update(np.ones((2, 1, 1)))
    with pytest.raises(EoforgeError, match="cannot merge"):
        acc.merge(other)


def test_default_names_and_merging_into_an_empty_accumulator() -> None:
    a = StreamingBandStats()
    b = StreamingBandStats()
    b.update(np.full((3, 2, 2), 7.0))
    assert a.merge(b).result().bands == ("B1", "B2", "B3")
    assert a.result().mean == (7.0, 7.0, 7.0)
