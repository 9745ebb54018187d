"""``write_synthetic_scenes``: a folder of georeferenced synthetic tiles, ready for a RasterSource.

Layout of the output folder::

    <out>/images/tile_<i>.tif   uint16 reflectance x 10 000, one band per name, nodata 0
    <out>/labels/tile_<i>.tif   uint8 class ids, nodata 255, colour table and class names
    <out>/labels.gpkg           label polygons of every tile (layer ``labels``), if asked for

Tiles are Cloud-Optimised GeoTIFFs at 10 m in UTM, adjacent in a grid (see
:mod:`~eoforge.datasets.synthetic.tile_layout`); each tile is an independent scene generated
with its own seed (landscapes do not continue across tile edges).

Example:
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> c = write_synthetic_scenes(out, n_tiles=2, size=64, progress=False, polygons=False)
    >>> [p.name for p in c.images], c.crss
    (['tile_0.tif', 'tile_1.tif'], ('EPSG:32633',))
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.progress import Progress

from eoforge.datasets.synthetic.classes import (
    CLASSES,
    NODATA_LABEL,
    LandCoverClass,
    class_colormap,
    class_names,
)
from eoforge.datasets.synthetic.label_polygons import label_polygons, write_label_polygons
from eoforge.datasets.synthetic.scene import check_seed, check_size, generate_scene
from eoforge.datasets.synthetic.signatures import DEFAULT_BANDS, check_bands
from eoforge.datasets.synthetic.tile_layout import tile_grids
from eoforge.errors import OutputExistsError
from eoforge.geo import GridSpec
from eoforge.io import write_raster

__all__ = ["IMAGE_NODATA", "SyntheticCollection", "SyntheticTile", "write_synthetic_scenes"]

IMAGE_NODATA = 0
"""Nodata value of the image tiles (generated pixels are always ≥ 1)."""

_TILE_NAME = re.compile(r"^tile_(\d+)\.tif$")


@dataclass(frozen=True, slots=True)
class SyntheticTile:
    """One written tile.

    Attributes:
        index: the tile number ``i`` in ``tile_<i>.tif``.
        image: path of the image COG.
        labels: path of the label COG.
        grid: the tile's grid (CRS, transform, size).
        seed: the seed of the tile's scene: ``generate_scene(size, seed=seed)`` gives its arrays.

    Example:
        >>> import tempfile
        >>> tile = write_synthetic_scenes(tempfile.mkdtemp(), n_tiles=1, size=48,
        ...                               progress=False, polygons=False).tiles[0]
        >>> tile.image.name, tile.grid.res, tile.seed == tile_seed(0, 0)
        ('tile_0.tif', (10.0, 10.0), True)
    """

    index: int
    image: Path
    labels: Path
    grid: GridSpec
    seed: int


@dataclass(frozen=True, slots=True)
class SyntheticCollection:
    """What :func:`write_synthetic_scenes` wrote.

    Attributes:
        root: the output folder.
        tiles: the tiles, in order.
        bands: band names of the image tiles.
        classes: the land-cover classes (ids, names, colours).
        polygons: path of the label-polygon GeoPackage, or ``None``.

    Example:
        >>> import tempfile
        >>> c = write_synthetic_scenes(tempfile.mkdtemp(), n_tiles=2, size=48, two_zones=True,
        ...                            progress=False, polygons=False)
        >>> c.crss, len(c.labels), c.class_names[0]
        (('EPSG:32633', 'EPSG:32634'), 2, 'water')
    """

    root: Path
    tiles: tuple[SyntheticTile, ...]
    bands: tuple[str, ...]
    classes: tuple[LandCoverClass, ...]
    polygons: Path | None

    @property
    def images(self) -> tuple[Path, ...]:
        """Paths of the image tiles."""
        return tuple(t.image for t in self.tiles)

    @property
    def labels(self) -> tuple[Path, ...]:
        """Paths of the label tiles."""
        return tuple(t.labels for t in self.tiles)

    @property
    def crss(self) -> tuple[str, ...]:
        """The distinct CRSs of the tiles, in tile order."""
        return tuple(dict.fromkeys(t.grid.crs for t in self.tiles))

    @property
    def class_names(self) -> dict[int, str]:
        """Class id → name."""
        return {c.id: c.name for c in self.classes}


def tile_seed(seed: int, index: int) -> int:
    """The scene seed of tile ``index`` of a collection written with ``seed``.

    Example:
        >>> tile_seed(0, 0) != tile_seed(0, 1) != tile_seed(1, 0)
        True
    """
    state = np.random.SeedSequence([seed, index]).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 32 | int(state[1])) >> 1  # non-negative, < 2**63


def _stale_tiles(folder: Path, n_tiles: int) -> list[Path]:
    """``tile_<i>.tif`` files in ``folder`` with ``i ≥ n_tiles`` (left from a larger run)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if (m := _TILE_NAME.match(p.name)) is not None and int(m.group(1)) >= n_tiles
    )


def write_synthetic_scenes(
    out_dir: str | os.PathLike[str],
    *,
    n_tiles: int = 4,
    size: int | tuple[int, int] = 2048,
    seed: int = 0,
    two_zones: bool = False,
    bands: Sequence[str] = DEFAULT_BANDS,
    res: float = 10.0,
    polygons: bool = True,
    overwrite: bool = False,
    progress: bool = True,
) -> SyntheticCollection:
    """Generate ``n_tiles`` synthetic scenes and write them as georeferenced COG tiles.

    Args:
        out_dir: output folder (created if missing).
        n_tiles: number of tiles.
        size: tile side in pixels, or ``(height, width)``.
        seed: collection seed; tile ``i`` uses :func:`tile_seed` ``(seed, i)``.
        two_zones: put the second half of the tiles in the neighbouring UTM zone (EPSG:32634).
        bands: Sentinel-2 band names of the image tiles.
        res: pixel size in metres (the scenes are drawn for 10 m pixels).
        polygons: also write the label polygons to ``<out>/labels.gpkg`` (takes about a second
            per 2048² tile).
        overwrite: replace existing outputs; stale ``tile_<i>.tif`` files of an earlier, larger
            collection (and its ``labels.gpkg`` when ``polygons`` is False) are removed.
        progress: show a progress bar.

    Returns:
        The written collection (paths, grids, seeds, bands, classes).

    Raises:
        OutputExistsError: an output exists and ``overwrite`` is False (nothing is written).
        InvalidGridError: ``size`` or ``res`` is not valid.
        BandNotFoundError: a band name is not a Sentinel-2 L2A band.
        EoforgeError: ``n_tiles`` or ``seed`` is not valid.

    Example:
        >>> import tempfile
        >>> c = write_synthetic_scenes(tempfile.mkdtemp(), n_tiles=2, size=64, two_zones=True,
        ...                            progress=False)
        >>> c.crss, c.polygons.name
        (('EPSG:32633', 'EPSG:32634'), 'labels.gpkg')
    """
    root = Path(out_dir)
    shape = check_size(size)
    names = check_bands(bands)
    grids = tile_grids(n_tiles, shape, float(res), two_zones=two_zones)
    seed = check_seed(seed)
    tiles = tuple(
        SyntheticTile(
            index=i,
            image=root / "images" / f"tile_{i}.tif",
            labels=root / "labels" / f"tile_{i}.tif",
            grid=grid,
            seed=tile_seed(seed, i),
        )
        for i, grid in enumerate(grids)
    )
    gpkg = root / "labels.gpkg"
    outputs = [p for t in tiles for p in (t.image, t.labels)] + ([gpkg] if polygons else [])
    existing = [p for p in outputs if p.exists()]
    if existing and not overwrite:
        more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
        raise OutputExistsError(
            f"'{existing[0]}'{more} already exist(s); pass overwrite=True to replace the "
            f"collection, or choose another folder than '{root}'"
        )
    if overwrite:
        stale = _stale_tiles(root / "images", n_tiles) + _stale_tiles(root / "labels", n_tiles)
        stale += [gpkg] if not polygons and gpkg.exists() else []
        for path in stale:
            path.unlink()

    frames = []
    with Progress(disable=not progress, transient=False) as bar:
        task = bar.add_task("synthetic tiles", total=len(tiles))
        for tile in tiles:
            scene = generate_scene(shape, seed=tile.seed, bands=names)
            write_raster(
                tile.image,
                scene.image,
                tile.grid,
                nodata=IMAGE_NODATA,
                band_names=names,
                overwrite=overwrite,
            )
            write_raster(
                tile.labels,
                scene.labels,
                tile.grid,
                nodata=NODATA_LABEL,
                band_names=["land cover"],
                class_names=class_names(),
                colormap=class_colormap(),
                overwrite=overwrite,
            )
            if polygons:
                frames.append(label_polygons(scene.labels, tile.grid, tile=tile.index))
            bar.advance(task)
    if polygons:
        write_label_polygons(gpkg, frames, overwrite=overwrite)
    return SyntheticCollection(
        root=root, tiles=tiles, bands=names, classes=CLASSES, polygons=gpkg if polygons else None
    )
