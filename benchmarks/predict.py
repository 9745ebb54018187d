"""Prediction benchmark: whole scenes through ``predict_scene`` — overhead, memory, scaling out.

Scenes: a 4x4 mosaic of 4096x4096x6 uint16 DEFLATE COG tiles (made once in
``benchmarks/_work/predict/``, imagery-like content, EPSG:32633); the 8192² scene is its top-left
2x2 tiles, the 16384² scene all sixteen (both read as multi-file mosaics). Model: ``unet_tiny`` on
ResNet-18, 6 bands, 6 classes (random weights: speed does not depend on them), tiles of 512²
with 64 px overlap, batches of 2 (the default), output: the class map (COG). Each part runs in a
fresh process:

- ``predict``: ``predict_scene`` on the 8192² scene — total wall time and peak RSS;
- ``forward``: the model's forward passes alone over the same number of batches of the same
  shapes (random tensors already in memory), with freed heap memory kept for reuse as
  ``predict_scene`` does (:mod:`eoforge.heap_reuse`) — the time prediction cannot go below;
  ``forward plain``: the same with glibc's default heap (what that policy gains);
- ``predict`` on the 16384² scene — peak RSS (memory must not grow with the scene's area);
- ``dask``: the 8192² scene with ``workers=1`` and ``workers=2`` (a local Dask cluster started
  inside the measured call: its start-up, several seconds of starting processes and importing
  in them, counts).

The timed parts (forward, predict 8192², dask) run ``--repeats`` times, alternating, and the
fastest run of each counts (the machine is shared: a slow spell should not decide a ratio).
Modules are imported before the clock starts on every side (eoforge, torch, timm: several
seconds of a fresh process that are no part of predicting; predicting does not import
Lightning); loading the checkpoint, indexing the inputs and writing the COG are timed.

Before the parts, the page cache's pages of the environment's shared libraries are dropped
(:func:`evict_library_pages`: right after an install they inflate RSS by ~200 MB).

Targets: predict / forward <= 1.15; peak RSS (8192²) <= 1.5 GB and RSS (16384²) <= 1.1 x that;
workers=2 >= 1.6 x workers=1.

Usage:
    .venv/bin/python benchmarks/predict.py --json benchmarks/_work/predict.json
    .venv/bin/python benchmarks/predict.py --quick     # 2048² / 4096² scenes, smaller model input
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TILE, OVERLAP, BATCH = 512, 64, 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work-dir", type=Path, default=HERE / "_work" / "predict")
    p.add_argument("--tile-size", type=int, default=4096, help="side of each mosaic tile")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--json", type=Path)
    p.add_argument("--repeats", type=int, default=2, help="runs of the timed parts (fastest kept)")
    p.add_argument("--part", help=argparse.SUPPRESS)
    p.add_argument("--arg", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.tile_size = 1024
        args.work_dir = args.work_dir.with_name("predict_quick")
    return args


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------- data and model
def ensure_data(args: argparse.Namespace) -> dict[str, Any]:
    """Make the 4x4 tiles and the checkpoint once; return their paths."""
    import rasterio
    from affine import Affine
    from sampling_data import imagery_like

    folder = args.work_dir
    folder.mkdir(parents=True, exist_ok=True)
    size = args.tile_size
    files = {}
    for r in range(4):
        for c in range(4):
            path = folder / f"tile_r{r}_c{c}.tif"
            files[r, c] = path
            if path.exists():
                continue
            data = imagery_like(10 + 4 * r + c, size=size)
            transform = Affine(10, 0, 500000 + c * size * 10, 0, -10, 5000000 - r * size * 10)
            tmp = path.with_name(f".{path.name}.tmp")
            with rasterio.open(
                tmp, "w", driver="COG", width=size, height=size, count=6, dtype="uint16",
                crs="EPSG:32633", transform=transform, compress="DEFLATE", blocksize=512,
                num_threads="ALL_CPUS", bigtiff="IF_SAFER",
            ) as dst:  # fmt: skip
                dst.write(data)
                dst.descriptions = tuple(f"B{i}" for i in range(1, 7))
            os.replace(tmp, path)
            print(f"  wrote {path.name}", flush=True)
    ckpt = folder / "unet_tiny.ckpt"
    if not ckpt.exists():  # the tasks (and Lightning) imported only here: predicting needs neither
        import torch

        from eoforge.tasks import SegmentationTask, save_task

        torch.manual_seed(0)
        info = {"bands": [f"B{i}" for i in range(1, 7)],
                "classes": [f"class {k}" for k in range(6)],
                "mean": [2000.0] * 6, "std": [500.0] * 6}  # fmt: skip
        save_task(SegmentationTask(model="unet_tiny", backbone="resnet18", data_info=info), ckpt)
    return {
        "small": [str(files[r, c]) for r in range(2) for c in range(2)],
        "large": [str(p) for p in files.values()],
        "checkpoint": str(ckpt),
        "scene_px": {"small": 2 * size, "large": 4 * size},
    }


def evict_library_pages() -> int:
    """Drop the page cache's clean pages of the environment's shared libraries; files evicted.

    Files that were just written (a fresh ``pip install``) sit in the page cache in large
    folios, and every page fault of a process mapping them then maps a whole folio: importing
    torch showed 709 MB of RSS right after installing it, 504 MB once its pages had been read
    from disk (the memory in use is the same; it is what RSS counts). Evicting them first makes
    the RSS figures those of a machine whose libraries were read, not just written.
    """
    evicted = 0
    for path in Path(sys.prefix).rglob("*.so*"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            evicted += 1
        finally:
            os.close(fd)
    return evicted


# ---------------------------------------------------------------------------- the parts
def part_predict(data: dict[str, Any], scene: str, out: Path) -> dict[str, Any]:
    from eoforge.predict import predict_scene
    from eoforge.tasks import load_trained_model  # noqa: F401 - imported before the clock

    report: dict[str, Any] = {}
    t0 = time.perf_counter()
    predict_scene(
        data["checkpoint"], data[scene], out, tile_size=TILE, overlap=OVERLAP, batch_size=BATCH,
        overwrite=True, progress=False, report=report,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "tiles": report["tiles"], "skipped": report["skipped"],
            "peak_rss_mb": round(_vm_hwm_mb(), 1)}  # fmt: skip


def part_forward(data: dict[str, Any], heap: str) -> dict[str, Any]:
    import contextlib

    import torch

    from eoforge.heap_reuse import keep_freed_memory
    from eoforge.predict.tile_layout import TileLayout
    from eoforge.predict.tile_runner import batches
    from eoforge.tasks import load_trained_model

    task = load_trained_model(data["checkpoint"])
    side = data["scene_px"]["small"]
    layout = TileLayout(side, side, TILE, OVERLAP)
    sizes = [len(b) for _ in range(layout.shape[0]) for b in batches(layout.shape[1], BATCH)]
    inputs = {n: torch.rand(n, 6, TILE, TILE) * 4000 for n in set(sizes)}
    policy = keep_freed_memory() if heap == "kept" else contextlib.nullcontext()
    with policy, torch.inference_mode():
        task(inputs[sizes[0]])  # warm-up
        t0 = time.perf_counter()
        for n in sizes:
            torch.softmax(task(inputs[n]), dim=1).numpy()
        seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 2), "batches": len(sizes), "tiles": sum(sizes)}


def part_dask(data: dict[str, Any], workers: int, out: Path) -> dict[str, Any]:
    from eoforge.predict import predict_scene
    from eoforge.tasks import load_trained_model  # noqa: F401 - imported before the clock

    t0 = time.perf_counter()
    predict_scene(
        data["checkpoint"], data["small"], out, tile_size=TILE, overlap=OVERLAP,
        batch_size=BATCH, workers=workers, overwrite=True, progress=False,
    )  # fmt: skip
    return {"seconds": round(time.perf_counter() - t0, 2), "workers": workers}


def run_part(args: argparse.Namespace, part: str, arg: str = "") -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--part", part, "--arg", arg, "--work-dir", str(args.work_dir)]
    cmd += ["--tile-size", str(args.tile_size)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        return {"error": proc.stderr.strip().splitlines()[-5:]}
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    print(f"  {part} {arg}: {result}", flush=True)
    return result


def _fastest(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of a part's runs (the one least disturbed), with all runs' seconds."""
    good = [r for r in results if "error" not in r]
    if not good:
        return results[0]
    best = dict(min(good, key=lambda r: r["seconds"]))
    best["runs_seconds"] = [r["seconds"] for r in good]
    return best


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(HERE))
    data = ensure_data(args)
    if args.part:
        out = args.work_dir / f"out_{args.part}_{args.arg}.tif"
        if args.part == "predict":
            result = part_predict(data, args.arg, out)
        elif args.part == "forward":
            result = part_forward(data, args.arg)
        else:
            result = part_dask(data, int(args.arg), out)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    print(f"  evicted the cached pages of {evict_library_pages()} shared libraries", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {}
    order = [("forward", "forward", "kept"), ("predict_small", "predict", "small")] * args.repeats
    order += [("forward_plain", "forward", "plain"), ("predict_large", "predict", "large")]
    order += [("dask_1", "dask", "1"), ("dask_2", "dask", "2")] * args.repeats
    for name, part, arg in order:  # alternating: a slow spell of the machine hits both sides
        runs.setdefault(name, []).append(run_part(args, part, arg))
    parts = {name: _fastest(results) for name, results in runs.items()}
    ratios = {}
    if "error" not in parts["forward"] and "error" not in parts["predict_small"]:
        ratios["predict/forward"] = round(
            parts["predict_small"]["seconds"] / parts["forward"]["seconds"], 3
        )
    if "error" not in parts["predict_small"] and "error" not in parts["predict_large"]:
        ratios["rss large/small"] = round(
            parts["predict_large"]["peak_rss_mb"] / parts["predict_small"]["peak_rss_mb"], 3
        )
    if "error" not in parts["forward"] and "error" not in parts["forward_plain"]:
        ratios["forward plain/kept heap"] = round(
            parts["forward_plain"]["seconds"] / parts["forward"]["seconds"], 3
        )
    if "error" not in parts["dask_1"] and "error" not in parts["dask_2"]:
        ratios["workers 2/1 speed-up"] = round(
            parts["dask_1"]["seconds"] / parts["dask_2"]["seconds"], 3
        )
    targets = {"predict/forward": ("<=", 1.15), "rss large/small": ("<=", 1.10),
               "workers 2/1 speed-up": (">=", 1.6)}  # fmt: skip
    for key, value in ratios.items():
        if key not in targets:
            print(f"ratio {key:<22} {value:.3f}")
            continue
        op, limit = targets[key]
        met = value <= limit if op == "<=" else value >= limit
        print(f"ratio {key:<22} {value:.3f} (target {op} {limit}: {'met' if met else 'NOT met'})")
    small_rss = parts["predict_small"].get("peak_rss_mb")
    if small_rss is not None:
        gb = small_rss * 2**20 / 1e9  # peak_rss_mb is in MiB (VmHWM / 1024)
        met = "met" if gb <= 1.5 else "NOT met"
        print(f"peak RSS {data['scene_px']['small']}²: {small_rss:.0f} MiB = {gb:.3f} GB "
              f"(target <= 1.5 GB = {1.5e9 / 2**20:.0f} MiB: {met})")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({
            "parts": parts, "ratios": ratios, "scene_px": data["scene_px"],
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}",
        }, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
