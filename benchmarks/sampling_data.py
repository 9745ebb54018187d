"""Generate the sampling benchmark's tiles (once) into benchmarks/_work.

Four adjacent 4096x4096x6 uint16 Cloud-Optimised GeoTIFFs (DEFLATE, 512x512 blocks, internal
overviews), 10 m pixels, laid out 2x2:

- ``same_crs/``: all four tiles in EPSG:32633;
- ``two_crs/``: the western two tiles in EPSG:32633 (hard links to the same files) and the eastern
  two in the next UTM zone, EPSG:32634, placed edge to edge with the western ones across 18°E.

Pixel values imitate imagery (a smooth multi-scale field shared by the bands, per-band gain and
offset, plus sensor noise) so that DEFLATE compresses them roughly as it compresses real
reflectances; a constant tile would decode unrealistically fast.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.warp import transform as warp_transform

TILE = 4096
BANDS = 6
RES = 10.0
# The western column of tiles ends at the UTM zone 33/34 boundary (18°E) at about 46°N.
ZONE_EDGE_LON, LAT = 18.0, 46.0
WEST_CRS, EAST_CRS = "EPSG:32633", "EPSG:32634"


@dataclass(frozen=True)
class TileSpec:
    name: str
    crs: str
    transform: Affine
    seed: int


def _snap(value: float) -> float:
    return round(value / RES) * RES


def tile_specs() -> dict[str, list[TileSpec]]:
    """The tiles of each scenario (name, CRS, transform), deterministic."""
    xs, ys = warp_transform("EPSG:4326", WEST_CRS, [ZONE_EDGE_LON], [LAT])
    edge_x, top_y = _snap(xs[0]), _snap(ys[0]) + TILE * RES  # top of the northern row
    size = TILE * RES
    west = [
        TileSpec(f"tile_r{r}_c0_32633.tif", WEST_CRS, Affine(RES, 0, edge_x - size, 0, -RES, y), s)
        for s, (r, y) in enumerate([(0, top_y), (1, top_y - size)])
    ]
    east_same = [
        TileSpec(f"tile_r{r}_c1_32633.tif", WEST_CRS, Affine(RES, 0, edge_x, 0, -RES, y), 2 + r)
        for r, y in enumerate([top_y, top_y - size])
    ]
    # The eastern tiles in zone 34 start where the western ones end (the zone-34 coordinates of
    # their north-west corners), so the four tiles cover a contiguous area across the boundary.
    ex, ey = warp_transform(WEST_CRS, EAST_CRS, [edge_x, edge_x], [top_y, top_y - size])
    east_other = [
        TileSpec(
            f"tile_r{r}_c1_32634.tif",
            EAST_CRS,
            Affine(RES, 0, _snap(ex[r]), 0, -RES, _snap(ey[r])),
            4 + r,
        )
        for r in range(2)
    ]
    return {"same_crs": west + east_same, "two_crs": west + east_other}


def _upsample(coarse: np.ndarray, size: int) -> np.ndarray:
    """Bilinear upsampling of a square array to ``size``x``size`` (separable, vectorised)."""
    n = coarse.shape[0]
    pos = (np.arange(size, dtype=np.float32) + 0.5) * (n - 1) / size
    i0 = np.minimum(pos.astype(np.int64), n - 2)
    f = (pos - i0).astype(np.float32)
    rows = coarse[i0] * (1 - f)[:, None] + coarse[i0 + 1] * f[:, None]
    out: np.ndarray = rows[:, i0] * (1 - f)[None, :] + rows[:, i0 + 1] * f[None, :]
    return out


def imagery_like(seed: int, size: int = TILE, bands: int = BANDS) -> np.ndarray:
    """A (bands, size, size) uint16 array that looks (and compresses) like optical imagery."""
    rng = np.random.default_rng(seed)
    field = np.zeros((size, size), dtype=np.float32)
    for cells, weight in ((9, 0.45), (33, 0.3), (129, 0.15), (513, 0.1)):  # fields … parcels
        field += weight * _upsample(rng.standard_normal((cells, cells)).astype(np.float32), size)
    out = np.empty((bands, size, size), dtype=np.uint16)
    for b in range(bands):
        gain, offset = 700.0 + 250.0 * b, 1200.0 + 300.0 * b
        band = field * gain + offset
        band += rng.normal(0.0, 40.0, size=(size, size)).astype(np.float32)  # sensor noise
        np.clip(band, 1, 10000, out=band)
        out[b] = band.astype(np.uint16)
    return out


def _write_cog(path: Path, spec: TileSpec) -> None:
    data = imagery_like(spec.seed)
    tmp = path.with_name(f".{path.name}.tmp")
    profile = {
        "driver": "COG",
        "width": TILE,
        "height": TILE,
        "count": BANDS,
        "dtype": "uint16",
        "crs": spec.crs,
        "transform": spec.transform,
        "compress": "DEFLATE",
        "blocksize": 512,
        "overview_resampling": "average",
        "num_threads": "ALL_CPUS",
        "bigtiff": "IF_SAFER",
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data)
        dst.descriptions = tuple(f"B{i + 1}" for i in range(BANDS))
    os.replace(tmp, path)


def ensure_tiles(work: Path, log: bool = True) -> dict[str, Path]:
    """Create the scenario folders under ``work`` (skipping tiles already there); return them."""
    folders = {}
    for scenario, specs in tile_specs().items():
        folder = work / scenario
        folder.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            path = folder / spec.name
            if path.exists():
                continue
            twin = work / "same_crs" / spec.name
            if scenario != "same_crs" and twin.exists():
                os.link(twin, path)  # the same western tiles in both scenarios
                continue
            t0 = time.perf_counter()
            _write_cog(path, spec)
            if log:
                mb = path.stat().st_size / 2**20
                print(f"  wrote {path} ({mb:.0f} MiB, {time.perf_counter() - t0:.1f} s)")
        folders[scenario] = folder
    return folders


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for name, folder in ensure_tiles(here / "_work").items():
        print(name, sorted(p.name for p in folder.glob("*.tif")))
