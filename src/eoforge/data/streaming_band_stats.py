"""``StreamingBandStats``: per-band statistics accumulated batch by batch, mergeable.

Each :meth:`~StreamingBandStats.update` summarises its batch per band in float64 (count, mean,
sum of squared deviations from that mean, min, max, a :class:`~eoforge.data.ValueHistogram`) and
folds it into the running totals with Chan, Golub and LeVeque's pairwise update
(``M2 = M2_a + M2_b + δ²·n_a·n_b/n``), which stays accurate where the textbook
``Σx² − n·mean²`` cancels. The values are shifted by a per-band constant (the first batch's
mean) before they are summarised, so that the running mean is small and its rounding does not
swamp the deviations of data far from zero (values of 1e6 varying by 1e-4 keep their digits).

:meth:`~StreamingBandStats.merge` applies the same formula to two accumulators, so the work can
be split over DataLoader workers, processes or chunks and combined: the merged result equals the
result over the whole data to rounding (mean and std) and exactly (histograms, hence
percentiles).

Only valid pixels count: those where ``valid`` is true (when given) and the value is finite
(NaN and ±inf are skipped).

Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(100.0, 5.0, size=(4, 2, 8, 8))
    >>> a, b = StreamingBandStats(["B02", "B03"]), StreamingBandStats(["B02", "B03"])
    >>> a.update(x[:1]); b.update(x[1:])
    >>> stats = a.merge(b).result()
    >>> bool(np.allclose(stats.std, x.transpose(1, 0, 2, 3).reshape(2, -1).std(axis=1)))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from eoforge.data.band_stats import BandStats
from eoforge.data.value_histogram import DEFAULT_BINS, ValueHistogram
from eoforge.errors import EoforgeError

if TYPE_CHECKING:
    import torch

__all__ = ["StreamingBandStats"]


def _as_numpy(value: Any, what: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor (torch is not imported for numpy input)
        value = value.detach().cpu().numpy()
    if not isinstance(value, np.ndarray):
        raise EoforgeError(
            f"{what} must be a numpy array or torch tensor, not {type(value).__name__}"
        )
    return value


class StreamingBandStats:
    """An accumulator of per-band count, mean, std, min, max and percentile histograms.

    Args:
        bands: the band names; by default ``B1``…``Bn``, ``n`` taken from the first update.
        bins: bins of each band's histogram (see :class:`~eoforge.data.ValueHistogram`: the
            default gives exact percentiles for integer data spanning under 65536 values).

    Example:
        >>> import numpy as np
        >>> acc = StreamingBandStats()
        >>> image = np.array([[[1.0, 2.0], [3.0, np.nan]]])  # (C=1, H=2, W=2)
        >>> acc.update(image, valid=np.array([[True, True], [False, True]]))
        >>> acc.result().bands, acc.result().count, acc.result().mean
        (('B1',), (2,), (1.5,))
    """

    def __init__(self, bands: Sequence[str] | None = None, *, bins: int = DEFAULT_BINS) -> None:
        self.bands: list[str] | None = None if bands is None else [str(b) for b in bands]
        self.bins = bins
        ValueHistogram.empty(bins)  # validates bins
        self._count = np.zeros(0, dtype=np.int64)
        self._shift = np.zeros(0)
        self._mean = np.zeros(0)
        self._m2 = np.zeros(0)
        self._min = np.zeros(0)
        self._max = np.zeros(0)
        self._histograms: list[ValueHistogram] = []
        if self.bands is not None:
            self._start(len(self.bands))

    def _start(self, n: int) -> None:
        self._count = np.zeros(n, dtype=np.int64)
        self._shift = np.zeros(n)
        self._mean = np.zeros(n)
        self._m2 = np.zeros(n)
        self._min = np.full(n, np.inf)
        self._max = np.full(n, -np.inf)
        self._histograms = [ValueHistogram.empty(self.bins) for _ in range(n)]

    @property
    def n_bands(self) -> int | None:
        """The number of bands (``None`` before the first update when no names were given)."""
        return None if self.bands is None else len(self.bands)

    def _shapes(self, image: Any, valid: Any) -> tuple[np.ndarray, np.ndarray | None]:
        array = _as_numpy(image, "image")
        if array.ndim == 3:
            array = array[None]
        if array.ndim != 4:
            raise EoforgeError(
                f"image has shape {array.shape}; give (C, H, W) or (B, C, H, W) pixels"
            )
        if self.bands is None:
            self.bands = [f"B{i + 1}" for i in range(array.shape[1])]
            self._start(len(self.bands))
        if array.shape[1] != len(self.bands):
            raise EoforgeError(
                f"image has {array.shape[1]} bands (shape {array.shape}) but the statistics "
                f"are of {len(self.bands)} bands {self.bands}; give images of those bands"
            )
        if valid is None:
            return array, None
        mask = _as_numpy(valid, "valid").astype(bool, copy=False)
        if mask.ndim == 3 and mask.shape[0] == array.shape[0] and mask.shape[1:] == array.shape[2:]:
            mask = mask[:, None]  # (B, H, W): one mask for every band
        try:
            mask = np.broadcast_to(mask, array.shape)
        except ValueError as err:
            raise EoforgeError(
                f"valid has shape {mask.shape}, which does not fit the image's {array.shape}; "
                "give (H, W), (B, H, W) or the image's own shape"
            ) from err
        return array, mask

    def update(self, image: np.ndarray | torch.Tensor, valid: Any = None) -> None:
        """Add the valid pixels of an image or a batch.

        Args:
            image: ``(C, H, W)`` or ``(B, C, H, W)`` pixels (numpy array or torch tensor, any
                numeric dtype; computed in float64).
            valid: optional boolean mask: ``(H, W)``, ``(B, H, W)`` or the image's shape.
                Non-finite pixels are skipped either way.

        Raises:
            EoforgeError: if the shapes do not fit each other or the bands.
        """
        array, mask = self._shapes(image, valid)
        n_bands = array.shape[1]
        count = np.zeros(n_bands, dtype=np.int64)
        mean = np.zeros(n_bands)
        m2 = np.zeros(n_bands)
        lo = np.full(n_bands, np.inf)
        hi = np.full(n_bands, -np.inf)
        for c in range(n_bands):
            band = array[:, c].astype(np.float64)
            keep = np.isfinite(band)
            if mask is not None:
                keep &= mask[:, c]
            values = band.ravel() if keep.all() else band[keep]
            if values.size == 0:
                continue
            if self._count[c] == 0:  # the band's shift: its first batch's mean
                self._shift[c] = values.mean()
            shifted = values - self._shift[c]  # exact where values lie near the shift
            count[c] = values.size
            mean[c] = shifted.mean()
            m2[c] = np.square(shifted - mean[c]).sum()
            lo[c], hi[c] = values.min(), values.max()
            self._histograms[c] = self._histograms[c].add(values)
        self._fold(count, mean, m2, lo, hi, self._shift)

    def _fold(
        self,
        count: np.ndarray,
        mean: np.ndarray,
        m2: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        shift: np.ndarray,
    ) -> None:
        """Chan et al.'s pairwise combination of the running totals with another summary.

        ``mean`` is the other summary's mean of ``x - shift``; it is moved onto this
        accumulator's shift first (bands this accumulator has not seen take ``shift``).
        """
        fresh = self._count == 0
        self._shift = np.where(fresh, shift, self._shift)
        mean = np.where(count > 0, mean + (shift - self._shift), 0.0)
        total = self._count + count
        share = np.divide(count, total, out=np.zeros(len(total)), where=total > 0)
        delta = mean - self._mean
        self._mean = self._mean + delta * share
        self._m2 = self._m2 + m2 + delta * delta * self._count * share
        self._count = total
        self._min = np.minimum(self._min, lo)
        self._max = np.maximum(self._max, hi)

    def merge(self, other: StreamingBandStats) -> StreamingBandStats:
        """Fold ``other``'s pixels into this accumulator (in place) and return it.

        Raises:
            EoforgeError: if the two cover different bands or use different ``bins``.

        Example:
            >>> import numpy as np
            >>> a, b = StreamingBandStats(), StreamingBandStats()
            >>> a.update(np.zeros((1, 2, 2))); b.update(np.full((1, 2, 2), 2.0))
            >>> a.merge(b).result().mean, a.result().std
            ((1.0,), (1.0,))
        """
        if other.bands is None:
            return self
        if self.bands is None:
            self.bands = list(other.bands)
            self._start(len(self.bands))
        if other.bands != self.bands or other.bins != self.bins:
            raise EoforgeError(
                f"cannot merge statistics of bands {other.bands} (bins={other.bins}) into "
                f"statistics of bands {self.bands} (bins={self.bins}); accumulate the same bands "
                "with the same bins"
            )
        self._fold(other._count, other._mean, other._m2, other._min, other._max, other._shift)
        self._histograms = [
            mine.merge(theirs)
            for mine, theirs in zip(self._histograms, other._histograms, strict=True)
        ]
        return self

    def result(self) -> BandStats:
        """The statistics of every valid pixel added so far.

        Bands that saw no valid pixel get count 0 and NaN statistics.

        Raises:
            EoforgeError: if no valid pixel was added at all.
        """
        if self.bands is None or not self._count.any():
            raise EoforgeError(
                "no valid pixel has been added to the statistics; check the valid masks and "
                "nodata values of the data (or that the sampler yields any patch)"
            )
        seen = self._count > 0
        std = np.sqrt(np.divide(self._m2, self._count, out=np.full(len(seen), np.nan), where=seen))
        nan = np.full(len(seen), np.nan)
        percentiles = np.array(
            [h.percentile([1.0, 2.0, 98.0, 99.0]) for h in self._histograms]
        ).reshape(-1, 4)
        return BandStats(
            bands=tuple(self.bands),
            count=tuple(int(c) for c in self._count),
            mean=tuple(np.where(seen, self._shift + self._mean, nan).tolist()),
            std=tuple(std.tolist()),
            min=tuple(np.where(seen, self._min, nan).tolist()),
            max=tuple(np.where(seen, self._max, nan).tolist()),
            p1=tuple(percentiles[:, 0].tolist()),
            p2=tuple(percentiles[:, 1].tolist()),
            p98=tuple(percentiles[:, 2].tolist()),
            p99=tuple(percentiles[:, 3].tolist()),
            histograms=tuple(self._histograms),
        )

    def __repr__(self) -> str:
        pixels = "no pixels" if not self._count.size else f"{int(self._count.max())} pixels"
        return f"StreamingBandStats(bands={self.bands}, {pixels}, bins={self.bins})"
