"""The TorchGeo part of benchmarks/sampling.py, run with the TorchGeo venv's python.

``.venv-torchgeo/bin/python benchmarks/sampling_torchgeo.py SPEC.json`` prints one line
``RESULT {json}``. It imports nothing of eoforge (that venv does not have it) and configures
TorchGeo 0.10 as a user following its documentation would: a ``RasterDataset`` subclass with
``filename_glob``, ``res=10``, ``crs`` only when the tiles span two CRSs, the default file-handle
cache, and ``RandomGeoSampler(size=256)`` in pixel units: indexed one query at a time in a
single process, exactly like the eoforge part, or — when the spec has ``num_workers`` — through a
``DataLoader`` with TorchGeo's ``stack_samples``, like eoforge's loader parts.

Created by benchmarks/setup_torchgeo.sh (TorchGeo 0.10 needs Python >= 3.12).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from sampling_parts import quarter_marks, quarter_rates  # on PYTHONPATH: sampling.py sets it


def run(spec: dict[str, Any]) -> dict[str, Any]:
    import rasterio
    import torch
    import torchgeo
    from pyproj import CRS
    from rasterio.env import get_gdal_config
    from torchgeo.datasets import RasterDataset
    from torchgeo.samplers import RandomGeoSampler

    # RandomGeoSampler is deprecated in 0.10 in favour of RandomPatchSampler; both draw uniform
    # positions in the tiles, and the sampler is not what this benchmark measures.
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    class Tiles(RasterDataset):
        filename_glob = spec["filename_glob"]

    t0 = time.perf_counter()
    crs = CRS.from_user_input(spec["crs"]) if spec["crs"] else None
    ds = Tiles(paths=spec["folder"], crs=crs, res=spec["res"])
    setup = time.perf_counter() - t0

    def sampler(length: int, seed: int) -> RandomGeoSampler:
        gen = torch.Generator().manual_seed(seed)
        return RandomGeoSampler(ds, size=spec["size"], length=length, generator=gen)

    workers = spec.get("num_workers")
    first_batch = None
    quarters: list[float] = []
    if not workers:  # warm-up here; with workers, reads before the fork break TorchGeo's
        for q in sampler(spec["warmup"], spec["seed"] + 1):  # cached handles in the workers
            ds[q]
    if workers is None:  # one query at a time, like the eoforge part
        queries = list(sampler(spec["patches"], spec["seed"]))
        marks = quarter_marks(len(queries))
        t0 = time.perf_counter()
        stamps = [t0]
        sample: dict[str, Any] = {}
        for i, q in enumerate(queries, start=1):
            sample = ds[q]
            if i in marks:
                stamps.append(time.perf_counter())
        seconds = time.perf_counter() - t0
        quarters = quarter_rates(marks, stamps)
        count = len(queries)
        image = sample["image"]
    else:  # through a DataLoader, as eoforge's loader parts: timed from the first batch on
        from torch.utils.data import DataLoader
        from torchgeo.datasets import stack_samples

        loader = DataLoader(
            ds,
            sampler=sampler(spec["patches"], spec["seed"]),
            batch_size=spec["batch_size"],
            num_workers=workers,
            collate_fn=stack_samples,
        )
        t_start = time.perf_counter()
        batches = iter(loader)
        next(batches)
        t0 = time.perf_counter()
        first_batch = round(t0 - t_start, 3)
        count = 0
        batch: dict[str, Any] = {}
        for batch in batches:
            count += len(batch["image"])
        seconds = time.perf_counter() - t0
        image = batch["image"][0]
    names = ("GDAL_NUM_THREADS", "GDAL_CACHEMAX", "GDAL_DISABLE_READDIR_ON_OPEN")
    return {
        "patches": count,
        "seconds": seconds,
        "setup_s": round(setup, 3),
        **({"quarter_patches_per_s": quarters} if workers is None else {}),
        **({} if workers is None else {"num_workers": workers, "first_batch_s": first_batch}),
        "sample": f"{tuple(image.shape)} {image.dtype}",
        "gdal": {n: get_gdal_config(n) for n in names},
        "versions": {
            "python": sys.version.split()[0],
            "torchgeo": torchgeo.__version__,
            "torch": torch.__version__,
            "rasterio": rasterio.__version__,
            "gdal": rasterio.__gdal_version__,
        },
    }


def _peak_rss_mb() -> float:
    """VmHWM (peak RSS since exec; ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: sampling_torchgeo.py SPEC.json", file=sys.stderr)
        return 2
    result = run(json.loads(Path(argv[0]).read_text()))
    result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["children_peak_rss_mb"] = round(children, 1)
    result["patches_per_s"] = result["patches"] / result["seconds"] if result["seconds"] else 0.0
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
