"""Deterministic random fields for the synthetic scenes: smooth noise, blurs and integer hashes.

Reproducibility rules every generator here follows, so that the same seed gives the same arrays
in every process and on every machine:

- random numbers come only from ``numpy.random.Generator`` (PCG64) objects handed in by the caller;
- per-pixel arithmetic uses only ``+ - * /``, ``sqrt``, comparisons and ``floor`` (IEEE-exact),
  never ``exp``/``sin``/… whose last bit differs between maths libraries;
- a field computed through an FFT is rounded to a grid of :data:`QUANTUM` right away, so that
  last-bit differences of the FFT cannot reach the thresholds that draw class boundaries;
- reductions (sums, means) run in NumPy's fixed pairwise order on one thread.

Example:
    >>> import numpy as np
    >>> rng = np.random.Generator(np.random.PCG64(0))
    >>> f = smooth_noise(rng, (64, 96), scale=16)
    >>> f.shape, f.dtype
    ((64, 96), dtype('float32'))
    >>> bool(abs(float(f.std()) - 1) < 0.5)
    True
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "QUANTUM",
    "blur3",
    "box_mean",
    "hash_uniform",
    "smooth_noise",
    "smooth_noise_1d",
    "triangular_noise",
    "upsample",
]

QUANTUM = 2.0**-12
"""Grid to which FFT-filtered fields are rounded (exact in float32 for |value| < 2048)."""

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _fast_len(n: int) -> int:
    """The smallest 2·3·5-smooth integer ≥ ``n`` (FFT-friendly length)."""
    m = max(1, n)
    while True:
        k = m
        for p in (2, 3, 5):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


def _filtered(white: np.ndarray, scale: float) -> np.ndarray:
    """Low-pass ``white`` (float64, any dims) with correlation length ``scale`` samples, quantised.

    The transfer function ``1 / (1 + (2π·scale·k)²)²`` (a Matérn-like spectrum) uses only
    rational arithmetic, and the result is normalised to unit standard deviation.
    """
    spectrum = np.fft.rfftn(white)
    freqs = [np.fft.fftfreq(n) for n in white.shape[:-1]] + [np.fft.rfftfreq(white.shape[-1])]
    k2 = np.zeros(spectrum.shape, dtype=np.float64)
    for axis, f in enumerate(freqs):
        shape = [1] * white.ndim
        shape[axis] = f.size
        k2 = k2 + (f * f).reshape(shape)
    c = (2.0 * np.pi * scale) ** 2
    transfer = 1.0 / (1.0 + c * k2) ** 2
    field = np.fft.irfftn(spectrum * transfer, s=white.shape, axes=tuple(range(white.ndim)))
    std = float(np.sqrt(np.mean(field * field)))
    return np.round(field / (std if std > 0 else 1.0) / QUANTUM) * QUANTUM


def smooth_noise(
    rng: np.random.Generator,
    shape: tuple[int, int],
    scale: float,
    *,
    step: int | None = None,
    cubic: bool = False,
) -> np.ndarray:
    """A smooth Gaussian random field, zero mean and unit variance, float32 ``shape``.

    The field is synthesised by FFT on a coarse lattice (every ``step`` pixels; by default a quarter
    of ``scale``) and upsampled, so a field with a long correlation length costs little more than
    the final interpolation. Bilinear upsampling has kinks on the lattice lines; use
    ``cubic=True`` (Catmull-Rom, continuous slope) for fields whose gradient is used (a DEM).

    Args:
        rng: the random generator to draw from.
        shape: ``(height, width)`` in pixels.
        scale: correlation length in pixels (features are about ``2·scale`` across).
        step: lattice spacing in pixels (1 = full resolution).
        cubic: interpolate with Catmull-Rom cubics instead of bilinearly.

    Example:
        >>> rng = np.random.Generator(np.random.PCG64(3))
        >>> smooth_noise(rng, (40, 30), scale=100).shape
        (40, 30)
    """
    h, w = shape
    if step is None:
        step = max(1, int(scale // 4))
    pad = 3 + int(np.ceil(2 * scale / step))  # breaks the FFT's wrap-around between opposite edges
    ch, cw = _fast_len(-(-h // step) + pad), _fast_len(-(-w // step) + pad)
    coarse = _filtered(rng.standard_normal((ch, cw)), scale / step).astype(np.float32)
    if step == 1:
        return np.ascontiguousarray(coarse[1 : h + 1, 1 : w + 1])
    return upsample(coarse, shape, step, cubic=cubic)


def smooth_noise_1d(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """A smooth 1-D random signal of ``n`` samples, unit variance, float64 (quantised).

    Example:
        >>> smooth_noise_1d(np.random.Generator(np.random.PCG64(0)), 50, 5.0).shape
        (50,)
    """
    white = rng.standard_normal(_fast_len(n + int(4 * scale) + 4))
    return _filtered(white, scale)[:n]


def upsample(
    coarse: np.ndarray, shape: tuple[int, int], step: int, *, cubic: bool = False
) -> np.ndarray:
    """Interpolate a lattice with spacing ``step`` pixels onto a ``shape`` grid (float32).

    Lattice node ``i`` sits at pixel coordinate ``(i - 1)·step`` (one node of margin before the
    first pixel); the lattice must reach two nodes past the last pixel. Bilinear by default;
    ``cubic=True`` uses Catmull-Rom cubics (slope continuous across lattice lines).

    Example:
        >>> lattice = np.arange(16, dtype=np.float32).reshape(4, 4)
        >>> upsample(lattice, (2, 2), 1)
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """
    lattice = np.asarray(coarse, dtype=np.float32)
    h, w = shape
    offsets = (-1, 0, 1, 2) if cubic else (0, 1)
    # columns: gather on the small lattice (rows x w)
    pos = np.arange(w, dtype=np.float64) / step + 1.0
    i0 = np.floor(pos).astype(np.intp)
    cols = _weighted_sum(
        [np.take(lattice, i0 + off, axis=1) for off in offsets],
        [wgt[None, :] for wgt in _weights((pos - i0).astype(np.float32), cubic)],
    )
    # rows: pixel row k·step + j uses lattice rows k + 1 + offset with weights that depend on j
    # only, so the output is built block-row by block-row with broadcasting (no gathers)
    blocks = -(-h // step)
    fraction = (np.arange(step, dtype=np.float32) / np.float32(step)).astype(np.float32)
    out = _weighted_sum(
        [cols[1 + off : 1 + off + blocks, None, :] for off in offsets],
        [wgt[None, :, None] for wgt in _weights(fraction, cubic)],
    )
    return np.ascontiguousarray(out.reshape(blocks * step, w)[:h])


def _weights(t: np.ndarray, cubic: bool) -> list[np.ndarray]:
    """Interpolation weights of the lattice nodes around fractional positions ``t`` in [0, 1)."""
    if not cubic:
        return [np.float32(1) - t, t]
    t2 = t * t
    t3 = t2 * t
    half = np.float32(0.5)
    return [
        (-t3 + 2 * t2 - t) * half,
        (3 * t3 - 5 * t2 + 2) * half,
        (-3 * t3 + 4 * t2 + t) * half,
        (t3 - t2) * half,
    ]


def _weighted_sum(terms: list[np.ndarray], weights: list[np.ndarray]) -> np.ndarray:
    acc: np.ndarray = terms[0] * weights[0]
    for term, weight in zip(terms[1:], weights[1:], strict=True):
        acc += term * weight
    return acc


def blur3(a: np.ndarray, side: float = 0.25, passes: int = 1) -> np.ndarray:
    """Separable 3-tap blur ``[side, 1 - 2·side, side]``, ``passes`` times, edges replicated.

    ``side = 0.25`` is the binomial kernel; smaller values blur less (a sensor's point-spread
    function is about ``side = 0.15``). Returns float32.

    Example:
        >>> blur3(np.array([[0, 0, 4, 0, 0]], dtype=np.float32))
        array([[0., 1., 2., 1., 0.]], dtype=float32)
    """
    out = np.asarray(a, dtype=np.float32)
    s, c = np.float32(side), np.float32(1 - 2 * side)
    for _ in range(passes):
        for axis in (0, 1):
            p = np.pad(out, [(1, 1) if ax == axis else (0, 0) for ax in (0, 1)], mode="edge")
            n = out.shape[axis]
            lo = p[:n] if axis == 0 else p[:, :n]
            mid = p[1 : n + 1] if axis == 0 else p[:, 1 : n + 1]
            hi = p[2:] if axis == 0 else p[:, 2:]
            out = (lo + hi) * s + mid * c
    return out


def box_mean(mask: np.ndarray, radius: int) -> np.ndarray:
    """Share of True pixels in the ``(2r+1)²`` window around each pixel (edges replicated).

    Computed with integer cumulative sums, so it is exact.

    Example:
        >>> box_mean(np.eye(3, dtype=bool), 1)[1, 1]
        np.float32(0.33333334)
    """
    r = int(radius)
    p = np.pad(mask.astype(np.int32), r + 1, mode="edge")
    p[0, :] = 0
    p[:, 0] = 0
    c = p.cumsum(axis=0).cumsum(axis=1)
    h, w = mask.shape
    k = 2 * r + 1
    total = c[k : k + h, k : k + w] - c[0:h, k : k + w] - c[k : k + h, 0:w] + c[0:h, 0:w]
    share: np.ndarray = total.astype(np.float32) / np.float32(k * k)
    return share


def hash_uniform(salt: int, *keys: np.ndarray) -> np.ndarray:
    """Uniform ``[0, 1)`` float64 values that depend only on ``salt`` and integer ``keys``.

    A SplitMix64 hash in wrapping uint64 arithmetic: the same keys give the same values on every
    machine, which gives per-object random attributes (one value per field, roof, plot) without
    a table.

    Example:
        >>> v = hash_uniform(7, np.array([1, 2, 1]))
        >>> bool(v[0] == v[2]) and bool(v[0] != v[1])
        True
    """
    h = np.full(np.broadcast_shapes(*(np.shape(k) for k in keys)), salt, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for key in keys:
            k = np.asarray(key).astype(np.int64).view(np.uint64)
            z = h ^ (k + _GOLDEN)
            z = (z ^ (z >> np.uint64(30))) * _MIX1
            z = (z ^ (z >> np.uint64(27))) * _MIX2
            h = z ^ (z >> np.uint64(31))
    return (h >> np.uint64(11)).astype(np.float64) * (2.0**-53)


def triangular_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Zero-mean, unit-variance noise (sum of two uniforms), float32; cheaper than Gaussian.

    Example:
        >>> n = triangular_noise(np.random.Generator(np.random.PCG64(0)), (200, 200))
        >>> bool(abs(float(n.std()) - 1) < 0.05)
        True
    """
    a = rng.random(shape, dtype=np.float32)
    b = rng.random(shape, dtype=np.float32)
    return (a + b - np.float32(1)) * np.float32(6**0.5)
