"""``eoforge data``: commands that look at data before training — ``eoforge data stats``.

``eoforge data stats IMAGES...`` indexes the rasters (files, folders, globs), stacks them on one
grid (``--crs``, ``--res``), reads the whole footprint once in ``--patch`` patches and prints each
band's mean, standard deviation and 2nd/98th percentiles; ``--out`` saves every statistic (and
the histograms, for any other percentile) as JSON, which
``Normalize.from_stats(BandStats.load(path))`` turns into the model's input normalisation.

Example:
    $ eoforge data stats scenes/*.tif --bands B02 B03 B04 B08 --out stats.json
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from eoforge.errors import OutputExistsError

if TYPE_CHECKING:
    from eoforge.data import BandStats

__all__ = ["register", "run_stats", "stats_table"]


def register(sub: Any) -> None:
    """Add the ``data`` subcommand group (``data stats``) to the CLI's subparsers."""
    group = sub.add_parser("data", help="inspect data: per-band statistics")
    group.set_defaults(handler=lambda args: _help(group))
    commands = group.add_subparsers(dest="data_command", metavar="COMMAND")
    p = commands.add_parser(
        "stats",
        help="per-band count, mean, std, min, max and percentiles of rasters",
        description="Per-band statistics over every valid pixel of the rasters, each once.",
    )
    p.add_argument("images", nargs="+", help="raster files, folders or globs")
    p.add_argument("--crs", help="target CRS, e.g. EPSG:32633 (needed when files span CRSs)")
    p.add_argument("--res", type=float, help="target pixel size in CRS units (default: finest)")
    p.add_argument("--bands", nargs="+", help="band names to select, in order (e.g. B02 B03)")
    p.add_argument("--patch", type=int, default=256, help="patch size read at a time (pixels)")
    p.add_argument("--out", type=Path, help="write the statistics to this JSON file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.add_argument("--workers", type=_count, default=0, help="DataLoader worker processes")
    p.set_defaults(handler=_handle_stats)


def _count(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _handle_stats(args: argparse.Namespace) -> int:
    run_stats(
        args.images,
        crs=args.crs,
        res=args.res,
        bands=args.bands,
        patch=args.patch,
        out=args.out,
        overwrite=args.overwrite,
        workers=args.workers,
    )
    return 0


def stats_table(stats: BandStats, title: str = "band statistics") -> Table:
    """A rich table of each band's valid pixels, mean, std, p2 and p98.

    Example:
        >>> from eoforge.data import BandStats
        >>> s = BandStats(("B04",), (9,), (1.0,), (2.0,), (0.0,), (5.0,), (0.0,), (0.1,),
        ...               (4.0,), (5.0,))
        >>> stats_table(s).row_count
        1
    """
    table = Table(title=title)
    for name in ("band", "valid pixels", "mean", "std", "p2", "p98"):
        table.add_column(name, justify="left" if name == "band" else "right")
    for i, band in enumerate(stats.bands):
        values = (stats.mean[i], stats.std[i], stats.p2[i], stats.p98[i])
        table.add_row(band, f"{stats.count[i]:,}", *(f"{v:.6g}" for v in values))
    return table


def run_stats(
    images: list[str],
    *,
    crs: str | None = None,
    res: float | None = None,
    bands: list[str] | None = None,
    patch: int = 256,
    out: Path | None = None,
    overwrite: bool = False,
    workers: int = 0,
    console: Console | None = None,
) -> BandStats:
    """Compute, print and optionally save the band statistics of rasters.

    Args:
        images: raster files, folders or globs.
        crs: the target CRS (default: the files' common CRS).
        res: the target pixel size (default: the finest native one).
        bands: the bands to select, in order (default: all).
        patch: the patch size read at a time.
        out: a JSON file to write the statistics to.
        overwrite: replace ``out`` if it exists.
        workers: ``DataLoader`` worker processes.
        console: where to print (a new rich console by default).

    Returns:
        The :class:`~eoforge.data.BandStats`.

    Raises:
        NoFilesError: if nothing matches ``images``.
        OutputExistsError: if ``out`` exists and ``overwrite`` is false (checked first).
    """
    from eoforge.data import GeoDataset, GridPatchSampler, RasterSource, compute_band_stats

    console = console or Console()
    if out is not None and out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite or another --out")
    source = RasterSource(images, bands=bands)
    ds = GeoDataset(source, crs=crs, res=res)
    stats = compute_band_stats(ds, GridPatchSampler(ds, patch), num_workers=workers)
    grid = ds.grid
    console.print(
        stats_table(
            stats,
            f"band statistics: {len(source)} file(s), {ds.crs}, "
            f"{ds.res[0]:g} m, {grid.height} x {grid.width} px",
        )
    )
    if out is not None:
        stats.save(out, overwrite=overwrite)
        console.print(f"wrote {out}")
    return stats
