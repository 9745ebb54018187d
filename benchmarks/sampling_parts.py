"""The measured parts of benchmarks/sampling.py, each run in its own process.

``python benchmarks/sampling_parts.py PART SPEC.json`` runs one part and prints one line
``RESULT {json}`` on stdout. Running each part in a fresh process keeps them independent (no
handle, cache or import left behind by another part) and makes ``ru_maxrss`` the peak memory of
that part alone. Imports are local to each part, so the raw part loads neither torch nor eoforge.

Parts:
- ``raw``: rasterio ``ds.read(window=w)`` of precomputed windows on handles opened beforehand;
- ``eoforge``: ``GeoDataset(RasterSource(glob))`` + ``RandomPatchSampler`` → ``ds[q]``;
- ``loader``: the same through ``torch.utils.data.DataLoader`` with ``num_workers`` workers.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _vm_hwm_mb() -> float | None:
    """Peak RSS of this process since it started (``VmHWM``), in MiB; None off Linux.

    ``ru_maxrss`` is not used for the process itself: Linux carries it across ``exec`` from the
    parent (a ``vfork``ed child starts at its parent's peak), while ``VmHWM`` starts afresh.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest waited-for child, in MiB.

    A forked DataLoader worker's RSS includes the pages it still shares with the main process.
    """
    own = _vm_hwm_mb()
    if own is None:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(own, 1), "children_peak_rss_mb": round(children, 1)}


class PeakPSS:
    """Samples the summed PSS of this process and its children (e.g. DataLoader workers).

    PSS splits shared pages between the processes sharing them, so the sum is the memory the
    whole group really uses. Sampled every ``interval`` seconds in a thread; needs psutil.
    """

    def __init__(self, interval: float = 1.0) -> None:
        import threading

        self.peak_mb = 0.0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error, AttributeError):
                    total += proc.memory_full_info().pss
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self._interval)

    def __enter__(self) -> PeakPSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def gdal_settings() -> dict[str, str | None]:
    """The GDAL options that shape decoding speed, as seen by rasterio right now."""
    from rasterio.env import get_gdal_config

    names = ("GDAL_NUM_THREADS", "GDAL_CACHEMAX", "GDAL_DISABLE_READDIR_ON_OPEN")
    return {n: (None if (v := get_gdal_config(n)) is None else str(v)) for n in names}


def quarter_marks(n: int) -> list[int]:
    """The patch counts that end each quarter of a timed loop of ``n`` patches."""
    return sorted({max(1, n * k // 4) for k in (1, 2, 3, 4)})


def quarter_rates(marks: list[int], stamps: list[float]) -> list[float]:
    """Patches/s in each quarter, from the times (``stamps[0]``: the start) the marks were hit."""
    counts = [b - a for a, b in itertools.pairwise([0, *marks])]
    spans = [b - a for a, b in itertools.pairwise(stamps)]
    return [round(c / s, 1) for c, s in zip(counts, spans, strict=False) if s > 0]


def query_digest(queries: list[Any]) -> str:
    """A digest of GridSpec queries, to check that two processes drew the same windows."""
    h = hashlib.sha1()
    for q in queries:
        t = q.transform
        h.update(f"{q.crs}|{t.a:.6f},{t.c:.3f},{t.e:.6f},{t.f:.3f}|{q.width}x{q.height};".encode())
    return h.hexdigest()[:16]


def run_raw(spec: dict[str, Any]) -> dict[str, Any]:
    """Plain rasterio windowed reads: the speed limit of decoding the same pixels."""
    import rasterio
    from rasterio.windows import Window

    env = {"GDAL_NUM_THREADS": spec["gdal_num_threads"]} if spec.get("gdal_num_threads") else {}
    with rasterio.Env(**env):
        handles = [rasterio.open(p) for p in spec["files"]]

        def read(entries: list[list[int]]) -> None:
            for i, col, row, width, height in entries:
                handles[i].read(window=Window(col, row, width, height))

        for entries in spec["warmup_windows"]:
            read(entries)
        settings = gdal_settings()
        t0 = time.perf_counter()
        for entries in spec["windows"]:
            read(entries)
        seconds = time.perf_counter() - t0
        for ds in handles:
            ds.close()
    n = len(spec["windows"])
    pixels = sum(w * h for entries in spec["windows"] for *_, w, h in entries)
    return {
        "patches": n,
        "seconds": seconds,
        "gdal": settings,
        "mean_pixels_read": round(pixels / max(n, 1)),
        "mean_reads_per_patch": round(sum(map(len, spec["windows"])) / max(n, 1), 2),
    }


def _eoforge_dataset(spec: dict[str, Any]) -> tuple[Any, float]:
    from eoforge.data import GeoDataset, RasterSource

    t0 = time.perf_counter()
    source = RasterSource(spec["glob"])
    ds = GeoDataset(source, crs=spec["crs"]) if spec["crs"] else GeoDataset(source)
    return ds, time.perf_counter() - t0


def _eoforge_gdal_settings() -> dict[str, str | None]:
    try:
        from eoforge.io import gdal_env
    except ImportError:  # settings applied per process instead of through a context
        return gdal_settings()
    with gdal_env():
        return gdal_settings()


def _check_against_rasterio(ds: Any, spec: dict[str, Any], count: int = 4) -> int:
    """Compare a few samples with ``rasterio.merge`` of the same bounds (same-CRS tiles only)."""
    import glob

    import numpy as np
    import rasterio
    from rasterio.merge import merge

    from eoforge.data import RandomPatchSampler

    handles = [rasterio.open(p) for p in sorted(glob.glob(spec["glob"]))]
    bad = 0
    for q in RandomPatchSampler(ds, spec["size"], count, seed=spec["seed"] + 2):
        expected, _ = merge(handles, bounds=tuple(q.bounds)[:4], res=q.res)
        bad += int(np.count_nonzero(ds[q]["image"].numpy() != expected.astype(np.float32)))
    for h in handles:
        h.close()
    return bad


def run_eoforge(spec: dict[str, Any]) -> dict[str, Any]:
    """eoforge single process: read ``ds[q]`` for each query of a RandomPatchSampler.

    With ``spec["stream"]``, ``ds.stream(sampler)`` instead: the same queries, in the same order,
    the next ones read ahead on eoforge's read pool while the current one is handed over.
    """
    from eoforge.data import RandomPatchSampler

    ds, setup = _eoforge_dataset(spec)
    size, n, seed = spec["size"], spec["patches"], spec["seed"]
    for q in RandomPatchSampler(ds, size, spec["warmup"], seed=seed + 1):
        ds[q]
    settings = _eoforge_gdal_settings()
    t0 = time.perf_counter()
    count = 0
    sample: dict[str, Any] = {}
    queries = RandomPatchSampler(ds, size, n, seed=seed)
    samples = ds.stream(queries) if spec.get("stream") else (ds[q] for q in queries)
    marks, stamps = quarter_marks(n), [t0]
    for sample in samples:  # noqa: B007 - the last one is inspected below
        count += 1
        if count in marks:
            stamps.append(time.perf_counter())
    seconds = time.perf_counter() - t0
    image = sample["image"]
    mismatches = _check_against_rasterio(ds, spec) if not spec["crs"] else None
    same = query_digest(list(RandomPatchSampler(ds, size, n, seed=seed))) == spec["digest"]
    return {
        "patches": count,
        "seconds": seconds,
        "setup_s": round(setup, 3),
        "gdal": settings,
        "same_queries_as_raw": same,
        "quarter_patches_per_s": quarter_rates(marks, stamps),
        "pixel_mismatches_vs_rasterio_merge": mismatches,
        "sample": f"{tuple(image.shape)} {image.dtype}",
    }


def run_loader(spec: dict[str, Any]) -> dict[str, Any]:
    """eoforge through a torch DataLoader; steady state = after the first batch arrived."""
    from torch.utils.data import DataLoader

    from eoforge.data import RandomPatchSampler, collate

    ds, setup = _eoforge_dataset(spec)
    size, n, seed = spec["size"], spec["patches"], spec["seed"]
    for q in RandomPatchSampler(ds, size, spec["warmup"], seed=seed + 1):
        ds[q]
    loader = DataLoader(
        ds,
        sampler=RandomPatchSampler(ds, size, n, seed=seed),
        batch_size=spec["batch_size"],
        num_workers=spec["num_workers"],
        collate_fn=collate,
    )
    with PeakPSS() as pss:
        t0 = time.perf_counter()
        batches = iter(loader)
        first = next(batches)
        t_first = time.perf_counter()
        after = 0
        for batch in batches:
            after += int(batch["image"].shape[0])
        t_end = time.perf_counter()
    total = int(first["image"].shape[0]) + after
    return {
        "patches": after,
        "seconds": t_end - t_first,
        "epoch_patches": total,
        "epoch_seconds": round(t_end - t0, 3),
        "first_batch_s": round(t_first - t0, 3),
        "setup_s": round(setup, 3),
        "peak_pss_all_processes_mb": round(pss.peak_mb, 1),
        "num_workers": spec["num_workers"],
        "batch_size": spec["batch_size"],
    }


PARTS = {"raw": run_raw, "eoforge": run_eoforge, "loader": run_loader}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in PARTS:
        print(f"usage: sampling_parts.py {{{'|'.join(PARTS)}}} SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text())
    result = PARTS[argv[0]](spec)
    result.update(peak_rss_mb())
    result["patches_per_s"] = result["patches"] / result["seconds"] if result["seconds"] else 0.0
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
