"""Indexing benchmark: RasterSource over 10,000 small GeoTIFFs.

Creates (once) 10,000 GeoTIFFs of 64x64x3 uint8 in benchmarks/_work/index10k, laid out as a
100x100 grid of adjacent 640 m tiles across the UTM zone 33/34 boundary: tiles west of 18°E in
EPSG:32633, the others in EPSG:32634 (two CRSs, as in real collections along a zone edge). Then,
each in a fresh process so that time and peak memory are those of the indexing alone:

1. first build: ``RasterSource(folder)`` with the saved index (``.eoforge-index-*.json`` beside
   the files) deleted beforehand (target < 20 s);
2. reuse: the same call in a new process, which loads the saved index (target < 2 s);

and reports the peak RSS of each process (target < 300 MB), next to the RSS after the imports
alone, so that what indexing adds is visible.

Usage:
    .venv/bin/python benchmarks/indexing.py [--files 10000] [--json OUT]
    .venv/bin/python benchmarks/indexing.py --quick          # 500 files, smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGETS = {"build_s": 20.0, "reuse_s": 2.0, "peak_rss_mb": 300.0}
SIZE, RES = 64, 10.0


def _vm_hwm_mb() -> float:
    """Peak RSS of this process since exec (``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _vm_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_files(folder: Path, count: int) -> float:
    """Write ``count`` small GeoTIFFs into ``folder`` unless it is complete; return seconds."""
    if folder.is_dir() and len(list(folder.glob("*.tif"))) == count:
        return 0.0
    import numpy as np
    import rasterio
    from affine import Affine
    from rasterio.warp import transform as warp_transform

    t0 = time.perf_counter()
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    side = int(np.ceil(np.sqrt(count)))
    step = SIZE * RES
    cx, cy = warp_transform("EPSG:4326", "EPSG:32633", [18.0], [46.0])
    x0 = round(cx[0] / RES) * RES - side * step * 0.7  # 30 % of the columns east of 18°E
    y0 = round(cy[0] / RES) * RES + side * step / 2
    rng = np.random.default_rng(0)
    data = rng.integers(0, 255, size=(count, 3, SIZE, SIZE), dtype=np.uint8)
    rows, cols = np.divmod(np.arange(count), side)
    xs, ys = x0 + cols * step, y0 - rows * step  # north-west corners in EPSG:32633
    lons, _ = warp_transform("EPSG:32633", "EPSG:4326", xs.tolist(), ys.tolist())
    east = np.asarray(lons) >= 18.0
    ex, ey = warp_transform("EPSG:32633", "EPSG:32634", xs[east].tolist(), ys[east].tolist())
    xs[east], ys[east] = np.round(np.asarray(ex) / RES) * RES, np.round(np.asarray(ey) / RES) * RES
    for k in range(count):
        row, col, x, y = rows[k], cols[k], float(xs[k]), float(ys[k])
        crs = "EPSG:32634" if east[k] else "EPSG:32633"
        profile = {
            "driver": "GTiff",
            "width": SIZE,
            "height": SIZE,
            "count": 3,
            "dtype": "uint8",
            "crs": crs,
            "transform": Affine(RES, 0, x, 0, -RES, y),
            "compress": "deflate",
        }
        with rasterio.open(tmp / f"chip_{row:03d}_{col:03d}.tif", "w", **profile) as dst:
            dst.write(data[k])
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return time.perf_counter() - t0


def saved_indexes(folder: Path) -> list[Path]:
    """The index files eoforge saved beside the data (``.eoforge-index-<hash>.json``)."""
    return sorted(folder.glob(".eoforge-index-*"))


def _import_raster_source_alone() -> Any:
    """``eoforge.data.raster_source.RasterSource`` without running ``eoforge/data/__init__.py``.

    Diagnostic only: the package's ``__init__`` imports ``GeoDataset`` and with it torch, whose
    import alone takes ~470 MB of RSS (CUDA build); this shows what indexing costs without it.
    """
    import types

    import eoforge

    package = types.ModuleType("eoforge.data")
    package.__path__ = [str(Path(eoforge.__file__).parent / "data")]
    sys.modules["eoforge.data"] = package
    from eoforge.data.raster_source import RasterSource

    return RasterSource


def worker(mode: str, folder: Path) -> dict[str, Any]:
    """Inside a fresh process: import, then build or reuse the index; time and memory."""
    t0 = time.perf_counter()
    if mode.endswith("without torch"):
        RasterSource = _import_raster_source_alone()  # noqa: N806
    else:
        from eoforge.data import RasterSource

    import_s = time.perf_counter() - t0
    rss_after_imports = _vm_rss_mb()
    t0 = time.perf_counter()
    source = RasterSource(folder)
    seconds = time.perf_counter() - t0
    return {
        "mode": mode,
        "torch_imported": "torch" in sys.modules,
        "seconds": round(seconds, 3),
        "import_s": round(import_s, 3),
        "items": len(source),
        "crss": sorted(source.crss),
        "rss_after_imports_mb": round(rss_after_imports, 1),
        "peak_rss_mb": round(_vm_hwm_mb(), 1),
        "saved_index": [
            f"{p.name} ({p.stat().st_size / 2**20:.1f} MiB)" for p in saved_indexes(folder)
        ],
    }


def run_worker(mode: str, folder: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", mode, "--folder", str(folder)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            result["process_wall_s"] = round(wall, 3)
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return {"mode": mode, "error": f"exit {proc.returncode}: " + " | ".join(tail)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=10_000)
    p.add_argument("--work-dir", type=Path, default=HERE / "_work")
    p.add_argument("--quick", action="store_true", help="500 files, for smoke testing")
    p.add_argument("--json", type=Path)
    p.add_argument(
        "--without-torch",
        action="store_true",
        help="also measure build and reuse with RasterSource imported without eoforge.data's "
        "__init__ (which imports torch): a diagnostic of what indexing itself costs",
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, args.folder)))
        return 0
    if args.quick:
        args.files = 500
    name = "index10k" if args.files == 10_000 else f"index{args.files}"
    folder = args.work_dir / name
    gen_s = make_files(folder, args.files)
    if gen_s:
        print(f"wrote {args.files} files into {folder} in {gen_s:.1f} s")
    for path in folder.glob("*.tif"):  # the files' headers in the page cache, as for reuse
        path.read_bytes()
    for path in saved_indexes(folder):  # the first build starts afresh
        path.unlink()
    results: dict[str, Any] = {"files": args.files, "folder": str(folder)}
    results["build"] = run_worker("build", folder)
    results["reuse"] = run_worker("reuse", folder)
    modes = [("build", TARGETS["build_s"]), ("reuse", TARGETS["reuse_s"])]
    if args.without_torch:
        for path in saved_indexes(folder):
            path.unlink()
        for mode, target in list(modes):
            results[f"{mode} without torch"] = run_worker(f"{mode} without torch", folder)
            modes.append((f"{mode} without torch", target))
    print(f"RasterSource over {args.files} GeoTIFFs ({folder})")
    for mode, target in modes:
        r = results[mode]
        if "error" in r:
            print(f"  {mode:<20} ERROR {r['error']}")
            continue
        rss_ok = "met" if r["peak_rss_mb"] < TARGETS["peak_rss_mb"] else "NOT met"
        time_ok = "met" if r["seconds"] < target else "NOT met"
        print(
            f"  {mode:<20} {r['seconds']:7.2f} s (target < {target:.0f} s: {time_ok});"
            f" peak RSS {r['peak_rss_mb']:.0f} MB (target < 300: {rss_ok}),"
            f" {r['rss_after_imports_mb']:.0f} MB after imports;"
            f" import {r['import_s']:.2f} s; process wall {r['process_wall_s']:.2f} s;"
            f" {r['items']} items, CRSs {r['crss']}; index {', '.join(r['saved_index'])}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
