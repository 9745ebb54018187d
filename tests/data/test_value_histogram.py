from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eoforge.data import ValueHistogram
from eoforge.errors import EoforgeError

QS = np.array([0.0, 0.5, 1.0, 2.0, 10.0, 25.0, 33.3, 50.0, 75.0, 98.0, 99.0, 99.9, 100.0])

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
float_arrays = hnp.arrays(np.float64, st.integers(1, 400), elements=finite)
int_arrays = hnp.arrays(np.int64, st.integers(1, 400), elements=st.integers(-40000, 25535))


def _splits(draw: st.DrawFn, n: int) -> list[int]:
    cuts = draw(st.lists(st.integers(0, n), max_size=6))
    return sorted(cuts)


@st.composite
def split_data(draw: st.DrawFn, arrays: st.SearchStrategy[np.ndarray]) -> list[np.ndarray]:
    values = draw(arrays).astype(np.float64)
    return np.split(values, _splits(draw, len(values)))


def _build(chunks: list[np.ndarray], bins: int) -> ValueHistogram:
    h = ValueHistogram.empty(bins)
    for chunk in chunks:
        h = h.add(chunk)
    return h


def _merged(chunks: list[np.ndarray], bins: int) -> ValueHistogram:
    h = ValueHistogram.empty(bins)
    for chunk in chunks:
        h = h.merge(ValueHistogram.empty(bins).add(chunk))
    return h


@settings(max_examples=80, deadline=None)
@given(split_data(float_arrays), st.sampled_from([16, 100, 65536]))
def test_any_split_gives_the_histogram_of_the_whole(chunks: list[np.ndarray], bins: int) -> None:
    whole = ValueHistogram.empty(bins).add(np.concatenate(chunks))
    assert _build(chunks, bins) == whole
    assert _merged(chunks, bins) == whole
    assert _merged(chunks[::-1], bins) == whole
    assert whole.count == sum(len(c) for c in chunks)
    assert len(whole.counts) <= bins


@settings(max_examples=80, deadline=None)
@given(split_data(int_arrays))
def test_integer_percentiles_are_exact(chunks: list[np.ndarray]) -> None:
    values = np.concatenate(chunks)
    h = _merged(chunks, 65536)
    assert h.max_error == 0.0
    np.testing.assert_array_equal(h.percentile(QS), np.percentile(values, QS))


@settings(max_examples=80, deadline=None)
@given(split_data(float_arrays), st.sampled_from([16, 100, 65536]))
def test_float_percentiles_are_within_the_documented_bound(
    chunks: list[np.ndarray], bins: int
) -> None:
    values = np.concatenate(chunks)
    h = _build(chunks, bins)
    lo, hi = values.min(), values.max()
    bound = max(2 * (hi - lo) / (bins - 2), 2.0**-52 * max(abs(lo), abs(hi)), 2.0**-1074)
    assert h.max_error <= bound
    error = np.abs(h.percentile(QS) - np.percentile(values, QS))
    slack = 4 * np.finfo(np.float64).eps * max(abs(lo), abs(hi), 1.0)  # lerp rounding
    assert np.all(error <= h.max_error + slack)


def test_bound_is_tight_enough_to_be_useful_on_continuous_data() -> None:
    values = np.random.default_rng(0).normal(0.1, 0.03, size=200_000)
    h = ValueHistogram.empty().add(values)
    # 65536 bins over a range of ~0.27: bins of 2**-18 or finer
    assert h.max_error <= 2.0**-17
    error = np.abs(h.percentile(QS) - np.percentile(values, QS))
    assert error.max() <= h.max_error


def test_values_outside_the_first_range_widen_the_bins() -> None:
    h = ValueHistogram.empty(64).add(np.linspace(0.0, 1.0, 50))
    narrow = h.exponent
    h = h.add(np.array([1000.0, -3.0]))
    assert h.exponent > narrow
    assert h.counts[0] >= 1 and h.counts[-1] >= 1  # the extremes sit in the end bins
    assert h.count == 52
    assert h.percentile(0.0)[0] == -3.0 and h.percentile(100.0)[0] == 1000.0


def test_constant_data_is_exact_even_when_not_integral() -> None:
    h = ValueHistogram.empty().add(np.full(10, 0.1234))
    assert h.max_error == 0.0
    assert h.percentile([0, 37, 100]).tolist() == [0.1234] * 3


def test_empty_and_invalid_input() -> None:
    empty = ValueHistogram.empty()
    assert empty.count == 0 and np.isnan(empty.percentile(50.0)[0])
    assert empty.add(np.array([])) is empty
    with pytest.raises(EoforgeError, match="finite"):
        empty.add(np.array([1.0, np.nan]))
    with pytest.raises(EoforgeError, match="0 to 100"):
        empty.percentile(101)
    with pytest.raises(EoforgeError, match="at least 16"):
        ValueHistogram.empty(4)
    with pytest.raises(EoforgeError, match="same bins"):
        ValueHistogram.empty(16).merge(ValueHistogram.empty(32).add(np.ones(2)))


def test_dict_round_trip_and_garbled_dict() -> None:
    h = ValueHistogram.empty(100).add(np.random.default_rng(1).uniform(-5, 5, 1000))
    back = ValueHistogram.from_dict(h.to_dict())
    assert back == h
    np.testing.assert_array_equal(back.percentile(QS), h.percentile(QS))
    assert ValueHistogram.from_dict(ValueHistogram.empty().to_dict()) == ValueHistogram.empty()
    with pytest.raises(EoforgeError, match=r"ValueHistogram\.to_dict"):
        ValueHistogram.from_dict({"encoding": "zlib-int64le-base64", "counts": "!!"})
