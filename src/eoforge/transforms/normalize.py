"""``Normalize``: per-band ``(x - mean) / std`` as a module; ``NormalizeSample`` for samples.

:class:`Normalize` keeps its shift and scale as buffers and its band names, output range and
epsilon as extra state, so that it round-trips through ``state_dict()`` — it can live inside a model
and its checkpoint, and the checkpoint then knows which bands, in which order, the model expects.
Build it from :class:`~eoforge.data.BandStats` by band *name*
(:meth:`Normalize.from_stats`), in one of two modes:

- ``"meanstd"`` — ``(x - mean) / std``: zero mean and unit variance over the training pixels;
- ``"percentile"`` — ``(x - p2) / (p98 - p2)``: the 2nd..98th percentile range onto 0..1
  (optionally clipped to 0..1), robust to outliers such as clouds or specular glint.

Example:
    >>> import torch
    >>> norm = Normalize([10.0, 20.0], [2.0, 4.0], bands=["B04", "B08"])
    >>> norm(torch.tensor([[[12.0]], [[12.0]]])).flatten().tolist()
    [1.0, -2.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import Tensor, nn

from eoforge.errors import BandNotFoundError, EoforgeError

if TYPE_CHECKING:
    from eoforge.data.band_stats import BandStats

__all__ = ["Normalize", "NormalizeSample"]

Mode = Literal["meanstd", "percentile"]


def _vector(values: Sequence[float] | Tensor, name: str) -> Tensor:
    vector = torch.as_tensor(values, dtype=torch.float32).detach().clone()
    if vector.ndim != 1 or vector.numel() == 0:
        raise EoforgeError(
            f"Normalize {name} has shape {tuple(vector.shape)}; give one value per band, e.g. "
            f"{name}=[1200.0, 1500.0, 1800.0]"
        )
    if not bool(torch.isfinite(vector).all()):
        raise EoforgeError(
            f"Normalize {name}={vector.tolist()} holds NaN or inf; give finite values"
        )
    return vector


class Normalize(nn.Module):
    """Per-band ``(x - mean) / max(std, eps)``, optionally clamped to ``clip``.

    Args:
        mean: the shift of each band.
        std: the scale of each band (clamped to at least ``eps``: a constant band stays finite).
        bands: the band names, in channel order (saved in the state dict; checked by
            :class:`NormalizeSample` against a sample's ``bands``).
        clip: ``(low, high)`` to clamp the output to, or ``None``.
        eps: the smallest scale used.

    Attributes:
        mean: buffer ``(C,)`` float32.
        std: buffer ``(C,)`` float32.

    Raises:
        EoforgeError: if ``mean``/``std``/``bands`` disagree in length, hold non-finite values,
            or ``clip``/``eps`` are not valid.

    Example:
        >>> import torch
        >>> norm = Normalize([0.5], [0.0], clip=(-1.0, 1.0))
        >>> norm(torch.tensor([[[[0.5, 2.0]]]])).tolist()
        [[[[0.0, 1.0]]]]
    """

    mean: Tensor
    std: Tensor

    def __init__(
        self,
        mean: Sequence[float] | Tensor,
        std: Sequence[float] | Tensor,
        *,
        bands: Sequence[str] | None = None,
        clip: tuple[float, float] | None = None,
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        mean_vector, std_vector = _vector(mean, "mean"), _vector(std, "std")
        if mean_vector.shape != std_vector.shape:
            raise EoforgeError(
                f"Normalize got {mean_vector.numel()} means and {std_vector.numel()} stds; give "
                "one of each per band"
            )
        if bands is not None and len(bands) != mean_vector.numel():
            raise EoforgeError(
                f"Normalize has {mean_vector.numel()} bands but {len(bands)} names "
                f"{list(bands)}; give one name per band"
            )
        self.register_buffer("mean", mean_vector)
        self.register_buffer("std", std_vector)
        self.bands: list[str] | None = None
        self.clip: tuple[float, float] | None = None
        self.eps = 1e-6
        self.set_extra_state({"bands": bands, "clip": clip, "eps": eps})

    @classmethod
    def from_stats(
        cls,
        stats: BandStats,
        bands: Sequence[str] | None = None,
        *,
        mode: Mode = "meanstd",
        clip: bool = False,
        percentiles: tuple[float, float] = (2.0, 98.0),
        eps: float = 1e-6,
    ) -> Normalize:
        """The normalisation of ``bands`` (by name, in that order) from band statistics.

        Args:
            stats: statistics of the training data (:class:`~eoforge.data.BandStats`).
            bands: the bands of the data to normalise, in channel order (default: all of
                ``stats``, in its order).
            mode: ``"meanstd"`` (``(x - mean) / std``) or ``"percentile"`` (the ``percentiles``
                range onto 0..1).
            clip: clamp the output to 0..1 (``"percentile"`` mode only).
            percentiles: the low and high percentiles of ``"percentile"`` mode.
            eps: the smallest scale used.

        Raises:
            BandNotFoundError: naming the bands ``stats`` lacks.
            EoforgeError: for an unknown mode, ``clip`` in ``"meanstd"`` mode, or a band without
                valid pixels in ``stats``.

        Example:
            >>> from eoforge.data import BandStats
            >>> stats = BandStats(("B02", "B03"), (9, 9), (100.0, 200.0), (10.0, 20.0),
            ...                   (0.0, 0.0), (1.0, 1.0), (0.0, 0.0), (50.0, 60.0),
            ...                   (150.0, 260.0), (1.0, 1.0))
            >>> Normalize.from_stats(stats, ["B03"]).mean.tolist()
            [200.0]
            >>> Normalize.from_stats(stats, mode="percentile").std.tolist()
            [100.0, 200.0]
        """
        chosen = stats.select(bands) if bands is not None else stats
        empty = [b for b, n in zip(chosen.bands, chosen.count, strict=True) if n == 0]
        if empty:
            raise EoforgeError(
                f"the band statistics saw no valid pixel of band(s) {empty}; compute them over "
                "data where those bands have values, or leave the bands out"
            )
        if mode == "meanstd":
            if clip:
                raise EoforgeError(
                    "clip=True applies to mode='percentile' (0..1); mean/std output is unbounded"
                )
            return cls(chosen.mean, chosen.std, bands=chosen.bands, eps=eps)
        if mode == "percentile":
            low, high = percentiles
            if not 0 <= low < high <= 100:
                raise EoforgeError(
                    f"percentiles={percentiles!r} are not valid; give (low, high) with "
                    "0 <= low < high <= 100, e.g. (2, 98)"
                )
            lo, hi = chosen.percentile(low), chosen.percentile(high)
            scale = [h - lo_ for lo_, h in zip(lo, hi, strict=True)]
            bounds = (0.0, 1.0) if clip else None
            return cls(lo, scale, bands=chosen.bands, clip=bounds, eps=eps)
        raise EoforgeError(f"mode={mode!r} is not known; use 'meanstd' or 'percentile'")

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``(C, H, W)`` or ``(B, C, H, W)`` pixels.

        Any leading axes are allowed (channels are third from last). Integer input is computed
        in float32, floating input in its own dtype.

        Raises:
            EoforgeError: if ``x`` has fewer than 3 axes or another number of channels.
        """
        channels = self.mean.numel()
        if x.ndim < 3 or x.shape[-3] != channels:
            raise EoforgeError(
                f"Normalize of {channels} bands{self._named()} got a tensor of shape "
                f"{tuple(x.shape)}; give (C, H, W) or (B, C, H, W) with C = {channels}"
            )
        if not x.is_floating_point():
            x = x.float()
        mean = self.mean.to(device=x.device, dtype=x.dtype).view(-1, 1, 1)
        scale = self.std.to(device=x.device, dtype=x.dtype).clamp_min(self.eps).view(-1, 1, 1)
        out = (x - mean) / scale
        if self.clip is not None:
            out = out.clamp(self.clip[0], self.clip[1])
        return out

    def _named(self) -> str:
        return "" if self.bands is None else f" {self.bands}"

    def get_extra_state(self) -> dict[str, Any]:
        """Band names, clip range and epsilon: saved in ``state_dict()`` beside the buffers."""
        clip = None if self.clip is None else list(self.clip)
        return {"bands": self.bands, "clip": clip, "eps": self.eps}

    def set_extra_state(self, state: Any) -> None:
        """Restore what :meth:`get_extra_state` saved (``load_state_dict`` calls it).

        Raises:
            EoforgeError: if clip or eps are not valid.
        """
        bands, clip, eps = state["bands"], state["clip"], float(state["eps"])
        if bands is not None:  # a length mismatch fails load_state_dict on the buffers' sizes
            bands = [str(b) for b in bands]
        if clip is not None:
            low, high = float(clip[0]), float(clip[1])
            if not low < high:
                raise EoforgeError(
                    f"clip={tuple(clip)!r} is not valid; give (low, high), low < high"
                )
            clip = (low, high)
        if not (math.isfinite(eps) and eps > 0):
            raise EoforgeError(f"eps={eps!r} is not valid; give a small positive number")
        self.bands, self.clip, self.eps = bands, clip, eps

    def extra_repr(self) -> str:
        """The bands, clip range and epsilon shown in ``repr``."""
        return f"bands={self.bands}, clip={self.clip}, eps={self.eps:g}"


def _sample_bands(value: Any) -> list[list[str]]:
    """A sample's ``bands`` (a list of names) or a batch's (a list of such lists)."""
    if isinstance(value, Sequence) and value and not isinstance(value[0], str):
        return [list(v) for v in value]
    return [list(value)]


class NormalizeSample:
    """Apply a :class:`Normalize` to a sample dict's (or a batch's) ``image`` only.

    Use it as ``GeoDataset(..., transforms=NormalizeSample(norm))``. When the normalisation has
    band names and the sample carries ``bands``, they must be the same, in the same order.

    Args:
        normalize: the normalisation.

    Raises:
        BandNotFoundError: (on call) if the sample lacks bands the normalisation is for.
        EoforgeError: (on call) if the sample has other bands or another order.

    Example:
        >>> import torch
        >>> transform = NormalizeSample(Normalize([1.0], [2.0], bands=["DEM"]))
        >>> sample = {"image": torch.full((1, 2, 2), 5.0), "mask": torch.ones(2, 2),
        ...           "bands": ["DEM"]}
        >>> out = transform(sample)
        >>> out["image"][0, 0].tolist(), out["mask"] is sample["mask"]
        ([2.0, 2.0], True)
    """

    def __init__(self, normalize: Normalize) -> None:
        self.normalize = normalize

    def _check(self, sample: Mapping[str, Any]) -> None:
        expected = self.normalize.bands
        if expected is None or sample.get("bands") is None:
            return
        for names in _sample_bands(sample["bands"]):
            if names == expected:
                continue
            missing = [b for b in expected if b not in names]
            if missing:
                raise BandNotFoundError(
                    f"the sample has no band(s) {missing} (it has {names}) that the "
                    f"normalisation {expected} is for; build it with "
                    "Normalize.from_stats(stats, bands=ds.bands)"
                )
            raise EoforgeError(
                f"the sample's bands {names} are not the normalisation's {expected} in that "
                "order; build it with Normalize.from_stats(stats, bands=ds.bands)"
            )

    def __call__(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        """A new dict: ``sample`` with its ``image`` normalised (other values shared)."""
        self._check(sample)
        out = dict(sample)
        with torch.no_grad():
            out["image"] = self.normalize(sample["image"])
        return out

    def __repr__(self) -> str:
        return f"NormalizeSample({self.normalize!r})"
