"""``plot_sample``: a quick-look figure of one sample (image as RGB, mask / target beside it).

Uses matplotlib's object API (no pyplot, no global state), so it works in scripts, notebooks and
worker processes alike. matplotlib is optional: without it a clear error says how to install it.

Example:
    >>> import torch
    >>> sample = {"image": torch.rand(3, 8, 8), "bands": ["R", "G", "B"],
    ...           "mask": torch.zeros(8, 8, dtype=torch.int64)}
    >>> fig = plot_sample(sample)
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['R, G, B', 'mask']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from eoforge.errors import BandNotFoundError, EoforgeError

__all__ = ["plot_sample"]

_RGB_CHOICES = (("B04", "B03", "B02"), ("R", "G", "B"), ("red", "green", "blue"))


def _pick_bands(names: list[str], bands: Sequence[str] | None) -> list[int]:
    if bands is not None:
        missing = [b for b in bands if b not in names]
        if missing:
            raise BandNotFoundError(
                f"bands {missing} are not in the sample (its bands are {names}); pick from those"
            )
        return [names.index(b) for b in bands]
    for choice in _RGB_CHOICES:
        if all(b in names for b in choice):
            return [names.index(b) for b in choice]
    return [0, 1, 2] if len(names) >= 3 else [0]


def _stretch(image: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """Scale each channel's 2nd to 98th percentile (over valid pixels) to 0..1."""
    out = np.zeros(image.shape, dtype=np.float32)
    for i, channel in enumerate(image):
        values = channel[valid] if valid is not None else channel.ravel()
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        lo, hi = np.percentile(values, [2, 98])
        out[i] = np.clip((channel - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    if valid is not None:
        out[:, ~valid] = 0
    return out


def plot_sample(
    sample: Mapping[str, Any],
    bands: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> Any:
    """Draw a sample's image (RGB or grey, percentile-stretched) and its mask / target.

    Args:
        sample: a sample dict (``image`` (C, H, W), ``bands``; optional ``valid``, ``mask``,
            ``target``, ``grid``).
        bands: three band names shown as red, green, blue (or one, in grey); by default ``B04, B03,
            B02``, else ``R, G, B``, else the first three bands.
        title: the figure title; by default the sample grid's bounds when present.

    Returns:
        A ``matplotlib.figure.Figure``.

    Raises:
        EoforgeError: if matplotlib is not installed.
        BandNotFoundError: if a requested band is not in the sample.

    Example:
        >>> import torch
        >>> fig = plot_sample({"image": torch.rand(1, 4, 4), "bands": ["DEM"]}, title="dem")
        >>> fig.axes[0].get_title()
        'DEM'
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # matplotlib is optional
        raise EoforgeError(
            "plot() needs matplotlib; install it with: pip install matplotlib"
        ) from err

    image = np.asarray(sample["image"], dtype=np.float32)
    names = [str(b) for b in sample.get("bands", [f"B{i + 1}" for i in range(image.shape[0])])]
    valid = np.asarray(sample["valid"], dtype=bool) if "valid" in sample else None
    picked = _pick_bands(names, bands)
    rgb = _stretch(image[picked], valid)
    panels = [key for key in ("mask", "target") if key in sample]
    fig = Figure(figsize=(4 * (1 + len(panels)), 4), layout="constrained")
    axes = fig.subplots(1, 1 + len(panels), squeeze=False)[0]
    if len(picked) == 3:
        axes[0].imshow(np.moveaxis(rgb, 0, -1))
    else:
        axes[0].imshow(rgb[0], cmap="gray")
    axes[0].set_title(", ".join(names[i] for i in picked))
    for ax, key in zip(axes[1:], panels, strict=True):
        layer = np.asarray(sample[key], dtype=np.float32)
        layer = layer[0] if layer.ndim == 3 else layer
        shown = ax.imshow(
            layer, cmap="tab20" if key == "mask" else "viridis", interpolation="nearest"
        )
        fig.colorbar(shown, ax=ax, shrink=0.8)
        ax.set_title(key)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    grid = sample.get("grid")
    fig.suptitle(title if title is not None else (str(grid.bounds) if grid is not None else ""))
    return fig
