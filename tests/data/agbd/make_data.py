"""Write the AGBD fixture beside this file (seeded; run it to regenerate it).

The real layout of ghjuliasialelli/AGBD's ``Patches/create_patches.py``: HDF5 files
``data_subset-<year>-v4_<i>-20.h5`` with one group per Sentinel-2 tile holding, per footprint
(first axis), 25 x 25 windows channels-last — ``S2_bands`` uint16 (attr ``order``), ``S2_SCL``
uint8, ``ALOS_bands`` uint16 (attr ``order`` HH, HV), ``CH/ch``, ``CH/std`` uint8, ``LC`` uint8
(class, probability), ``DEM`` int16 — and ``Sentinel_metadata/S2_*`` and ``GEDI/<attr>`` per
footprint; plus ``biomes_splits_to_name.pkl`` (a dict split → list of tile names). Three of the
40 files (shard 0 of each year), with a few footprints per tile:

- ``2019_0``: ``32TNN`` (train, 4 rows; row 2 has a NaN biomass: dropped), ``33UUP`` (val, 2),
  ``30NXM`` (train, 3; row 0 has biomass -9999: dropped)
- ``2020_0`` (S2_boa_offset 1): ``32TNN`` (train, 2), ``18NVL`` (test, 2), ``10SEG`` (in no
  split, 1)

The split file also lists a train tile absent from these files (``29SND``).

The hand-checked footprint, ``2019_0 / 32TNN / row 0``: B04 DN 1500 (reflectance 0.15) except
DN 0 (nodata) at (0, 0); HH DN 10000 (-3 dB), HV DN 0 (nodata) at (1, 1); CH 20 m, 255 (nodata)
at (2, 2); LC class 10, probability 80; DEM 350 m, -9999 (nodata) at (3, 3); SCL 4, 0 (no data)
at (4, 4); agbd 123.5; lat_decimal -0.25, lat_offset 3 (latitude -3.25); lon_decimal 0.5,
lon_offset 17 (longitude 17.5). ``2020_0 / 32TNN / row 0``: B04 DN 2500 and B02 DN 900 with the
BOA offset (reflectances 0.15 and 0, clipped).

    .venv/bin/python tests/data/agbd/make_data.py
"""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
S2_ORDER = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12"]
P = 25
GEDI_ATTRS = {
    "pft_class": "uint8", "region_cla": "uint8", "leaf_off_f": "uint8", "urban_prop": "uint8",
    "agbd": "float32", "agbd_se": "float32", "elev_lowes": "float32", "selected_a": "uint8",
    "shot_numbe": "uint64", "sensitivit": "float32", "solar_elev": "float32", "rh98": "float32",
    "date": "uint16", "granule_num": "uint8", "track_num": "uint32", "ppds": "uint8",
    "version_num": "uint16", "lat_offset": "uint8", "lat_decimal": "float32",
    "lon_offset": "uint8", "lon_decimal": "float32",
}  # fmt: skip
S2_META = {"vegetation_score": "uint8", "date": "int16", "pbn": "uint16", "ron": "uint8",
           "boa_offset": "uint8"}  # fmt: skip
FILES = {  # file -> tile -> (rows, boa offset)
    "data_subset-2019-v4_0-20.h5": {"32TNN": (4, 0), "33UUP": (2, 0), "30NXM": (3, 0)},
    "data_subset-2020-v4_0-20.h5": {"32TNN": (2, 1), "18NVL": (2, 1), "10SEG": (1, 1)},
}
SPLITS = {"train": ["32TNN", "30NXM", "29SND"], "val": ["33UUP"], "test": ["18NVL"]}


def _blocky(rng: np.random.Generator, lo: int, hi: int, shape: tuple[int, ...]) -> np.ndarray:
    """Random values constant over 5 x 5 blocks (compresses well, like smooth imagery)."""
    coarse = rng.integers(lo, hi, size=(shape[0], P // 5, P // 5, *shape[3:]))
    return np.repeat(np.repeat(coarse, 5, axis=1), 5, axis=2)


def _dataset(group: h5py.Group, name: str, data: np.ndarray, **attrs: object) -> None:
    dset = group.create_dataset(name, data=data, maxshape=(None, *data.shape[1:]),
                                chunks=(1, *data.shape[1:]), compression="gzip")  # fmt: skip
    for key, value in attrs.items():
        dset.attrs[key] = value


def write_tile(f: h5py.File, tile: str, n: int, boa: int, rng: np.random.Generator) -> None:
    g = f.create_group(tile)
    s2 = _blocky(rng, 200 + 1000 * boa, 4000 + 1000 * boa, (n, P, P, 12)).astype("uint16")
    alos = _blocky(rng, 2000, 9000, (n, P, P, 2)).astype("uint16")
    ch = _blocky(rng, 0, 40, (n, P, P)).astype("uint8")
    ch_std = _blocky(rng, 1, 8, (n, P, P)).astype("uint8")
    lc = np.stack([_blocky(rng, 1, 4, (n, P, P)) * 10,
                   _blocky(rng, 50, 100, (n, P, P))], axis=-1).astype("uint8")  # fmt: skip
    dem = _blocky(rng, 100, 900, (n, P, P)).astype("int16")
    scl = np.full((n, P, P), 4, dtype="uint8")
    gedi = {k: rng.integers(0, 100, size=n).astype(v) for k, v in GEDI_ATTRS.items()}
    gedi["agbd"] = rng.uniform(5, 300, size=n).astype("float32")
    gedi["lat_decimal"] = rng.uniform(-0.99, 0.99, size=n).astype("float32")
    gedi["lon_decimal"] = rng.uniform(-0.99, 0.99, size=n).astype("float32")
    gedi["lat_offset"] = rng.integers(0, 60, size=n).astype("uint8")
    gedi["lon_offset"] = rng.integers(0, 179, size=n).astype("uint8")
    gedi["shot_numbe"] = np.arange(n, dtype="uint64") + 10**17
    meta = {k: np.full(n, 1, dtype=v) for k, v in S2_META.items()}
    meta["boa_offset"][:] = boa
    if f.filename.endswith("2019-v4_0-20.h5") and tile == "32TNN":
        s2[0, ..., S2_ORDER.index("B04")] = 1500
        s2[0, 0, 0, S2_ORDER.index("B04")] = 0
        alos[0, ..., 0] = 10_000
        alos[0, 1, 1, 1] = 0
        ch[0], ch[0, 2, 2] = 20, 255
        lc[0, ..., 0], lc[0, ..., 1] = 10, 80
        dem[0], dem[0, 3, 3] = 350, -9999
        scl[0, 4, 4] = 0
        gedi["agbd"][0] = 123.5
        gedi["lat_decimal"][0], gedi["lat_offset"][0] = -0.25, 3
        gedi["lon_decimal"][0], gedi["lon_offset"][0] = 0.5, 17
        gedi["agbd"][2] = np.nan
    if f.filename.endswith("2019-v4_0-20.h5") and tile == "30NXM":
        gedi["agbd"][0] = -9999.0
    if f.filename.endswith("2020-v4_0-20.h5") and tile == "32TNN":
        s2[0, ..., S2_ORDER.index("B04")] = 2500
        s2[0, ..., S2_ORDER.index("B02")] = 900
    _dataset(g, "S2_bands", s2, order=S2_ORDER)
    _dataset(g, "S2_SCL", scl)
    _dataset(g, "ALOS_bands", alos, order=["HH", "HV"])
    _dataset(g, "LC", lc)
    _dataset(g, "DEM", dem)
    for name, data in (("ch", ch), ("std", ch_std)):
        _dataset(g.require_group("CH"), name, data)
    for name, data in meta.items():
        _dataset(g.require_group("Sentinel_metadata"), f"S2_{name}", data)
    for name, data in gedi.items():
        _dataset(g.require_group("GEDI"), name, data)


def main() -> None:
    rng = np.random.default_rng(0)
    for old in [*HERE.glob("*.h5"), *HERE.glob("*.pkl")]:
        old.unlink()
    for name, tiles in FILES.items():
        with h5py.File(HERE / name, "w", libver="latest", track_order=True) as f:
            for tile, (n, boa) in tiles.items():
                write_tile(f, tile, n, boa, rng)
    with open(HERE / "biomes_splits_to_name.pkl", "wb") as out:
        pickle.dump(SPLITS, out, protocol=4)


if __name__ == "__main__":
    main()
