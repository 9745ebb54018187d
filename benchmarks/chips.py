"""Chip-store benchmark: BigEarthNet-v2-like patches from GeoTIFFs vs from eoforge's chip store.

In one run, each measured part in its own fresh process (page cache warmed for all of them):

- ``geotiff``: random access (``ds[i]`` over a seeded permutation; the median of ``--repeats``
  passes) to a dataset reading the reBEN layout — twelve single-band GeoTIFFs per patch, each
  read at 120x120 bilinear;
- ``store``: the same samples from a chip store written from that dataset (``ChipStore[i]``),
  then (``store batched``) through ``ChipStore.__getitems__`` in batches of 32; a few samples
  are checked to equal the GeoTIFF dataset's bit for bit;
- ``convert K workers``: ``write_chip_store(dataset, path, workers=K)`` for each K.

The store keeps the samples as the dataset delivers them (float32 12x120x120, already
upsampled), so both sides hand over identical tensors and the store does no work on read.

Usage:
    .venv/bin/python benchmarks/chips.py --quick          # smoke test (~200 patches)
    .venv/bin/python benchmarks/chips.py --json benchmarks/_work/chips.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from chips_data import BenLike, ensure_patches

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = {"store/geotiff": 10.0, "convert 2 workers/0 workers": 1.6}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--patches", type=int, default=2000, help="patches generated and converted")
    p.add_argument("--reads", type=int, default=1000, help="random reads timed per read part")
    p.add_argument("--warmup", type=int, default=16, help="reads before timing")
    p.add_argument("--check", type=int, default=8, help="samples compared store vs GeoTIFF")
    p.add_argument("--repeats", type=int, default=3, help="passes per read part (median shown)")
    p.add_argument("--workers", default="0,1,2", help="write_chip_store workers to measure")
    p.add_argument("--batch-commit", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work-dir", type=Path, default=HERE / "_work" / "chips")
    p.add_argument("--part-timeout", type=float, default=900, help="seconds before killing a part")
    p.add_argument("--quick", action="store_true", help="about 200 patches, for smoke testing")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--part", help=argparse.SUPPRESS)  # internal: run one part (SPEC.json)
    p.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.patches, args.reads, args.warmup = 200, 150, 8
    args.reads = min(args.reads, args.patches)
    return args


# ---------------------------------------------------------------------------- parts (own process)
def _memory() -> dict[str, float]:
    from sampling_parts import peak_rss_mb

    out: dict[str, float] = dict(peak_rss_mb())
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("RssAnon", "RssFile"):
            out[f"{name.lower()}_mb"] = round(int(value.split()[0]) / 1024, 1)
    return out


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    import torch

    if list(a) != list(b):
        return False
    for key, value in a.items():
        other = b[key]
        if isinstance(value, torch.Tensor):
            if value.dtype != other.dtype or value.shape != other.shape:
                return False
            if value.numpy().tobytes() != other.numpy().tobytes():
                return False
        elif value != other:
            return False
    return True


def part_read(spec: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    if spec["source"] == "geotiff":
        ds: Any = BenLike(spec["folder"])
    else:
        from eoforge.data import ChipStore

        ds = ChipStore(spec["store"])
    setup = time.perf_counter() - started
    batch = int(spec.get("batch", 0))
    for i in spec["warm"]:
        ds[i]
    order = spec["order"]
    passes = []
    for _ in range(spec["repeats"]):
        t0 = time.perf_counter()
        if batch:
            for j in range(0, len(order), batch):
                ds.__getitems__(order[j : j + batch])
        else:
            for i in order:
                ds[i]
        passes.append(time.perf_counter() - t0)
    seconds = float(np.median(passes))
    result = {
        "samples": len(order),
        "seconds": round(seconds, 3),
        "samples_per_s": round(len(order) / seconds, 1),
        "pass_samples_per_s": [round(len(order) / t, 1) for t in passes],
        "setup_s": round(setup, 3),
        **_memory(),
    }
    if spec["source"] == "store":
        source = BenLike(spec["folder"])
        checked = order[: spec["check"]]
        result["checked"] = len(checked)
        result["mismatches"] = sum(not _same(source[i], ds[i]) for i in checked)
        result["same_keys_as_source"] = ds.keys == source.patches
    return result


def part_convert(spec: dict[str, Any]) -> dict[str, Any]:
    from sampling_parts import PeakPSS

    from eoforge.data import ChipStore, write_chip_store

    ds = BenLike(spec["folder"])
    t0 = time.perf_counter()
    with PeakPSS(interval=2.0) as pss:  # sampling smaps costs CPU: seldom
        write_chip_store(
            ds, spec["store"], workers=spec["workers"], batch_commit=spec["batch_commit"],
            progress=False,
        )  # fmt: skip
    seconds = time.perf_counter() - t0
    data = Path(spec["store"]) / "data.mdb"
    return {
        "samples": len(ds),
        "seconds": round(seconds, 3),
        "samples_per_s": round(len(ds) / seconds, 1),
        "workers": spec["workers"],
        "written": ChipStore(spec["store"]).meta["last_run"]["written"],
        "store_mb": round(data.stat().st_blocks * 512 / 2**20, 1),
        "peak_pss_all_processes_mb": round(pss.peak_mb, 1),
        **_memory(),
    }


# ---------------------------------------------------------------------------- driver
def run_part(name: str, spec: dict[str, Any], work: Path, timeout: float) -> dict[str, Any]:
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    cmd = [sys.executable, str(HERE / "chips.py"), "--part", name, "--spec", str(spec_path)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result after {timeout:.0f} s; killed"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def _warm(paths: list[Path]) -> None:
    """Read every file once, so that every part starts with them in the page cache."""
    for path in paths:
        with path.open("rb") as f:
            while f.read(1 << 24):
                pass


def _show(label: str, part: dict[str, Any]) -> None:
    if "error" in part:
        print(f"  {label:<22} ERROR {part['error']}", flush=True)
    else:
        print(f"  {label:<22} {part['samples_per_s']:9.1f} samples/s", flush=True)


def ratios(parts: dict[str, Any]) -> dict[str, Any]:
    def rate(label: str) -> float | None:
        part = parts.get(label) or {}
        return part.get("samples_per_s") if "error" not in part else None

    pairs = {
        "store/geotiff": ("store", "geotiff"),
        "store batched/geotiff": ("store batched", "geotiff"),
        "convert 2 workers/0 workers": ("convert 2 workers", "convert 0 workers"),
        "convert 2 workers/1 workers": ("convert 2 workers", "convert 1 workers"),
    }
    out: dict[str, Any] = {}
    for key, (num, den) in pairs.items():
        a, b = rate(num), rate(den)
        if a and b:
            target = TARGETS.get(key)
            out[key] = {"value": round(a / b, 3), "target": target}
            if target is not None:
                out[key]["meets_target"] = a / b >= target
    return out


def report(results: dict[str, Any]) -> str:
    lines = [f"{'part':<22}{'samples/s':>10}{'ms/sample':>11}{'peak RSS MB':>13}  notes"]
    for label, part in results["parts"].items():
        if "error" in part:
            lines.append(f"{label:<22}{'error':>10}  {part['error']}")
            continue
        rate = part["samples_per_s"]
        notes = [f"{part['seconds']:.2f} s for {part['samples']}"]
        if "pass_samples_per_s" in part:
            notes.append("passes " + " / ".join(f"{r:.0f}" for r in part["pass_samples_per_s"]))
        if "rssfile_mb" in part:
            notes.append(
                f"RSS at end: {part['rssanon_mb']:.0f} anon + {part['rssfile_mb']:.0f} file"
            )
        if "peak_pss_all_processes_mb" in part:
            notes.append(f"all processes PSS {part['peak_pss_all_processes_mb']:.0f} MB")
        if "store_mb" in part:
            notes.append(f"store {part['store_mb']:.0f} MB")
        if "checked" in part:
            notes.append(f"{part['mismatches']}/{part['checked']} samples differ from GeoTIFF")
        lines.append(
            f"{label:<22}{rate:>10.1f}{1000 / rate:>11.2f}{part['peak_rss_mb']:>13.0f}  "
            + ", ".join(notes)
        )
    for key, r in results["ratios"].items():
        verdict = ""
        if r["target"] is not None:
            verdict = f"(target >= {r['target']}: {'met' if r['meets_target'] else 'NOT met'})"
        lines.append(f"ratio {key:<30} {r['value']:.2f} {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.part:
        spec = json.loads(args.spec.read_text())
        result = part_convert(spec) if args.part == "convert" else part_read(spec)
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    work = args.work_dir
    t0 = time.perf_counter()
    folder = ensure_patches(work / f"patches_{args.patches}", args.patches)
    print(f"{args.patches} patches in {folder} ({time.perf_counter() - t0:.1f} s)", flush=True)
    _warm(sorted(folder.rglob("*.tif")))
    perm = np.random.default_rng(args.seed).permutation(args.patches).tolist()
    order, warm = perm[: args.reads], perm[-args.warmup :]
    parts: dict[str, Any] = {}
    store = work / "store"
    for k in (int(w) for w in args.workers.split(",") if w.strip()):
        shutil.rmtree(store, ignore_errors=True)  # outside the timing
        spec = {"folder": str(folder), "store": str(store), "workers": k,
                "batch_commit": args.batch_commit}  # fmt: skip
        parts[f"convert {k} workers"] = run_part("convert", spec, work, args.part_timeout)
        _show(f"convert {k} workers", parts[f"convert {k} workers"])
    if not (store / "data.mdb").is_file():
        print("no store was written; skipping the read parts", flush=True)
    else:
        _warm([store / "data.mdb"])
        base = {"folder": str(folder), "store": str(store), "order": order, "warm": warm,
                "check": args.check, "repeats": args.repeats}  # fmt: skip
        for label, extra in (
            ("geotiff", {"source": "geotiff"}),
            ("store", {"source": "store"}),
            ("store batched", {"source": "store", "batch": 32}),
        ):
            parts[label] = run_part("read", {**base, **extra}, work, args.part_timeout)
            _show(label, parts[label])
    results = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "args": {k: str(v) for k, v in vars(args).items() if k not in ("part", "spec")},
        "parts": parts,
        "ratios": ratios(parts),
    }
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
