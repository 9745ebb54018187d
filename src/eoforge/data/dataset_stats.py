"""``compute_band_stats``: per-band statistics over a whole dataset, every pixel counted once.

The dataset is read patch by patch through a ``DataLoader`` (with :func:`~eoforge.data.collate`,
optionally on worker processes) and each batch is folded into a
:class:`~eoforge.data.StreamingBandStats`. By default the patches are those of a
:class:`~eoforge.data.GridPatchSampler` covering the dataset's footprints, and only the window
each patch *owns* is counted — the last patch of a row or column is shifted inward and overlaps
its neighbour, and without ownership that overlap would count twice.

Example:
    >>> import tempfile, numpy as np, rasterio
    >>> from affine import Affine
    >>> from eoforge.data import GeoDataset, RasterSource
    >>> path = tempfile.mkdtemp() + "/scene.tif"
    >>> pixels = np.arange(2 * 40 * 30, dtype="uint16").reshape(2, 40, 30)
    >>> with rasterio.open(path, "w", driver="GTiff", width=30, height=40, count=2,
    ...                    dtype="uint16", crs="EPSG:32633",
    ...                    transform=Affine(10, 0, 500000, 0, -10, 4000000)) as dst:
    ...     dst.write(pixels)
    >>> ds = GeoDataset(RasterSource(path, bands=["B04", "B08"]))
    >>> stats = compute_band_stats(ds, GridPatchSampler(ds, 16), progress=False)
    >>> stats.count, stats.mean == tuple(pixels.reshape(2, -1).mean(axis=1))
    ((1200, 1200), True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from torch.utils.data import DataLoader, Dataset

from eoforge.data import collate
from eoforge.data.band_stats import BandStats
from eoforge.data.samplers import GridPatchSampler, PixelWindow
from eoforge.data.streaming_band_stats import StreamingBandStats
from eoforge.data.value_histogram import DEFAULT_BINS
from eoforge.errors import EoforgeError

__all__ = ["compute_band_stats"]


def _owned_mask(shape: tuple[int, int], owned: PixelWindow) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[owned.slices] = True
    return mask


def _plan(ds: Any, sampler: Iterable[Any] | None) -> tuple[list[Any], list[PixelWindow] | None]:
    """The queries to read and, for samplers that have one, the window each query owns."""
    if sampler is None:
        if not hasattr(ds, "footprints"):
            raise EoforgeError(
                f"{type(ds).__name__} has no footprints to tile with the default "
                "GridPatchSampler(ds, 256); pass sampler= (any iterable of the dataset's keys)"
            )
        sampler = GridPatchSampler(ds, 256)
    with_ownership = getattr(sampler, "iter_with_ownership", None)
    if callable(with_ownership):
        pairs = list(with_ownership())
        return [query for query, _ in pairs], [owned for _, owned in pairs]
    return list(sampler), None


def _valid_of(batch: Mapping[str, Any], image: Any) -> np.ndarray:
    """The batch's ``(B, H, W)`` valid mask (every pixel valid when samples carry none)."""
    valid = batch.get("valid")
    if valid is None:
        return np.ones((image.shape[0], *image.shape[-2:]), dtype=bool)
    mask: np.ndarray = np.asarray(valid.numpy() if hasattr(valid, "numpy") else valid, dtype=bool)
    return mask.copy()


def _batches(loader: DataLoader[Any], progress: bool, total: int) -> Iterator[dict[str, Any]]:
    console = Console(stderr=True)
    with Progress(
        console=console, transient=True, disable=not (progress and console.is_terminal)
    ) as bar:
        task = bar.add_task("band statistics", total=total)
        for batch in loader:
            yield batch
            bar.advance(task, batch["image"].shape[0])


def compute_band_stats(
    ds: Dataset[Any],
    sampler: Iterable[Any] | None = None,
    *,
    num_workers: int = 0,
    batch_size: int = 16,
    progress: bool = True,
    bins: int = DEFAULT_BINS,
) -> BandStats:
    """Count, mean, std, min, max and percentiles of each band over a dataset's valid pixels.

    Args:
        ds: a :class:`~eoforge.data.GeoDataset`, or any dataset whose items (indexed by the
            sampler's queries) are sample dicts with an ``image`` ``(C, H, W)`` and optionally a
            ``valid`` ``(H, W)`` mask and ``bands`` names.
        sampler: the queries to read. Default: ``GridPatchSampler(ds, 256)``, which covers the
            footprints with every pixel once. A sampler with ``iter_with_ownership()`` (a
            :class:`~eoforge.data.GridPatchSampler`) has only each patch's owned window
            counted; any other iterable of queries has every pixel of every patch counted.
        num_workers: ``DataLoader`` worker processes reading the patches.
        batch_size: patches per batch.
        progress: show a progress bar (on a terminal only).
        bins: histogram bins per band (see :class:`~eoforge.data.ValueHistogram`).

    Returns:
        The :class:`~eoforge.data.BandStats` of the bands in the samples' order, named after
        the samples' ``bands`` (or ``ds.bands``, else ``B1``…).

    Raises:
        EoforgeError: if the sampler yields no query or no valid pixel is met.

    Example:
        >>> import torch
        >>> patches = [{"image": torch.full((1, 2, 2), float(i)), "bands": ["DEM"]}
        ...            for i in range(4)]
        >>> compute_band_stats(patches, range(4), progress=False).mean
        (1.5,)
    """
    queries, owned = _plan(ds, sampler)
    if not queries:
        raise EoforgeError(
            f"the sampler {sampler!r} yields no query, so there are no pixels to summarise; "
            "give a sampler that covers the data"
        )
    loader: DataLoader[Any] = DataLoader(
        ds,
        sampler=queries,
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=collate,
    )
    names: Sequence[str] | None = getattr(ds, "bands", None)
    stats: StreamingBandStats | None = None
    done = 0
    for batch in _batches(loader, progress, len(queries)):
        image = batch["image"]
        if stats is None:
            batch_bands = batch.get("bands")
            names = list(batch_bands[0]) if batch_bands else names
            stats = StreamingBandStats(names, bins=bins)
        valid = _valid_of(batch, image)
        if owned is not None:
            for i in range(image.shape[0]):
                valid[i] &= _owned_mask(valid.shape[1:], owned[done + i])
        stats.update(image, valid)
        done += image.shape[0]
    assert stats is not None  # at least one query, so at least one batch
    return stats.result()
