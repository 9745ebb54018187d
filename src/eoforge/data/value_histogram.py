"""``ValueHistogram``: a mergeable histogram of one band's values, from which percentiles are read.

Bins lie on a lattice of powers of two: bin ``k`` at exponent ``e`` holds the values in
``[k·2**e, (k+1)·2**e)``, and at most ``bins`` consecutive bins are kept. When new values do not
fit, the exponent grows by one at a time and pairs of neighbouring bins are summed — an exact
re-binning, since the coarser lattice's edges are edges of the finer one. The exponent is the
smallest one (at or above the float64 precision of the data's magnitude) whose bins span every
value seen, so it depends on the values only — not on their order or on how they were split:
merging the histograms of any split of the data gives the histogram of the whole, bin for bin.

Accuracy of :meth:`ValueHistogram.percentile` against ``numpy.percentile`` (its default, linear
method):

- **exact** when every value is an integer and the bins are at most 1 wide — integer data whose
  range (max − min) is below ``bins``: with the default ``bins=65536`` any uint8, uint16 or
  int16 raster;
- otherwise within one bin width, :attr:`ValueHistogram.max_error` ``= 2**e``, which is at most
  ``max(2·(max − min)/(bins − 2), 2**-52·max|x|, 2**-1074)`` — about ``3.1e-5·(max − min)``
  for the default ``bins`` (the last two terms are float64's own precision at the data's
  magnitude and its smallest step).

Example:
    >>> import numpy as np
    >>> values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    >>> h = ValueHistogram.empty().add(values[:3]).add(values[3:])
    >>> h.count, h.max_error, h.percentile([50.0, 90.0]).tolist()
    (8, 0.0, [3.5, 6.8999999999999995])
    >>> bool(np.array_equal(h.percentile([50.0, 90.0]), np.percentile(values, [50, 90])))
    True
"""

from __future__ import annotations

import base64
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError

__all__ = ["DEFAULT_BINS", "ValueHistogram"]

DEFAULT_BINS = 65536
"""Bins kept per band by default: exact percentiles for integer data spanning fewer values."""

_MIN_EXPONENT = -1074  # the smallest float64 (subnormal) step
_ENCODING = "zlib-int64le-base64"


def _bin_of(value: float, exponent: int) -> int:
    """The lattice bin holding ``value`` (exact: scaling by a power of two does not round)."""
    return math.floor(math.ldexp(value, -exponent))


def _precision_exponent(lo: float, hi: float) -> int:
    """The exponent of float64 precision at the data's magnitude: finer bins are pointless."""
    magnitude = max(abs(lo), abs(hi))
    if magnitude == 0:  # only zeros: any bin holds them; leave room for any later value
        return _MIN_EXPONENT
    _, exp = math.frexp(magnitude)  # magnitude < 2**exp
    return max(exp - 53, _MIN_EXPONENT)


def _fit_exponent(lo: float, hi: float, bins: int, at_least: int) -> int:
    """The smallest exponent ``>= at_least`` (and the precision floor) whose bins span lo..hi."""
    exponent = max(at_least, _precision_exponent(lo, hi))
    half_span = hi / 2 - lo / 2  # cannot overflow (and is 0 only for tiny spans)
    if half_span > 0:  # narrower bins cannot span lo..hi with ``bins`` of them: start there
        exponent = max(exponent, math.floor(math.log2(half_span) + 1 - math.log2(bins)))
    while _bin_of(hi, exponent) - _bin_of(lo, exponent) + 1 > bins:
        exponent += 1
    return exponent


def _encode(counts: np.ndarray) -> str:
    raw = np.ascontiguousarray(counts, dtype="<i8").tobytes()
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def _decode(text: str) -> np.ndarray:
    counts: np.ndarray = np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype="<i8")
    return counts.astype(np.int64)


@dataclass(frozen=True, eq=False)
class ValueHistogram:
    """An immutable histogram of finite values on a power-of-two lattice (see the module doc).

    Build one with :meth:`empty` and :meth:`add` / :meth:`merge` (each returns a new histogram).

    Attributes:
        bins: the most bins kept (the resolution of the histogram).
        exponent: bins are ``2**exponent`` wide.
        offset: lattice index of the first bin (it holds :attr:`min`).
        counts: ``int64`` counts of the bins ``offset, offset+1, …`` (the last holds :attr:`max`).
        min: the smallest value seen (NaN when empty).
        max: the largest value seen (NaN when empty).
        integral: whether every value seen is an integer.

    Example:
        >>> h = ValueHistogram.empty(bins=16).add(np.arange(100.0))
        >>> h.exponent, len(h.counts), h.max_error
        (3, 13, 8.0)
    """

    bins: int
    exponent: int
    offset: int
    counts: np.ndarray
    min: float
    max: float
    integral: bool

    def __post_init__(self) -> None:
        self.counts.flags.writeable = False

    @classmethod
    def empty(cls, bins: int = DEFAULT_BINS) -> ValueHistogram:
        """A histogram with no value, keeping at most ``bins`` bins.

        Raises:
            EoforgeError: if ``bins`` is below 16.

        Example:
            >>> ValueHistogram.empty().count
            0
        """
        if not isinstance(bins, int) or bins < 16:
            raise EoforgeError(f"bins={bins!r} is too small; give an integer of at least 16")
        empty = np.zeros(0, dtype=np.int64)
        return cls(bins, _MIN_EXPONENT, 0, empty, math.nan, math.nan, True)

    @property
    def count(self) -> int:
        """How many values were added."""
        return int(self.counts.sum())

    @property
    def max_error(self) -> float:
        """The most a :meth:`percentile` can differ from numpy's (0.0 where it is exact).

        Example:
            >>> ValueHistogram.empty().add(np.array([0.0, 70000.0])).max_error
            2.0
        """
        if self.count == 0 or self.min == self.max or (self.integral and self.exponent <= 0):
            return 0.0
        return math.ldexp(1.0, self.exponent)

    def _rebinned(self, exponent: int) -> tuple[int, np.ndarray]:
        """``(offset, counts)`` of this histogram on the coarser lattice ``exponent``."""
        shift = exponent - self.exponent
        if shift == 0:
            return self.offset, self.counts
        # indexes are below 2**53 in magnitude: shifting by 63 or more gives the same 0 or -1
        index = (self.offset + np.arange(len(self.counts), dtype=np.int64)) >> min(shift, 63)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(index)) + 1])
        return int(index[0]), np.add.reduceat(self.counts, starts)

    def _combined(
        self, parts: Sequence[tuple[int, int, np.ndarray]], lo: float, hi: float, integral: bool
    ) -> ValueHistogram:
        """A histogram at the fitting exponent from ``(exponent, offset, counts)`` parts."""
        exponent = _fit_exponent(lo, hi, self.bins, max(p[0] for p in parts))
        offset = _bin_of(lo, exponent)
        counts = np.zeros(_bin_of(hi, exponent) - offset + 1, dtype=np.int64)
        for part_exponent, part_offset, part_counts in parts:
            view = ValueHistogram(self.bins, part_exponent, part_offset, part_counts, lo, hi, True)
            start, rebinned = view._rebinned(exponent)
            counts[start - offset : start - offset + len(rebinned)] += rebinned
        return ValueHistogram(self.bins, exponent, offset, counts, lo, hi, integral)

    def add(self, values: np.ndarray) -> ValueHistogram:
        """This histogram with ``values`` (1-D, finite) added.

        Example:
            >>> ValueHistogram.empty(bins=16).add(np.array([1.0, 2.0, 2.0])).counts.tolist()
            [1, 0, 0, 0, 0, 0, 0, 0, 2]
        """
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return self
        vmin, vmax = float(values.min()), float(values.max())
        if not (math.isfinite(vmin) and math.isfinite(vmax)):
            raise EoforgeError("ValueHistogram.add takes finite values; drop NaN and inf first")
        integral = bool(np.array_equal(values, np.floor(values)))
        if self.count:
            vmin, vmax = min(vmin, self.min), max(vmax, self.max)
            integral = integral and self.integral
        exponent = _fit_exponent(vmin, vmax, self.bins, self.exponent)
        offset = _bin_of(vmin, exponent)
        index = np.floor(np.ldexp(values, -exponent)).astype(np.int64) - offset
        fresh = np.bincount(index, minlength=_bin_of(vmax, exponent) - offset + 1)
        parts = [(exponent, offset, fresh.astype(np.int64))]
        if self.count:
            parts.append((self.exponent, self.offset, self.counts))
        return self._combined(parts, vmin, vmax, integral)

    def merge(self, other: ValueHistogram) -> ValueHistogram:
        """The histogram of this one's values and ``other``'s together.

        Raises:
            EoforgeError: if the two keep different numbers of bins.

        Example:
            >>> a = ValueHistogram.empty().add(np.array([1.0, 5.0]))
            >>> b = ValueHistogram.empty().add(np.array([3.0]))
            >>> a.merge(b) == ValueHistogram.empty().add(np.array([1.0, 3.0, 5.0]))
            True
        """
        if other.bins != self.bins:
            raise EoforgeError(
                f"cannot merge histograms of {self.bins} and {other.bins} bins; accumulate both "
                "with the same bins="
            )
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        parts = [(h.exponent, h.offset, h.counts) for h in (self, other)]
        lo, hi = min(self.min, other.min), max(self.max, other.max)
        return self._combined(parts, lo, hi, self.integral and other.integral)

    def _order_statistics(self, ranks: np.ndarray) -> np.ndarray:
        """Estimates of the sorted values at 0-based ``ranks`` (exact in the exact case)."""
        cumulative = np.cumsum(self.counts)
        b = np.searchsorted(cumulative, ranks, side="right")
        k = (self.offset + b).astype(np.float64)
        if self.integral and self.exponent <= 0:  # each bin holds one integer: the only one
            return np.ceil(np.ldexp(k, self.exponent))
        in_bin = self.counts[b].astype(np.float64)
        before = (cumulative[b] - self.counts[b]).astype(np.float64)
        inside = (ranks - before + 0.5) / in_bin
        estimate: np.ndarray = np.clip(np.ldexp(k + inside, self.exponent), self.min, self.max)
        estimate[ranks == 0] = self.min  # the extremes are known exactly
        estimate[ranks == cumulative[-1] - 1] = self.max
        return estimate

    def percentile(self, q: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """The ``q``-th percentiles (0–100), as ``numpy.percentile``'s linear method gives them.

        Accurate to :attr:`max_error` (see the module doc); NaN for an empty histogram.

        Raises:
            EoforgeError: if a ``q`` lies outside 0–100.

        Example:
            >>> h = ValueHistogram.empty().add(np.arange(101.0))
            >>> h.percentile([2, 98]).tolist()
            [2.0, 98.0]
        """
        qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if not bool(np.all((qs >= 0) & (qs <= 100))):
            raise EoforgeError(f"percentile q={q!r} is not valid; give values from 0 to 100")
        n = self.count
        if n == 0:
            return np.full(qs.shape, np.nan)
        position = (n - 1) * (qs / 100.0)
        below = np.floor(position)
        t = position - below
        a = self._order_statistics(below.astype(np.int64))
        b = self._order_statistics(np.minimum(below.astype(np.int64) + 1, n - 1))
        diff = b - a  # numpy's lerp: from the nearer end, so that t = 0 or 1 gives a or b exactly
        out: np.ndarray = np.where(t >= 0.5, b - diff * (1.0 - t), a + diff * t)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueHistogram):
            return NotImplemented
        if self.count == 0 or other.count == 0:
            return self.bins == other.bins and self.count == other.count
        return (
            (self.bins, self.exponent, self.offset, self.min, self.max, self.integral)
            == (other.bins, other.exponent, other.offset, other.min, other.max, other.integral)
        ) and bool(np.array_equal(self.counts, other.counts))

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the counts zlib-compressed, base64-encoded).

        Example:
            >>> h = ValueHistogram.empty().add(np.array([2.0, 7.0]))
            >>> ValueHistogram.from_dict(h.to_dict()) == h
            True
        """
        empty = self.count == 0
        return {
            "bins": self.bins,
            "exponent": self.exponent,
            "offset": self.offset,
            "min": None if empty else self.min,
            "max": None if empty else self.max,
            "integral": self.integral,
            "encoding": _ENCODING,
            "counts": _encode(self.counts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValueHistogram:
        """The histogram :meth:`to_dict` described.

        Raises:
            EoforgeError: if the dict is not such a description.
        """
        try:
            if data["encoding"] != _ENCODING:
                raise ValueError(f"unknown encoding {data['encoding']!r}")
            counts = _decode(data["counts"])
            lo = math.nan if data["min"] is None else float(data["min"])
            hi = math.nan if data["max"] is None else float(data["max"])
            histogram = cls(
                int(data["bins"]),
                int(data["exponent"]),
                int(data["offset"]),
                counts,
                lo,
                hi,
                bool(data["integral"]),
            )
        except (KeyError, TypeError, ValueError, zlib.error) as err:
            raise EoforgeError(
                f"not a ValueHistogram description ({err}); write it with ValueHistogram.to_dict()"
            ) from err
        return histogram
