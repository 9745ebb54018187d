"""``predict_scene``: a trained checkpoint + a scene of any size → a georeferenced map (COG).

The scene is read tile by tile through the data engine (several files and CRSs mosaic as one
scene; only the tiles' pixels are read), predicted in batches, blended with smooth weights
(:mod:`eoforge.predict.tile_layout`), and written window by window as pixels are finished
(:mod:`eoforge.predict.strip_blender`): memory depends on the tile size, the batch size and the
scene's width times the overlap, never on the scene's area. The map is then published as a
Cloud-Optimised GeoTIFF with overviews, the checkpoint's class names and colours, nodata where
the input had no data. While tiles run, freed heap memory is kept for the next batch
(:func:`eoforge.heap_reuse.keep_freed_memory`: no page faults on every activation buffer).
Killed jobs resume (``resume=True``) to the byte-identical file; tiles can run on a Dask
cluster (``workers=N`` or ``scheduler="tcp://…"``), with the same result.

Example:
    >>> import tempfile, pathlib, numpy as np
    >>> from eoforge.geo import BBox, GridSpec
    >>> from eoforge.io import write_raster
    >>> from eoforge.tasks import SegmentationTask
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> grid = GridSpec.from_bounds(BBox(0, 0, 1000, 700, "EPSG:32633"), res=10)
    >>> scene = write_raster(folder / "scene.tif", np.random.rand(2, 70, 100).astype("float32"),
    ...                      grid, band_names=["B04", "B08"])
    >>> task = SegmentationTask(backbone="pixel_mlp", data_info={"bands": ["B04", "B08"],
    ...                         "classes": ["water", "land"], "colors": [[0, 0, 255], [0, 255, 0]]})
    >>> out = predict_scene(task, scene, folder / "map.tif", tile_size=32, overlap=8,
    ...                     progress=False)
    >>> import rasterio
    >>> with rasterio.open(out) as ds:
    ...     ds.shape, ds.dtypes[0], ds.nodata, ds.tags()["CLASS_NAMES"]
    ((70, 100), 'uint8', 255.0, '{"0": "water", "1": "land"}')
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from eoforge.errors import BandNotFoundError, ConfigError, OutputExistsError
from eoforge.geo import BBox, GridSpec
from eoforge.heap_reuse import keep_freed_memory
from eoforge.io.block_cache import block_cache
from eoforge.predict.output_spec import OutputSpec, output_spec
from eoforge.predict.prediction_job import PredictionJob
from eoforge.predict.strip_blender import StripBlender
from eoforge.predict.tile_layout import TileLayout

__all__ = ["READ_CACHE_BYTES", "predict_scene"]

READ_CACHE_BYTES = 112 * 2**20
"""Decoded-block cache while predicting (see :meth:`eoforge.io.block_cache.BlockCache.limited`).

Blocks are inflated whole while predicting (``whole_blocks``: the next row of tiles needs the
rest), so the cache holds decoded blocks only: 112 MiB hold two rows of 512² blocks across a
6-band uint16 scene 8192 px wide (96 MiB) and the tile being read, and no block is decoded
twice (at 96 MiB, least-recently-used eviction dropped blocks just before the next row of
tiles read them again: 45 % more decoding); the rest of the memory is better left to the
model."""

Array = np.ndarray[Any, Any]


def _load(model: Any, device: str) -> Any:
    from eoforge.tasks.trained_model import load_trained_model

    trained = load_trained_model(model)  # no Lightning: ~100 MB and ~1.5 s less per process
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    trained.to(device)
    trained.eval()
    if trained.model_task not in ("segmentation", "dense_regression"):
        raise ConfigError(
            f"predict_scene needs a per-pixel model (segmentation or dense regression); this "
            f"checkpoint is a {trained.model_task} model, which gives one value per image"
        )
    return trained


def _source(inputs: Any, band_names: Sequence[str] | None, required: Sequence[str]) -> Any:
    from eoforge.data import RasterSource

    source = RasterSource(inputs, bands=band_names) if band_names else RasterSource(inputs)
    missing = [b for b in required if b not in source.bands]
    if missing:
        raise BandNotFoundError(
            f"the model needs bands {list(required)}, but the input has {source.bands} "
            f"(missing {missing}); give files with those bands, or name the input's bands in "
            "order with band_names=[…] (--bands on the command line)"
        )
    return source


def _output_grid(ds: Any, bounds: BBox | Sequence[float] | None) -> GridSpec:
    grid: GridSpec = ds.grid
    if bounds is None:
        return grid
    if isinstance(bounds, BBox):
        box = bounds
    else:
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        box = BBox(minx, miny, maxx, maxy, grid.crs)
    if box.crs != grid.crs:
        box = box.to_crs(grid.crs)
    return grid.snap(box)


def _finisher(job: PredictionJob, spec: OutputSpec) -> Any:
    def finish(sums: Array, weights: Array, row: int, col: int) -> None:
        if sums.shape[1] and sums.shape[2]:
            job.raw.write(spec.finish(sums, weights), row=row, col=col)

    return finish


def predict_scene(
    model: Any,
    inputs: Any,
    output: str | os.PathLike[str],
    *,
    kind: str | None = None,
    tile_size: int = 512,
    overlap: int = 64,
    margin: int | None = None,
    batch_size: int = 2,
    crs: Any = None,
    res: float | tuple[float, float] | None = None,
    bounds: BBox | Sequence[float] | None = None,
    band_names: Sequence[str] | None = None,
    overwrite: bool = False,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    device: str = "cpu",
    progress: bool = True,
    report: dict[str, Any] | None = None,
) -> Path:
    """Predict a whole scene with a trained model and write the map as a COG.

    Args:
        model: a checkpoint path (``.ckpt`` written by eoforge) or a trained eoforge task.
        inputs: the scene: files, folders or globs (several files and CRSs form one mosaic).
        output: the map to write (``.tif``).
        kind: ``"classes"`` (default for segmentation), ``"probabilities"`` or ``"values"``
            (default for regression).
        tile_size: tile side in pixels.
        overlap: least overlap between neighbouring tiles, in pixels.
        margin: pixels at interior tile edges whose output is dropped (default overlap // 4).
        batch_size: tiles per forward pass.
        crs: output CRS (default: the input's).
        res: output pixel size (default: the input's finest).
        bounds: output extent (``BBox`` or ``(minx, miny, maxx, maxy)`` in the output CRS),
            snapped to the grid; default: the whole input.
        band_names: names of the input files' bands, in order, when the files do not carry them.
        overwrite: replace an existing ``output``.
        resume: continue an unfinished job of the same settings (see :class:`PredictionJob`).
        workers: run the tiles on a local Dask cluster of this many worker processes.
        scheduler: run the tiles on the Dask cluster at this scheduler address.
        device: ``"cpu"``, ``"cuda"``, … or ``"auto"``.
        progress: show a progress bar on a terminal.
        report: a dict filled with what was done (tiles predicted, skipped, seconds).

    Returns:
        ``output`` as a Path.

    Raises:
        OutputExistsError: ``output`` exists and ``overwrite`` is False (checked first).
        BandNotFoundError: the input lacks a band the model needs (checked before any tile).
        ConfigError: an option that does not fit the model.
    """
    from eoforge.data import GeoDataset

    out = Path(output)
    if out.exists() and not overwrite:
        raise OutputExistsError(f"'{out}' already exists; pass --overwrite to replace it")
    t0 = time.perf_counter()
    task = _load(model, device)
    info = task.data_info
    default_kind = "values" if task.model_task == "dense_regression" else "classes"
    spec = output_spec(kind or default_kind, info, outputs=task.num_classes)
    source = _source(inputs, band_names, info.bands)
    ds = GeoDataset(source, crs=crs, res=res)
    band_index = [ds.bands.index(b) for b in info.bands]
    grid = _output_grid(ds, bounds)
    layout = TileLayout(grid.height, grid.width, tile_size, overlap, margin)
    settings = {
        "model": str(model) if not hasattr(model, "state_dict") else "in-memory task",
        "inputs": [str(p) for p in ([inputs] if isinstance(inputs, str | os.PathLike) else inputs)],
        "grid": repr(grid), "tile": tile_size, "overlap": overlap, "margin": layout.dropped,
        "batch_size": batch_size, "kind": spec.kind, "bands": list(info.bands),
    }  # fmt: skip
    job = PredictionJob.start(out, settings, grid, spec.bands, spec.dtype, resume=resume)
    blender = StripBlender(layout, spec.blended_bands, _finisher(job, spec))
    if job.strip is not None:
        blender.restore(job.strip)
    if workers is not None or scheduler is not None:
        from eoforge.predict.dask_tiles import DaskTileRunner

        runner: Any = DaskTileRunner(
            task, inputs, grid, layout, spec.kind, band_index, batch_size, crs=crs, res=res,
            band_names=band_names, workers=workers, scheduler=scheduler, device=device,
        )  # fmt: skip
    else:
        from eoforge.predict.tile_runner import TileRunner

        runner = TileRunner(task, ds, grid, layout, spec.kind, band_index, batch_size)
    cols = layout.shape[1]
    console = Console(stderr=True)
    columns = [*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn()]
    with (
        keep_freed_memory(),
        block_cache().limited(READ_CACHE_BYTES, whole_blocks=True),
        Progress(
            *columns,
            TimeRemainingColumn(),
            console=console,
            disable=not (progress and console.is_terminal),
        ) as bar,
    ):
        done = bar.add_task(
            f"predicting {out.name}", total=len(layout), completed=job.next_row * cols
        )
        try:
            for i, j, (values, weights) in runner.tiles(job.next_row):
                if j == 0:
                    blender.begin_row(i)
                blender.add_tile(j, values, weights)
                bar.advance(done)
                if j == cols - 1:
                    job.checkpoint(i, blender.end_row())
        finally:
            close = getattr(runner, "close", None)
            if callable(close):
                close()
    colormap = spec.colormap if spec.kind == "classes" else None
    job.raw.publish(
        out, nodata=spec.nodata, band_names=spec.band_names, class_names=spec.class_names,
        colormap=colormap, overwrite=overwrite,
    )  # fmt: skip
    job.clean()
    if report is not None:
        report.update(
            tiles=len(layout), predicted=getattr(runner, "predicted", None),
            skipped=getattr(runner, "skipped", None), seconds=time.perf_counter() - t0,
            grid=grid, resumed_from_row=job.next_row,
        )  # fmt: skip
    return out
