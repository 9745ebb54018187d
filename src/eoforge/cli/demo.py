"""``eoforge demo``: the data engine end to end on built-in synthetic scenes.

Generates four Sentinel-2-like tiles spread over two UTM zones, indexes them, stacks image and
labels on one 10 m grid, draws random and gridded training patches through a ``DataLoader`` with
two workers, checks that the label polygons rasterize to the label raster, and writes a summary
(``summary.json``) and a picture of the patches (``patches.png``) to the output folder.

Example:
    $ eoforge demo --out demo-output
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from eoforge.errors import OutputExistsError

__all__ = ["register", "run_demo"]


def register(sub: Any) -> None:
    """Add the ``demo`` subcommand to the CLI's subparsers."""
    p = sub.add_parser("demo", help="run the data engine on built-in synthetic scenes")
    p.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    p.add_argument("--size", type=int, default=1024, help="tile size in pixels")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier demo's outputs")
    p.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    run_demo(
        args.out, size=args.size, seed=args.seed, workers=args.workers, overwrite=args.overwrite
    )
    return 0


def run_demo(
    out: Path,
    *,
    size: int = 1024,
    seed: int = 0,
    workers: int = 2,
    overwrite: bool = False,
    console: Console | None = None,
) -> dict[str, Any]:
    """Run the data-engine demo and return its summary (also written to ``out/summary.json``).

    Args:
        out: output folder (created).
        size: tile size in pixels (four tiles are written).
        seed: seed of the scenes and samplers.
        workers: number of DataLoader worker processes.
        overwrite: replace the outputs of an earlier run.
        console: where to print (a new rich console by default).
    """
    from torch.utils.data import DataLoader

    from eoforge.data import (
        GeoDataset,
        GridPatchSampler,
        RandomPatchSampler,
        RasterSource,
        VectorSource,
        collate,
    )
    from eoforge.datasets.synthetic import write_synthetic_scenes

    console = console or Console()
    summary_path = out / "summary.json"
    if summary_path.exists() and not overwrite:
        raise OutputExistsError(f"{out} holds an earlier demo; pass --overwrite or another --out")
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    scenes = write_synthetic_scenes(
        out / "scenes", n_tiles=4, size=size, seed=seed, two_zones=True, overwrite=True
    )
    t_generate = time.perf_counter() - t0

    t0 = time.perf_counter()
    image = RasterSource(out / "scenes" / "images" / "*.tif")
    labels = RasterSource(out / "scenes" / "labels" / "*.tif", kind="mask")
    ds = GeoDataset(image, mask=labels, crs="EPSG:32633")
    t_index = time.perf_counter() - t0
    console.print(ds)

    patch = 128
    sampler = RandomPatchSampler(ds, patch, length=64, seed=seed, min_valid=0.9)
    loader = DataLoader(ds, sampler=sampler, batch_size=16, num_workers=workers, collate_fn=collate)
    t0 = time.perf_counter()
    class_counts = np.zeros(256, dtype=np.int64)
    first_batch: dict[str, Any] | None = None
    n_random = 0
    for batch in loader:
        first_batch = first_batch or batch
        n_random += batch["image"].shape[0]
        class_counts += np.bincount(batch["mask"].flatten().numpy(), minlength=256)[:256]
    t_random = time.perf_counter() - t0

    grid_sampler = GridPatchSampler(ds, 256)
    n_grid = len(grid_sampler)

    assert scenes.polygons is not None  # written with polygons=True (the default)
    polygons = VectorSource(scenes.polygons, attribute="class_id")
    query = next(iter(RandomPatchSampler(ds, 64, length=1, seed=seed + 1, min_valid=1.0)))
    raster_mask = ds[query]["mask"].numpy()
    vector_mask, _ = polygons.read(query)
    agreement = float((vector_mask[0] == raster_mask).mean())

    names = scenes.class_names
    summary: dict[str, Any] = {
        "tiles": [str(p) for p in scenes.images],
        "crs_of_tiles": sorted(image.crss),
        "dataset_crs": ds.crs,
        "bands": ds.bands,
        "random_patches": n_random,
        "random_patches_per_s": n_random / t_random,
        "grid_patches_256": n_grid,
        "class_pixels": {
            name: int(class_counts[i]) for i, name in names.items() if class_counts[i]
        },
        "polygon_vs_raster_label_agreement": agreement,
        "seconds": {"generate": t_generate, "index": t_index, "random_sampling": t_random},
    }
    assert first_batch is not None
    _plot_patches(first_batch, scenes, out / "patches.png")
    tmp = summary_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2))
    tmp.replace(summary_path)

    table = Table(title="eoforge data-engine demo")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("tiles (CRSs)", f"{len(scenes.images)} ({', '.join(sorted(image.crss))})")
    table.add_row("dataset grid", f"{ds.crs}, {ds.res[0]:g} m, {len(ds.bands)} bands")
    table.add_row("random 128² patches / s", f"{summary['random_patches_per_s']:.0f}")
    table.add_row("grid 256² patches", str(n_grid))
    table.add_row("polygon ↔ raster labels agree", f"{agreement:.1%}")
    console.print(table)
    console.print(f"wrote {summary_path} and {out / 'patches.png'}")
    return summary


def _plot_patches(batch: dict[str, Any], scenes: Any, path: Path, n: int = 6) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    bands = batch["bands"][0]
    rgb_idx = [bands.index(b) for b in ("B04", "B03", "B02")]
    colors = [np.array(c.color) / 255 for c in scenes.classes]
    cmap = ListedColormap(colors)
    n = min(n, batch["image"].shape[0])
    fig, axes = plt.subplots(2, n, figsize=(2.2 * n, 4.6))
    for i in range(n):
        rgb = batch["image"][i, rgb_idx].numpy().transpose(1, 2, 0)
        rgb = np.clip(rgb / 2000.0, 0, 1)
        axes[0, i].imshow(rgb)
        mask = batch["mask"][i].numpy()
        axes[1, i].imshow(
            np.ma.masked_greater(mask, len(colors) - 1),
            cmap=cmap,
            vmin=0,
            vmax=len(colors) - 1,
            interpolation="nearest",
        )
        for ax in axes[:, i]:
            ax.set_axis_off()
    fig.suptitle("random patches: Sentinel-2 RGB (top) and labels (bottom)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
