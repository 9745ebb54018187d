"""Cut LandCover.ai's orthophotos into its official 512x512 tiles, as lossless GeoTIFFs.

LandCover.ai v1 ships 41 orthophotos (``images/<sheet>.tif``, RGB) with their masks
(``masks/<sheet>.tif``); its split files name *tiles*, ``<sheet>_<k>``, that the archive's
``split.py`` cuts with OpenCV into JPEG images and PNG masks. The rule, implemented here without
running that script: each orthophoto is cut into non-overlapping ``512 x 512`` windows from its
top-left corner, rows in the outer loop and columns in the inner loop; the counter ``k`` counts
every grid position, but incomplete windows at the right and bottom edges are not written (so the
ids have gaps).

:func:`cut_landcoverai_tiles` writes ``output/<sheet>_<k>.tif`` (RGB) and
``output/<sheet>_<k>_m.tif`` (class ids, with class names and colours) as DEFLATE-compressed,
georeferenced GeoTIFFs (the orthophoto's CRS, EPSG:2180, and the window's transform) — lossless,
where the official tiles are JPEG. Each file is written atomically; tiles already present are
skipped, and a marker file records a complete cut, so a second call costs nothing.

Example:
    >>> [(k, row, col) for k, row, col in tile_windows(1100, 1300)]
    [(0, 0, 0), (1, 0, 512), (3, 512, 0), (4, 512, 512)]
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import Window
from rich.console import Console
from rich.progress import Progress

from eoforge.datasets.raster_chip import open_chip
from eoforge.errors import DatasetNotFoundError, MissingCRSError, OutputExistsError, RasterReadError
from eoforge.geo import GridSpec
from eoforge.io import write_raster

__all__ = ["TILE_SIZE", "TILES_MARKER", "cut_landcoverai_tiles", "tile_windows", "tiles_complete"]

TILE_SIZE = 512
"""The side of LandCover.ai's official tiles, in pixels."""

TILES_MARKER = ".eoforge_tiles_complete"
"""The file written into ``output/`` once every orthophoto is cut."""


def tile_windows(height: int, width: int, size: int = TILE_SIZE) -> Iterator[tuple[int, int, int]]:
    """``(k, row, col)`` of the complete ``size``-pixel tiles of an image, in the official order.

    Rows are the outer loop, columns the inner one, from the top-left corner; ``k`` counts every
    grid position, so the incomplete tiles at the right and bottom edges leave gaps in it.

    Example:
        >>> list(tile_windows(512, 1100, size=512))
        [(0, 0, 0), (1, 0, 512)]
    """
    k = 0
    for row in range(0, height, size):
        for col in range(0, width, size):
            if row + size <= height and col + size <= width:
                yield k, row, col
            k += 1


def tiles_complete(output: Path) -> bool:
    """Whether ``output`` holds a complete cut (its marker file exists).

    Example:
        >>> tiles_complete(Path("nowhere"))
        False
    """
    return (output / TILES_MARKER).is_file()


def _sheets(root: Path) -> list[tuple[Path, Path]]:
    """The orthophotos of ``root/images`` paired by name with ``root/masks``."""
    images = sorted(p for p in (root / "images").glob("*.tif") if not p.name.startswith("."))
    if not images:
        raise DatasetNotFoundError(
            f"no orthophoto in {root / 'images'}; extract landcover.ai.v1.zip into {root}/ "
            "(it holds images/ and masks/)"
        )
    pairs = []
    for image in images:
        mask = root / "masks" / image.name
        if not mask.is_file():
            raise DatasetNotFoundError(
                f"the orthophoto {image} has no mask {mask}; extract landcover.ai.v1.zip into "
                f"{root}/ again (it holds images/ and masks/ with the same file names)"
            )
        pairs.append((image, mask))
    return pairs


def _grid_of(image: Path, mask: Path) -> GridSpec:
    with open_chip(image) as ds, open_chip(mask) as ms:
        if (ds.height, ds.width) != (ms.height, ms.width):
            raise RasterReadError(
                f"{image} is {ds.width}x{ds.height} pixels but its mask {mask} is "
                f"{ms.width}x{ms.height}; extract landcover.ai.v1.zip again"
            )
        if ds.count != 3:
            raise RasterReadError(
                f"{image} has {ds.count} bands, not LandCover.ai's 3 (R, G, B); extract "
                "landcover.ai.v1.zip again"
            )
        if ds.crs is None:
            raise MissingCRSError(
                f"{image} has no CRS (LandCover.ai's orthophotos are in EPSG:2180); extract "
                "landcover.ai.v1.zip again, or use the official JPEG tiles (tiles='official')"
            )
        return GridSpec(ds.crs, ds.transform, ds.width, ds.height)


def _write(path: Path, pixels: np.ndarray, grid: GridSpec, **options: Any) -> None:
    """Write one tile atomically unless present (another process may write it meanwhile)."""
    if path.is_file():
        return
    with contextlib.suppress(OutputExistsError):  # written meanwhile by another process
        write_raster(path, pixels, grid, overviews=False, blocksize=TILE_SIZE, **options)


def _is_cut(output: Path, tile_id: str) -> bool:
    return (output / f"{tile_id}.tif").is_file() and (output / f"{tile_id}_m.tif").is_file()


def _cut_sheet(
    image: Path,
    mask: Path,
    output: Path,
    mask_options: dict[str, Any],
    advance: Callable[[int], None],
) -> int:
    """Cut one orthophoto (one band of 512 rows at a time: orthophotos are often striped)."""
    grid = _grid_of(image, mask)
    windows = list(tile_windows(grid.height, grid.width))
    written = 0
    with rasterio.open(image) as ds, rasterio.open(mask) as ms:
        for row in sorted({r for _, r, _ in windows}):
            in_row = [(k, c) for k, r, c in windows if r == row]
            todo = [(k, c) for k, c in in_row if not _is_cut(output, f"{image.stem}_{k}")]
            if todo:
                band = Window(0, row, grid.width, TILE_SIZE)
                rgb, labels = ds.read(window=band), ms.read(1, window=band)
            for k, col in todo:
                tile = grid.subgrid(row, col, TILE_SIZE, TILE_SIZE)
                cols = slice(col, col + TILE_SIZE)
                _write(output / f"{image.stem}_{k}.tif", rgb[:, :, cols], tile,
                       band_names=["R", "G", "B"])  # fmt: skip
                _write(output / f"{image.stem}_{k}_m.tif", labels[None, :, cols], tile,
                       **mask_options)  # fmt: skip
                written += 1
            advance(len(in_row))
    return written


def cut_landcoverai_tiles(
    root: Path | str,
    *,
    class_names: Sequence[str] = (),
    colors: Sequence[tuple[int, int, int]] = (),
    progress: bool = True,
) -> int:
    """Cut every orthophoto of ``root/images`` (and its mask) into ``root/output`` tiles.

    Args:
        root: the extracted LandCover.ai folder (``images/``, ``masks/``).
        class_names: stored in each mask tile (``CLASS_NAMES`` tag), one per class id.
        colors: the colour table of each mask tile, one RGB colour per class id.
        progress: show a progress bar (on a terminal only).

    Returns:
        The number of tiles written (0 when the cut was already complete).

    Raises:
        DatasetNotFoundError: no orthophoto, or one without its mask.
        RasterReadError: an orthophoto and its mask differ in size, or a file cannot be read.
        MissingCRSError: an orthophoto has no CRS.
    """
    root = Path(root)
    output = root / "output"
    if tiles_complete(output):
        return 0
    sheets = _sheets(root)
    total = 0
    for image, mask in sheets:
        grid = _grid_of(image, mask)
        total += len(list(tile_windows(grid.height, grid.width)))
    mask_options: dict[str, Any] = {
        "class_names": list(class_names) or None,
        "colormap": {i: tuple(c) for i, c in enumerate(colors)} or None,
    }
    output.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)
    written = 0
    with Progress(
        console=console, transient=True, disable=not (progress and console.is_terminal)
    ) as bar:
        task = bar.add_task("cutting LandCover.ai tiles", total=total)
        for image, mask in sheets:
            written += _cut_sheet(image, mask, output, mask_options,
                                  lambda n: bar.advance(task, n))  # fmt: skip
    _mark_complete(output, total)
    return written


def _mark_complete(output: Path, total: int) -> None:
    """Write the marker atomically (a crash never leaves a marker without every tile)."""
    tmp = output / f".{TILES_MARKER}.{uuid.uuid4().hex[:12]}.tmp"
    tmp.write_text(json.dumps({"tiles": total, "size": TILE_SIZE, "format": "GTiff"}))
    os.replace(tmp, output / TILES_MARKER)
