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

from eoforge.geo import BBox, GridSpec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_CRS = "EPSG:32633"
# The environment the parts start from, taken before this process imports eoforge.io: eoforge
# writes its GDAL settings into os.environ, and a child inheriting them would take them for the
# user's own (and, e.g., keep GDAL_NUM_THREADS in the "GDAL defaults" raw part).
CLEAN_ENV = dict(os.environ)
TORCHGEO_TARGET = {"same_crs": 2.0, "two_crs": 3.0}
# The targets: eoforge in one process (each way of reading it offers) against TorchGeo's
# RasterDataset + random sampler in one process, and eoforge's DataLoader scaling.
TARGETS = {  # ratio name -> {scenario: minimum}
    "eoforge/raw": {"same_crs": 0.9},
    "eoforge/torchgeo": TORCHGEO_TARGET,
    "eoforge stream/torchgeo": TORCHGEO_TARGET,
    "loader 0 workers: eoforge/torchgeo": TORCHGEO_TARGET,
    "loader 2 workers/1 worker": {"same_crs": 1.6, "two_crs": 1.6},
}
# Reported against the same figures, as a comparison and not a target: at equal DataLoader
# workers each side has the same cores, and both are bound by inflating DEFLATE per core (see
# RESULTS.md: eoforge inflates less than half of what GDAL inflates, at about the same speed).
PER_CORE = {
    "loader 1 workers: eoforge/torchgeo": TORCHGEO_TARGET,
    "loader 2 workers: eoforge/torchgeo": TORCHGEO_TARGET,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--patches", type=int, default=500, help="patches per part (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, default=256, help="patch size in pixels")
    p.add_argument("--batch-size", type=int, default=16, help="DataLoader batch size")
    p.add_argument("--workers", default="0,1,2", help="DataLoader num_workers to measure")
    p.add_argument("--warmup", type=int, default=32, help="warm-up patches before timing")
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
    spec_path = args.work_dir / f"spec_{name}.json"
    parts: dict[str, Any] = {}

    raw_spec = {
        **base,
        "files": [str(p) for p in files],
        "windows": native_windows(files, queries),
        "warmup_windows": native_windows(files, warm),
    }
    for label, threads in (("raw", None), ("raw ALL_CPUS", "ALL_CPUS")):
        spec = {**raw_spec, "gdal_num_threads": threads}
        parts[label] = run_part([*parts_cmd, "raw"], spec, spec_path, env, args.part_timeout)
        _progress(name, label, parts[label])
    if have_eoforge:
        eoforge_cmd = [*parts_cmd, "eoforge"]
        parts["eoforge"] = run_part(eoforge_cmd, base, spec_path, env, args.part_timeout)
        _progress(name, "eoforge", parts["eoforge"])
        stream_spec = {**base, "stream": True}
        label = "eoforge stream"
        parts[label] = run_part(eoforge_cmd, stream_spec, spec_path, env, args.part_timeout)
        _progress(name, label, parts[label])
        for k in (int(w) for w in args.workers.split(",") if w.strip()):
            spec = {**base, "num_workers": k, "batch_size": args.batch_size}
            label = f"loader {k} workers"
            parts[label] = run_part([*parts_cmd, "loader"], spec, spec_path, env, args.part_timeout)
            _progress(name, label, parts[label])
    if args.torchgeo_python.exists():
        spec = {**base, "filename_glob": "tile_*.tif", "res": RES}
        tg_cmd = [str(args.torchgeo_python), str(HERE / "sampling_torchgeo.py")]
        parts["torchgeo"] = run_part(tg_cmd, spec, spec_path, env, args.part_timeout)
        _progress(name, "torchgeo", parts["torchgeo"])
        for k in (int(w) for w in args.workers.split(",") if w.strip()):
            label = f"torchgeo loader {k} workers"
            loader_spec = {**spec, "num_workers": k, "batch_size": args.batch_size}
            parts[label] = run_part(tg_cmd, loader_spec, spec_path, env, args.part_timeout)
            _progress(name, label, parts[label])
    else:
        notes.append(
            f"TorchGeo skipped: {args.torchgeo_python} absent (bash benchmarks/setup_torchgeo.sh)"
        )
    return {"parts": parts, "ratios": ratios(name, parts), "notes": notes}


def _rate(parts: dict[str, Any], label: str) -> float | None:
    part = parts.get(label)
    return part.get("patches_per_s") if part and "error" not in part else None


def ratios(scenario: str, parts: dict[str, Any]) -> dict[str, Any]:
    raws = [r for r in (_rate(parts, "raw"), _rate(parts, "raw ALL_CPUS")) if r]
    pairs = {
        "eoforge/raw": (_rate(parts, "eoforge"), max(raws) if raws else None),
        "eoforge/torchgeo": (_rate(parts, "eoforge"), _rate(parts, "torchgeo")),
        "eoforge stream/torchgeo": (_rate(parts, "eoforge stream"), _rate(parts, "torchgeo")),
        **{
            f"loader {k} workers: eoforge/torchgeo": (
                _rate(parts, f"loader {k} workers"),
                _rate(parts, f"torchgeo loader {k} workers"),
            )
            for k in (0, 1, 2)
        },
        "loader 2 workers/1 worker": (
            _rate(parts, "loader 2 workers"),
            _rate(parts, "loader 1 workers"),
        ),
    }
    out: dict[str, Any] = {}
    for key, (num, den) in pairs.items():
        if num and den:
            target = TARGETS.get(key, {}).get(scenario)
            value = num / den
            out[key] = {"value": round(value, 3), "target": target}
            if key in PER_CORE:
                out[key]["per_core_comparison"] = PER_CORE[key].get(scenario)
            if target is not None:
                out[key]["meets_target"] = value >= target
    return out


# ---------------------------------------------------------------------------- reporting
def _progress(scenario: str, label: str, part: dict[str, Any]) -> None:
    if "error" in part:
        print(f"  [{scenario}] {label:<18} ERROR {part['error']}", flush=True)
    else:
        print(f"  [{scenario}] {label:<18} {part['patches_per_s']:8.1f} patches/s", flush=True)


def report(results: dict[str, Any]) -> str:
    lines = []
    for name, res in results["scenarios"].items():
        lines.append(f"\n== {name} ==")
        lines.append(f"{'part':<20}{'patches/s':>10}{'ms/patch':>10}{'peak RSS MB':>13}  notes")
        for label, part in res["parts"].items():
            if "error" in part:
                lines.append(f"{label:<20}{'error':>10}  {part['error']}")
                continue
            rate = part["patches_per_s"]
            rss = part["peak_rss_mb"]
            extra = []
            if part.get("num_workers"):
                extra.append(f"worker peak RSS {part['children_peak_rss_mb']:.0f} MB")
            if "peak_pss_all_processes_mb" in part:
                extra.append(f"all processes PSS {part['peak_pss_all_processes_mb']:.0f} MB")
            if "setup_s" in part:
                extra.append(f"setup {part['setup_s']:.2f} s")
            if "mean_pixels_read" in part:
                extra.append(
                    f"{part['mean_pixels_read']} px, {part['mean_reads_per_patch']} reads/patch"
                )
            if "first_batch_s" in part:
                extra.append(f"first batch {part['first_batch_s']:.2f} s")
            if part.get("same_queries_as_raw") is False:
                extra.append("QUERIES DIFFER FROM RAW")
            if part.get("pixel_mismatches_vs_rasterio_merge"):
                n_bad = part["pixel_mismatches_vs_rasterio_merge"]
                extra.append(f"{n_bad} PIXELS DIFFER FROM rasterio.merge")
            ms = 1000 / rate if rate else float("nan")
            lines.append(f"{label:<20}{rate:>10.1f}{ms:>10.2f}{rss:>13.0f}  {', '.join(extra)}")
        for key, r in res["ratios"].items():
            verdict = ""
            if r["target"] is not None:
                verdict = f"(target >= {r['target']}: {'met' if r['meets_target'] else 'NOT met'})"
            elif r.get("per_core_comparison") is not None:
                verdict = "(per core: equal workers on both sides; a comparison, no target)"
            lines.append(f"ratio {key:<28} {r['value']:.2f} {verdict}")
        lines.extend(f"note: {n}" for n in res["notes"])
    return "\n".join(lines)


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
