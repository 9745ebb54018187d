"""Sampling benchmark: random 256x256 patches from four 4096x4096x6 uint16 COG tiles.

Two scenarios: ``same_crs`` (the four tiles in EPSG:32633) and ``two_crs`` (two of them in the
next UTM zone, EPSG:32634; target grid EPSG:32633). For each, in one run, with the same random
windows and the same patch count, each part in its own fresh process (warm-up first):

- raw: rasterio ``ds.read(window=w)`` of the windows of the same queries on open handles — the
  limit of decoding (for ``two_crs``: the native windows covering each query in each file), with
  GDAL's defaults and with ``GDAL_NUM_THREADS=ALL_CPUS``;
- eoforge: ``GeoDataset(RasterSource(glob))`` + ``RandomPatchSampler`` → ``ds[q]``, one process,
  and ``ds.stream(sampler)`` (the same queries, read ahead on eoforge's read pool);
- eoforge through ``torch.utils.data.DataLoader`` with 0, 1 and 2 workers;
- TorchGeo 0.10 ``RasterDataset`` + ``RandomGeoSampler`` in its own venv, one query at a time and
  through the same ``DataLoader`` settings (``bash benchmarks/setup_torchgeo.sh``; skipped with a
  note when absent).

2000 patches per part (``--patches``) cover the tiles' area about twice: eoforge saves resume
points in the blocks it reads (a block read for the first time inflates from its first row), so
its rate climbs over the first few hundred patches and then holds, while TorchGeo's stays flat;
the parts report their rate in each quarter of the timed patches, which shows that ramp.

Every part runs with the same ``GDAL_CACHEMAX`` (``--gdal-cachemax``, 64 MB by default) so that it
measures decoding rather than hits in GDAL's block cache: the four tiles decode to 800 MB, which
would otherwise fit in the default cache (5 % of RAM) after a few hundred patches.

Usage:
    .venv/bin/python benchmarks/sampling.py --quick          # smoke test (seconds)
    .venv/bin/python benchmarks/sampling.py --json benchmarks/_work/sampling.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.windows import from_bounds
from sampling_data import RES, ensure_tiles
from sampling_parts import query_digest
from sampling_report import merge_rounds, report

from eoforge.geo import BBox, GridSpec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_CRS = "EPSG:32633"
# The environment the parts start from, taken before this process imports eoforge.io: eoforge
# writes its GDAL settings into os.environ, and a child inheriting them would take them for the
# user's own (and, e.g., keep GDAL_NUM_THREADS in the "GDAL defaults" raw part).
CLEAN_ENV = dict(os.environ)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--patches", type=int, default=2000, help="patches per part (default 2000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=256, help="patch size in pixels")
    p.add_argument("--batch-size", type=int, default=16, help="DataLoader batch size")
    p.add_argument("--workers", default="0,1,2", help="DataLoader num_workers to measure")
    p.add_argument("--warmup", type=int, default=32, help="warm-up patches before timing")
    p.add_argument(
        "--rounds", type=int, default=1,
        help="run every part this many times, in turn; report medians (default 1)",
    )  # fmt: skip
    p.add_argument("--scenarios", default="same_crs,two_crs")
    p.add_argument("--gdal-cachemax", type=int, default=64, help="MB; 0 = GDAL's default")
    p.add_argument("--work-dir", type=Path, default=HERE / "_work")
    p.add_argument("--torchgeo-python", type=Path, default=ROOT / ".venv-torchgeo/bin/python")
    p.add_argument("--part-timeout", type=float, default=600, help="seconds before killing a part")
    p.add_argument("--quick", action="store_true", help="tiny run for smoke testing")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = p.parse_args(argv)
    if args.quick:
        args.patches, args.warmup, args.batch_size = 48, 4, 8
        args.part_timeout = min(args.part_timeout, 120)
    return args


# ---------------------------------------------------------------------------- queries and windows
def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("tile_*.tif"))


def eoforge_queries(glob: str, crs: str | None, size: int, n: int, seed: int) -> list[GridSpec]:
    """The queries eoforge's sampler draws (the same in every process for the same seed)."""
    from eoforge.data import GeoDataset, RandomPatchSampler, RasterSource

    source = RasterSource(glob)
    ds = GeoDataset(source, crs=crs) if crs else GeoDataset(source)
    return list(RandomPatchSampler(ds, size, n, seed=seed))


def fallback_queries(files: list[Path], size: int, n: int, seed: int) -> list[GridSpec]:
    """Queries on the first file's grid, uniform inside the tiles (used when eoforge is absent)."""
    with rasterio.open(files[0]) as ds:
        grid = GridSpec(TARGET_CRS, ds.transform, ds.width, ds.height)
    boxes = []
    for path in files:
        with rasterio.open(path) as ds:
            b = ds.bounds
            box = BBox(b.left, b.bottom, b.right, b.top, ds.crs.to_string())
            boxes.append(box.to_crs(TARGET_CRS))
    rng = np.random.default_rng(seed)
    queries = []
    for k in rng.integers(0, len(boxes), n):
        box = boxes[k]
        r0, c0 = grid.rowcol(box.minx, box.maxy)
        r1, c1 = grid.rowcol(box.maxx, box.miny)
        row = int(rng.integers(math.ceil(r0), math.floor(r1) - size + 1))
        col = int(rng.integers(math.ceil(c0), math.floor(c1) - size + 1))
        queries.append(grid.subgrid(row, col, size, size))
    return queries


def native_windows(files: list[Path], queries: list[GridSpec]) -> list[list[list[int]]]:
    """For each query, ``[file index, col, row, width, height]`` of every file it touches.

    A window is the smallest whole-pixel window of the file covering the query's bounds (in the
    file's own CRS), clipped to the file: for aligned same-CRS files, exactly the query's pixels.
    """
    infos = []
    for path in files:
        with rasterio.open(path) as ds:
            infos.append((ds.crs.to_string(), ds.transform, ds.width, ds.height))
    out = []
    for q in queries:
        entries = []
        for i, (crs, transform, width, height) in enumerate(infos):
            b = q.bounds.to_crs(crs)
            w = from_bounds(b.minx, b.miny, b.maxx, b.maxy, transform=transform)
            col0, row0 = max(0, math.floor(w.col_off + 1e-6)), max(0, math.floor(w.row_off + 1e-6))
            col1 = min(width, math.ceil(w.col_off + w.width - 1e-6))
            row1 = min(height, math.ceil(w.row_off + w.height - 1e-6))
            if col1 > col0 and row1 > row0:
                entries.append([i, col0, row0, col1 - col0, row1 - row0])
        out.append(entries)
    return out


# ---------------------------------------------------------------------------- running the parts
def run_part(
    cmd: list[str], spec: dict[str, Any], spec_path: Path, env: dict[str, str], timeout: float
) -> Any:
    """Run one measured part in a fresh process; return its result dict or an error note."""
    spec_path.write_text(json.dumps(spec))
    try:
        proc = subprocess.run(
            [*cmd, str(spec_path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result after {timeout:.0f} s (hung?); killed"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def run_scenario(name: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    files = _files(folder)
    glob = str(folder / "tile_*.tif")
    crs = TARGET_CRS if name == "two_crs" else None
    for path in files:  # the same page-cache state for every part: all files in memory
        with path.open("rb") as f:
            while f.read(1 << 24):
                pass
    notes: list[str] = []
    try:
        queries = eoforge_queries(glob, crs, args.size, args.patches, args.seed)
        warm = eoforge_queries(glob, crs, args.size, args.warmup, args.seed + 1)
        have_eoforge = True
    except Exception as exc:  # any failure means: measure without eoforge
        notes.append(f"eoforge skipped ({type(exc).__name__}: {exc}); raw used its own windows")
        queries = fallback_queries(files, args.size, args.patches, args.seed)
        warm = fallback_queries(files, args.size, args.warmup, args.seed + 1)
        have_eoforge = False
    base = {
        "glob": glob,
        "folder": str(folder),
        "crs": crs,
        "size": args.size,
        "patches": args.patches,
        "seed": args.seed,
        "warmup": args.warmup,
        "digest": query_digest(queries),
    }
    env = dict(CLEAN_ENV)
    if args.gdal_cachemax > 0:
        env["GDAL_CACHEMAX"] = str(args.gdal_cachemax)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    parts_cmd = [sys.executable, str(HERE / "sampling_parts.py")]
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    spec_path = args.work_dir / f"spec_{name}.json"
    plan: list[tuple[str, list[str], dict[str, Any]]] = []  # (label, command, spec) per part
    raw_spec = {
        **base,
        "files": [str(p) for p in files],
        "windows": native_windows(files, queries),
        "warmup_windows": native_windows(files, warm),
    }
    for label, threads in (("raw", None), ("raw ALL_CPUS", "ALL_CPUS")):
        plan.append((label, [*parts_cmd, "raw"], {**raw_spec, "gdal_num_threads": threads}))
    if have_eoforge:
        plan.append(("eoforge", [*parts_cmd, "eoforge"], base))
        plan.append(("eoforge stream", [*parts_cmd, "eoforge"], {**base, "stream": True}))
        for k in workers:
            spec = {**base, "num_workers": k, "batch_size": args.batch_size}
            plan.append((f"loader {k} workers", [*parts_cmd, "loader"], spec))
    if args.torchgeo_python.exists():
        spec = {**base, "filename_glob": "tile_*.tif", "res": RES}
        tg_cmd = [str(args.torchgeo_python), str(HERE / "sampling_torchgeo.py")]
        plan.append(("torchgeo", tg_cmd, spec))
        for k in workers:
            loader_spec = {**spec, "num_workers": k, "batch_size": args.batch_size}
            plan.append((f"torchgeo loader {k} workers", tg_cmd, loader_spec))
    else:
        notes.append(
            f"TorchGeo skipped: {args.torchgeo_python} absent (bash benchmarks/setup_torchgeo.sh)"
        )
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):  # every part once per round: a slow spell hits both sides
        parts: dict[str, Any] = {}
        for label, cmd, spec in plan:
            parts[label] = run_part(cmd, spec, spec_path, env, args.part_timeout)
            _progress(name, label if args.rounds == 1 else f"{label} #{r + 1}", parts[label])
        rounds.append(parts)
    merged = merge_rounds(name, rounds)
    merged["notes"] = notes
    return merged


# ---------------------------------------------------------------------------- reporting
def _progress(scenario: str, label: str, part: dict[str, Any]) -> None:
    if "error" in part:
        print(f"  [{scenario}] {label:<18} ERROR {part['error']}", flush=True)
    else:
        print(f"  [{scenario}] {label:<18} {part['patches_per_s']:8.1f} patches/s", flush=True)


def environment(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "rasterio": rasterio.__version__,
        "gdal": rasterio.__gdal_version__,
        "torch": torch.__version__,
        "eoforge_commit": commit,
        "patches": args.patches,
        "warmup": args.warmup,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "rounds": args.rounds,
        "gdal_cachemax_mb": args.gdal_cachemax or "GDAL default",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print("preparing tiles in", args.work_dir, flush=True)
    folders = ensure_tiles(args.work_dir)
    results: dict[str, Any] = {"environment": environment(args), "scenarios": {}}
    for name in args.scenarios.split(","):
        results["scenarios"][name] = run_scenario(name, folders[name], args)
    results["environment"]["wall_s"] = round(time.perf_counter() - t0, 1)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
