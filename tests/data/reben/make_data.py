"""Write the reBEN (BigEarthNet v2.0) fixture beside this file (seeded; run it to regenerate it).

The layout of the three archives once extracted, and the patch table:

- ``BigEarthNet-S2/<tile>/<patch_id>/<patch_id>_<band>.tif``: the 12 Sentinel-2 bands (no B10)
  as single-band uint16 GeoTIFFs with nodata 0, at native resolution — 12 x 12 pixels at 10 m,
  6 x 6 at 20 m, 2 x 2 at 60 m (the real patches are 120 / 60 / 20 pixels); band ``j`` of
  :data:`S2_BANDS` holds ``1000 (j + 1)`` plus noise 1..99. ``<tile>`` is the patch id without
  its last two ``_`` fields;
- ``BigEarthNet-S1/<scene>/<s1_name>/<s1_name>_VV.tif``, ``_VH.tif``: float32 dB, 12 x 12 at 10 m
  on the grid of the S2 patch (VV about -10 dB, VH about -18 dB); ``<scene>`` is the S1 name
  without its last three fields;
- ``Reference_Maps/<tile>/<patch_id>/<patch_id>_reference_map.tif``: uint16 CLC codes, nodata 0,
  deflate, 12 x 12 on the patch's grid: the codes of :data:`PATCHES` in horizontal bands of
  rows (3 codes: rows 0-3, 4-7, 8-11; 4 codes: rows of 3);
- ``metadata.csv``: the patch table (the CSV export of ``metadata.parquet``; no Parquet writer
  is installed here), columns ``patch_id, labels, split, country, s1_name, s2v1_name,
  contains_seasonal_snow, contains_cloud_or_shadow``; labels joined by ``;``, except the third
  patch's, written as the list literal a plain ``to_csv`` of the Parquet table writes.

Patches: train = the first three, validation = the fourth, test = the fifth. The second map has
a road (CLC 122, no 19-class target) and a row of nodata beside its water (512).

    .venv/bin/python tests/data/reben/make_data.py
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

HERE = Path(__file__).resolve().parent
S2_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12")
RESOLUTION = {"B01": 60, "B09": 60, "B05": 20, "B06": 20, "B07": 20, "B8A": 20, "B11": 20,
              "B12": 20}  # fmt: skip
SIZE = 12

# (split, patch_id, s1_name, EPSG code, upper-left x, y, map codes (row bands), labels, country)
PATCHES = (
    ("train", "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_26_57",
     "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_26_57", 32633, 331_200, 5_331_600,
     (211, 231, 311, 313), ["Arable land", "Pastures", "Broad-leaved forest", "Mixed forest"],
     "Austria"),
    ("train", "S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_27_57",
     "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_27_57", 32633, 332_400, 5_331_600,
     (512, 122, 0), ["Inland waters"], "Austria"),
    ("train", "S2B_MSIL2A_20170924T093020_N9999_R136_T35VPK_69_24",
     "S1A_IW_GRDH_1SDV_20170925T043256_35VPK_69_24", 32635, 682_800, 6_971_200,
     (312, 412, 324), ["Coniferous forest", "Inland wetlands", "Transitional woodland, shrub"],
     "Finland"),
    ("validation", "S2A_MSIL2A_20170617T113321_N9999_R080_T29UPU_4_55",
     "S1A_IW_GRDH_1SDV_20170617T064724_29UPU_4_55", 32629, 604_800, 5_834_040,
     (523, 331, 523), ["Marine waters", "Beaches, dunes, sands"], "Ireland"),
    ("test", "S2A_MSIL2A_20171221T112501_N9999_R037_T29SND_56_35",
     "S1A_IW_GRDH_1SDV_20171221T064238_29SND_56_35", 32629, 567_180, 4_358_040,
     (112, 242, 243), ["Urban fabric", "Complex cultivation patterns",
                       "Land principally occupied by agriculture, with significant areas of "
                       "natural vegetation"], "Portugal"),
)  # fmt: skip


def write_band(
    path: Path, pixels: np.ndarray, epsg: int, x: float, y: float, res: float, **extra: object
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="GTiff", width=pixels.shape[1], height=pixels.shape[0], count=1,
        dtype=pixels.dtype, crs=f"EPSG:{epsg}", transform=Affine(res, 0, x, 0, -res, y), **extra,
    ) as ds:  # fmt: skip
        ds.write(pixels, 1)


def code_map(codes: tuple[int, ...]) -> np.ndarray:
    """The 12 x 12 map of ``codes`` in horizontal bands of rows."""
    rows = np.arange(SIZE) * len(codes) // SIZE
    return np.repeat(np.asarray(codes, "uint16")[rows][:, None], SIZE, axis=1)


def main() -> None:
    rng = np.random.default_rng(0)
    for name in ("BigEarthNet-S2", "BigEarthNet-S1", "Reference_Maps"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    rows = []
    for number, (split, s2, s1, epsg, x, y, codes, labels, country) in enumerate(PATCHES):
        tile, scene = "_".join(s2.split("_")[:-2]), "_".join(s1.split("_")[:-3])
        for j, band in enumerate(S2_BANDS):
            res = RESOLUTION.get(band, 10)
            size = SIZE * 10 // res
            pixels = (1000 * (j + 1) + rng.integers(1, 100, size=(size, size))).astype("uint16")
            path = HERE / "BigEarthNet-S2" / tile / s2 / f"{s2}_{band}.tif"
            write_band(path, pixels, epsg, x, y, res, nodata=0)
        for band, level in (("VV", -10.0), ("VH", -18.0)):
            pixels = (level + rng.normal(0, 1.5, size=(SIZE, SIZE))).astype("float32")
            write_band(HERE / "BigEarthNet-S1" / scene / s1 / f"{s1}_{band}.tif", pixels, epsg,
                       x, y, 10)  # fmt: skip
        path = HERE / "Reference_Maps" / tile / s2 / f"{s2}_reference_map.tif"
        write_band(path, code_map(codes), epsg, x, y, 10, nodata=0, compress="deflate")
        if number == 2:  # as pandas writes a list column of a Parquet table
            cell = "[" + " ".join(f"'{name}'" for name in labels) + "]"
        else:
            cell = ";".join(labels)
        v1_name = "_".join(s2.split("_")[:3] + s2.split("_")[-2:])
        rows.append([s2, cell, split, country, s1, v1_name, "False", "False"])
    with (HERE / "metadata.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["patch_id", "labels", "split", "country", "s1_name", "s2v1_name",
                         "contains_seasonal_snow", "contains_cloud_or_shadow"])  # fmt: skip
        writer.writerows(rows)
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
