from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eoforge.predict.output_spec import band_argmax


@settings(max_examples=200, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 9), st.integers(1, 7), st.integers(1, 7)),
        elements=st.integers(0, 3).map(float),  # few distinct values: many ties
    )
)
def test_band_argmax_equals_numpy_first_maximum(sums: np.ndarray) -> None:
    np.testing.assert_array_equal(band_argmax(sums), sums.argmax(axis=0))


def test_band_argmax_on_strided_views_and_many_classes() -> None:
    rng = np.random.default_rng(3)
    many = rng.random((300, 20, 30), dtype=np.float32)[:, 3:17, 5:25]  # >255 classes
    result = band_argmax(many, "uint16")
    assert result.dtype == np.uint16
    np.testing.assert_array_equal(result, many.argmax(axis=0))
