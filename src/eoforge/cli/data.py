"""``eoforge data``: commands that look at data before training — ``eoforge data stats``.

``eoforge data stats IMAGES...`` indexes the rasters (files, folders, globs), stacks them on one
grid (``--crs``, ``--res``), reads the whole footprint once in ``--patch`` patches and prints each
band's mean, standard deviation and 2nd/98th percentiles; ``--out`` saves every statistic (and
the histograms, for any other percentile) as JSON, which
``Normalize.from_stats(BandStats.load(path))`` turns into the model's input normalisation.

``eoforge data convert NAME --root R --out STORE`` writes a dataset (a registry name or a dataset
class's dotted path) into a chip store (LMDB + safetensors, see ``docs/chip-store.md``) that
:class:`~eoforge.data.ChipStore` reads back, in parallel (``--workers``) and resumably.

Example:
    $ eoforge data stats scenes/*.tif --bands B02 B03 B04 B08 --out stats.json
    $ eoforge data convert mypackage.datasets.Patches --root data/ --out chips/ --workers 2
"""

from __future__ import annotations

import argparse
import importlib
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from eoforge.errors import EoforgeError, OutputExistsError

if TYPE_CHECKING:
    from eoforge.data import BandStats

__all__ = ["open_dataset", "register", "run_convert", "run_stats", "stats_table"]


def register(sub: Any) -> None:
    """Add the ``data`` subcommand group (``data stats``, ``data convert``) to the subparsers."""
    group = sub.add_parser("data", help="inspect and convert data: band statistics, chip stores")
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
    c = commands.add_parser(
        "convert",
        help="write a dataset into a chip store (LMDB + safetensors) for fast training reads",
        description="Read every sample of a dataset once and write it into a chip store.",
    )
    c.add_argument("name", help="a registered dataset name, or a dataset class's dotted path")
    c.add_argument("--root", type=Path, required=True, help="where the dataset lies")
    c.add_argument("--out", type=Path, required=True, help="the chip store's folder")
    c.add_argument("--split", help="the dataset's split (default: the dataset's own default)")
    c.add_argument("--bands", nargs="+", help="band names to load, in order (e.g. B02 B03)")
    c.add_argument("--workers", type=_count, default=0, help="processes reading the samples")
    c.add_argument("--overwrite", action="store_true", help="replace an existing chip store")
    c.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="finish an interrupted conversion, skipping what is stored (default: on)",
    )
    c.set_defaults(handler=_handle_convert)


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


def _handle_convert(args: argparse.Namespace) -> int:
    run_convert(
        args.name,
        root=args.root,
        out=args.out,
        split=args.split,
        bands=args.bands,
        workers=args.workers,
        overwrite=args.overwrite,
        resume=args.resume,
    )
    return 0


def open_dataset(
    name: str, root: Path | str, *, split: str | None = None, bands: list[str] | None = None
) -> Any:
    """Open a dataset by registry name or dotted class path, as ``cls(root, split=, bands=)``.

    ``split`` and ``bands`` are passed only when given. A name without a dot is looked up in
    ``eoforge.datasets.registry``; a dotted path is imported.

    Raises:
        EoforgeError: if the class cannot be found or does not take these arguments.

    Example:
        >>> open_dataset("fractions.Fraction", "x", split="train")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.EoforgeError: dataset 'fractions.Fraction' cannot be opened as Fraction(...
    """
    if "." in name:
        from eoforge.data.datamodules.chip_datamodule import resolve_dataset_class

        cls: Any = resolve_dataset_class(name)
    else:
        try:
            registry = importlib.import_module("eoforge.datasets.registry")
        except ModuleNotFoundError as err:
            if err.name != "eoforge.datasets.registry":
                raise
            raise EoforgeError(
                f"dataset {name!r} cannot be looked up: this eoforge has no dataset registry "
                "(eoforge.datasets.registry); give the dataset class's dotted path instead, "
                "e.g. mypackage.datasets.Patches"
            ) from err
        cls = registry.get_dataset(name)
    options: dict[str, Any] = {}
    if split is not None:
        options["split"] = split
    if bands is not None:
        options["bands"] = bands
    try:
        inspect.signature(cls).bind(str(root), **options)
    except TypeError as err:
        raise EoforgeError(
            f"dataset {name!r} cannot be opened as {getattr(cls, '__name__', cls)}(root"
            f"{''.join(f', {k}=…' for k in options)}) ({err}); give a dataset class taking "
            "(root, split=…, bands=…), or leave out --split / --bands"
        ) from err
    except ValueError:  # no signature to check (a builtin): let the call say what is wrong
        pass
    return cls(str(root), **options)


def run_convert(
    name: str,
    *,
    root: Path | str,
    out: Path,
    split: str | None = None,
    bands: list[str] | None = None,
    workers: int = 0,
    overwrite: bool = False,
    resume: bool = True,
    console: Console | None = None,
) -> Path:
    """Open a dataset and write it into a chip store at ``out``, with a progress bar.

    Args:
        name: a registered dataset name, or a dataset class's dotted path.
        root: where the dataset lies.
        out: the chip store's folder.
        split: the dataset's split (default: the dataset's own default).
        bands: the bands to load, in order (default: the dataset's default).
        workers: processes reading and serialising the samples.
        overwrite: replace an existing chip store.
        resume: finish an interrupted conversion (skip the stored samples).
        console: where to print (a new rich console by default).

    Returns:
        ``out``.
    """
    from eoforge.data import ChipStore, write_chip_store

    console = console or Console()
    dataset = open_dataset(name, root, split=split, bands=bands)
    write_chip_store(dataset, out, workers=workers, overwrite=overwrite, resume=resume)
    store = ChipStore(out)
    run = store.meta["last_run"]
    console.print(
        f"wrote {out}: {len(store)} samples ({run['written']} written, {run['skipped']} already "
        f"there, skipped) in {run['seconds']:.1f} s",
        soft_wrap=True,
    )
    return out
