"""The building blocks of the synthetic scenes, checked against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.datasets.synthetic.noise import (
    blur3,
    box_mean,
    hash_uniform,
    smooth_noise,
    triangular_noise,
    upsample,
)
from eoforge.datasets.synthetic.spectra import block_mean
from eoforge.datasets.synthetic.terrain import SUN, hillshade


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def test_sun_vector_is_a_unit_vector_above_the_horizon() -> None:
    assert abs(sum(c * c for c in SUN) - 1) < 1e-3
    assert SUN[2] > 0


def test_hillshade_of_planes_matches_the_lambert_formula() -> None:
    assert np.allclose(hillshade(np.zeros((5, 5), np.float32)), 1.0)
    # a plane rising 1 m per 10 m pixel towards the north: gradient (0, 0.1)
    rows = np.arange(6, dtype=np.float32)[::-1, None] * np.ones((1, 6), np.float32)
    shade = hillshade(rows, res=10.0)
    normal = np.array([0.0, -0.1, 1.0]) / np.sqrt(1.01)
    expected = normal @ np.array(SUN) / SUN[2]
    assert np.allclose(shade[2:4, 2:4], expected, atol=1e-5)
    # the sun is in the south: a slope rising to the north faces it
    assert expected > 1


@given(st.integers(1, 4), st.integers(1, 6), st.integers(2, 9), st.booleans())
@settings(max_examples=40, deadline=None)
def test_upsample_passes_through_the_lattice_nodes(
    seed: int, step: int, n: int, cubic: bool
) -> None:
    lattice = _rng(seed).random((n + 3, n + 3)).astype(np.float32)
    out = upsample(lattice, (n * step, n * step), step, cubic=cubic)
    # pixel k*step sits on lattice node k + 1
    nodes = out[::step, ::step]
    assert np.allclose(nodes, lattice[1 : n + 1, 1 : n + 1], atol=1e-5)


def test_upsample_reproduces_linear_ramps_between_nodes() -> None:
    ramp = np.arange(10, dtype=np.float32)[None, :] * np.ones((8, 1), np.float32)
    for cubic in (False, True):
        out = upsample(ramp, (4, 16), 3, cubic=cubic)
        # pixel col c sits at lattice coordinate c/3 + 1
        assert np.allclose(out[0], np.arange(16) / 3 + 1, atol=1e-5)


def test_box_mean_equals_a_brute_force_window_mean() -> None:
    mask = _rng(1).random((13, 17)) > 0.6
    got = box_mean(mask, 2)
    padded = np.pad(mask.astype(float), 2, mode="edge")
    expected = np.array(
        [[padded[r : r + 5, c : c + 5].mean() for c in range(17)] for r in range(13)]
    )
    assert np.allclose(got, expected, atol=1e-6)


def test_block_mean_equals_a_loop_over_blocks() -> None:
    band = _rng(2).random((7, 10)).astype(np.float32)
    got = block_mean(band, 3)
    padded = np.pad(band, ((0, 2), (0, 2)), mode="edge")
    for r in range(7):
        for c in range(10):
            r0, c0 = r // 3 * 3, c // 3 * 3
            assert got[r, c] == pytest.approx(padded[r0 : r0 + 3, c0 : c0 + 3].mean(), abs=1e-6)


def test_blur3_keeps_the_mean_and_constants() -> None:
    flat = np.full((6, 7), 3.5, np.float32)
    assert np.allclose(blur3(flat, 0.15), 3.5)
    spike = np.zeros((9, 9), np.float32)
    spike[4, 4] = 1
    blurred = blur3(spike, 0.15)
    assert blurred.sum() == pytest.approx(1.0)
    assert blurred[4, 4] == pytest.approx(0.7 * 0.7)
    assert blurred[4, 5] == pytest.approx(0.7 * 0.15)


def test_hash_uniform_is_stable_and_uniform() -> None:
    keys = np.arange(-50_000, 50_000)
    values = hash_uniform(3, keys)
    assert values.min() >= 0 and values.max() < 1
    assert abs(values.mean() - 0.5) < 0.01
    assert np.histogram(values, bins=10, range=(0, 1))[0].min() > 9_000
    np.testing.assert_array_equal(values, hash_uniform(3, keys))
    assert (hash_uniform(4, keys) != values).mean() > 0.999
    # two keys: (a, b) and (b, a) differ
    assert (
        hash_uniform(0, np.array([1]), np.array([2]))[0]
        != hash_uniform(0, np.array([2]), np.array([1]))[0]
    )


def test_smooth_noise_statistics_and_scale() -> None:
    fine = smooth_noise(_rng(3), (256, 256), 4.0)
    coarse = smooth_noise(_rng(3), (256, 256), 32.0)
    for field in (fine, coarse):
        assert field.dtype == np.float32
        assert abs(float(field.mean())) < 0.5
    assert 0.7 < float(fine.std()) < 1.3
    # a longer correlation length gives smaller pixel-to-pixel steps
    step_fine = np.abs(np.diff(fine, axis=1)).mean() / fine.std()
    step_coarse = np.abs(np.diff(coarse, axis=1)).mean() / coarse.std()
    assert step_coarse < 0.3 * step_fine


def test_smooth_noise_is_quantised_before_use() -> None:
    field = smooth_noise(_rng(4), (64, 64), 3.0, step=1)
    assert np.array_equal(field * 4096, np.round(field * 4096))


def test_triangular_noise_has_unit_variance() -> None:
    noise = triangular_noise(_rng(5), (400, 400))
    assert abs(float(noise.mean())) < 0.01
    assert abs(float(noise.std()) - 1) < 0.01
    assert float(np.abs(noise).max()) <= 6**0.5
