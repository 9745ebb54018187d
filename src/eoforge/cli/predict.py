"""``eoforge predict CHECKPOINT INPUT… -o OUT.tif``: a trained model over whole scenes → a COG map.

Bands, normalisation and class names/colours come from the checkpoint; inputs can be several
files in several CRSs (one mosaic). Long jobs show a progress bar, resume with ``--resume`` after
being killed, and scale out with ``--workers N`` (a local Dask cluster) or ``--scheduler ADDRESS``.

Example:
    $ eoforge predict demo-output/model.ckpt demo-output/scenes/images/tile_3.tif -o map.tif
    $ eoforge predict model.ckpt "scenes/*.tif" -o probs.tif --kind probabilities --crs EPSG:32633
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``predict`` subcommand."""
    p = sub.add_parser("predict", help="predict whole scenes with a checkpoint → a COG map")
    p.add_argument("checkpoint", type=Path, help="a .ckpt written by eoforge fit or eoforge demo")
    p.add_argument("inputs", nargs="+", help="input rasters: files, folders or globs")
    p.add_argument("-o", "--output", type=Path, required=True, help="the map to write (.tif)")
    p.add_argument("--kind", choices=["classes", "probabilities", "values"], default=None)
    p.add_argument("--tile-size", type=int, default=512)
    p.add_argument("--overlap", type=int, default=64)
    p.add_argument("--margin", type=int, default=None, help="default: overlap / 4")
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--crs", default=None, help="output CRS (default: the input's)")
    p.add_argument("--res", type=float, default=None, help="output pixel size")
    p.add_argument(
        "--bounds", type=float, nargs=4, metavar=("MINX", "MINY", "MAXX", "MAXY"), default=None
    )
    p.add_argument("--bands", nargs="+", default=None, help="names of the input's bands, in order")
    p.add_argument("--workers", type=int, default=None, help="local Dask worker processes")
    p.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    p.add_argument("--device", default="cpu", help="cpu, cuda, … or auto")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--resume", action="store_true", help="continue an unfinished job")
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from eoforge.predict import predict_scene

    report: dict[str, Any] = {}
    out = predict_scene(
        args.checkpoint,
        args.inputs,
        args.output,
        kind=args.kind,
        tile_size=args.tile_size,
        overlap=args.overlap,
        margin=args.margin,
        batch_size=args.batch_size,
        crs=args.crs,
        res=args.res,
        bounds=args.bounds,
        band_names=args.bands,
        overwrite=args.overwrite,
        resume=args.resume,
        workers=args.workers,
        scheduler=args.scheduler,
        device=args.device,
        report=report,
    )
    Console(stderr=True).print(
        f"wrote {out}: {report['grid'].width} x {report['grid'].height} px, "
        f"{report['tiles']} tiles ({report['skipped']} without data skipped) in "
        f"{report['seconds']:.1f} s"
    )
    return 0
