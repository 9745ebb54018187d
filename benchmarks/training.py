"""Training benchmark: is data loading the bottleneck? One epoch fed by the real pipeline vs memory.

The demo's setting: a ``unet_tiny`` (ResNet-18) segmentation task trained on random 128² patches
(batch 16, 512 patches per epoch) of four synthetic 1024² Sentinel-2-like tiles over two UTM
zones (EPSG:32633 grid; the EPSG:32634 tiles reprojected on read). Each variant runs in its own
process, fits two epochs and times the second (the first warms up caches and worker start-up):

- ``pipeline``: ``GeoDataModule`` → ``RandomPatchSampler`` → ``DataLoader`` with ``--workers``
  workers, the path training really takes (read, reproject, stack, collate in the workers);
- ``memory``: the very same batches, read beforehand and held as tensors, fed by a DataLoader
  over the list (no reads, no decoding).

Each variant runs ``--repeats`` times (alternating); the medians are compared.
Target: pipeline epoch <= 1.15 x memory epoch.

Usage:
    .venv/bin/python benchmarks/training.py --json benchmarks/_work/training.json
    .venv/bin/python benchmarks/training.py --quick       # smaller, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGET = 1.15


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work-dir", type=Path, default=HERE / "_work" / "training")
    p.add_argument("--size", type=int, default=1024, help="tile side in pixels")
    p.add_argument("--patches", type=int, default=512, help="training patches per epoch")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3, help="runs of each variant (alternating)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", type=Path)
    p.add_argument("--variant", choices=["pipeline", "memory"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.size, args.patches, args.repeats = 512, 128, 1
    return args


def _datamodule(args: argparse.Namespace) -> Any:
    from eoforge.data.datamodules import GeoDataModule
    from eoforge.datasets.synthetic import write_synthetic_scenes

    folder = args.work_dir / f"scenes_{args.size}"
    if (folder / "images" / "tile_3.tif").exists():
        images = sorted(str(p) for p in (folder / "images").glob("tile_*.tif"))
        labels = sorted(str(p) for p in (folder / "labels").glob("tile_*.tif"))
    else:
        scenes = write_synthetic_scenes(
            folder, n_tiles=4, size=args.size, two_zones=True, polygons=False, overwrite=True
        )
        images = [str(t.image) for t in scenes.tiles]
        labels = [str(t.labels) for t in scenes.tiles]
    return GeoDataModule(
        images=images, mask=labels, crs="EPSG:32633", patch_size=128, batch_size=16,
        train_patches=args.patches, block_pixels=256, num_workers=args.workers,
        stats_patches=64, fractions={"train": 0.8, "val": 0.2},
    )  # fmt: skip


class _EpochTimer:
    """A Lightning callback recording the wall time of each training epoch."""

    def __init__(self) -> None:
        from lightning.pytorch import Callback

        outer = self
        self.seconds: list[float] = []

        class Timer(Callback):  # type: ignore[misc]
            def on_train_epoch_start(self, trainer: Any, module: Any) -> None:
                outer._t0 = time.perf_counter()

            def on_train_epoch_end(self, trainer: Any, module: Any) -> None:
                outer.seconds.append(time.perf_counter() - outer._t0)

        self.callback = Timer()


def run_variant(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from lightning.pytorch import Trainer, seed_everything
    from torch.utils.data import DataLoader

    from eoforge.tasks import SegmentationTask

    dm = _datamodule(args)
    dm.setup("fit")
    info = dm.data_info()
    fit_data: dict[str, Any] = {"datamodule": dm}  # the loaders Lightning asks the module for
    if args.variant == "memory":
        batches = list(dm.train_dataloader())  # one epoch's batches, read beforehand
        fit_data = {"train_dataloaders": DataLoader(batches, batch_size=None, shuffle=False)}
    seed_everything(0, verbose=False)
    task = SegmentationTask(model="unet_tiny", backbone="resnet18", loss="ce+dice", data_info=info)
    timer = _EpochTimer()
    trainer = Trainer(
        max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
        callbacks=[timer.callback], deterministic=True,
    )  # fmt: skip
    trainer.fit(task, **fit_data)
    return {
        "variant": args.variant,
        "epoch_seconds": [round(s, 2) for s in timer.seconds],
        "timed_epoch_s": round(timer.seconds[-1], 2),
        "batches_per_epoch": len(dm.train_dataloader()),
        "torch_threads": torch.get_num_threads(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.variant:
        print("RESULT " + json.dumps(run_variant(args)), flush=True)
        return 0
    args.work_dir.mkdir(parents=True, exist_ok=True)
    _datamodule(args)  # make the scenes once, outside the timed processes
    runs: dict[str, list[dict[str, Any]]] = {"memory": [], "pipeline": []}
    for _ in range(args.repeats):  # alternating, so that drifts of the machine hit both alike
        for variant in ("memory", "pipeline"):
            cmd = [sys.executable, __file__, "--variant", variant, "--size", str(args.size)]
            cmd += ["--patches", str(args.patches), "--workers", str(args.workers)]
            cmd += ["--work-dir", str(args.work_dir)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            runs[variant].append(json.loads(line[len("RESULT ") :]))
            print(f"  {variant:<9} epoch {runs[variant][-1]['timed_epoch_s']:7.2f} s", flush=True)
    medians = {v: statistics.median(r["timed_epoch_s"] for r in runs[v]) for v in runs}
    ratio = medians["pipeline"] / medians["memory"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"median epoch: memory {medians['memory']:.2f} s, pipeline {medians['pipeline']:.2f} s")
    print(f"ratio pipeline/memory {ratio:.3f} (target <= {TARGET}: {verdict})")
    results = {"runs": runs, "median_epoch_s": medians}
    out = {
        "results": results,
        "ratio_pipeline_over_memory": round(ratio, 3),
        "target": TARGET,
        "meets_target": ratio <= TARGET,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}",
        "settings": {
            "size": args.size,
            "patches": args.patches,
            "workers": args.workers,
            "repeats": args.repeats,
        },
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
