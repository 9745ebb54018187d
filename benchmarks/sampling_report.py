"""Targets, ratios and the printed report of benchmarks/sampling.py.

With ``--rounds N`` every part runs N times, in turn (a round runs each part once), so that a slow
spell of the machine falls on both sides of a comparison. Each part reports the round with its
median rate, and each ratio the median of its per-round ratios (each round's eoforge figure
over the same round's TorchGeo figure), with the spread of the rounds beside it.
"""

from __future__ import annotations

import statistics
from typing import Any

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


def _median_part(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The result of the round with the median rate (the lower middle one of an even count)."""
    good = sorted((r for r in results if "error" not in r), key=lambda r: r["patches_per_s"])
    if not good:
        return results[0]
    part = dict(good[(len(good) - 1) // 2])
    if len(results) > 1:
        part["rounds_patches_per_s"] = [
            r.get("patches_per_s") if "error" not in r else None for r in results
        ]
    return part


def merge_rounds(scenario: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's parts and ratios from its rounds (see the module docstring)."""
    labels = list(rounds[0])
    parts = {label: _median_part([r[label] for r in rounds]) for label in labels}
    per_round = [ratios(scenario, r) for r in rounds]
    merged: dict[str, Any] = {}
    for key in per_round[0]:
        values = [r[key]["value"] for r in per_round if key in r]
        entry = dict(per_round[0][key])
        entry["value"] = round(statistics.median(values), 3)
        if len(values) > 1:
            entry["rounds"] = values
        if entry.get("target") is not None:
            entry["meets_target"] = entry["value"] >= entry["target"]
        merged[key] = entry
    return {"parts": parts, "ratios": merged}


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
            if part.get("quarter_patches_per_s"):
                quarters = " / ".join(f"{v:.0f}" for v in part["quarter_patches_per_s"])
                extra.append(f"by quarter {quarters}")
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
            spread = ""
            if "rounds" in r:
                spread = f"[rounds {min(r['rounds']):.2f}-{max(r['rounds']):.2f}] "
            lines.append(f"ratio {key:<28} {r['value']:.2f} {spread}{verdict}")
        lines.extend(f"note: {n}" for n in res["notes"])
    return "\n".join(lines)
