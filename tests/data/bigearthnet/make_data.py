"""Write the BigEarthNet v1.0 fixture beside this file (seeded; run it to regenerate it).

The layout of the two archives once extracted, and the split CSVs:

- ``BigEarthNet-v1.0/<s2>/<s2>_<band>.tif``: the 12 Sentinel-2 bands (no B10) as single-band
  uint16 GeoTIFFs at their native resolution — 12 x 12 pixels at 10 m, 6 x 6 at 20 m, 2 x 2 at
  60 m (the real patches are 120 / 60 / 20 pixels), UTM CRS, no nodata tag — with
  ``<s2>_labels_metadata.json`` (``labels``, ``coordinates``, ``projection``, ``tile_source``,
  ``acquisition_date``). Band ``j`` of :data:`S2_BANDS` holds ``1000 (j + 1)`` plus noise 0..99;
- ``BigEarthNet-S1-v1.0/<s1>/<s1>_VV.tif``, ``_VH.tif``: float32 dB, 12 x 12 at 10 m on the
  grid of the paired S2 patch (VV about -10 dB, VH about -18 dB), and
  ``<s1>_labels_metadata.json`` (with ``corresponding_s2_patch``; its coordinates use the key
  ``lly`` where the S2 files use ``lry``, as in the real files);
- ``bigearthnet-{train,val,test}.csv``: ``<s2>,<s1>`` per line, no header.

The patches and their labels (:data:`PATCHES`): train = the first three, val = the fourth,
test = the fifth. The third patch's labels all lack a 19-class target.

    .venv/bin/python tests/data/bigearthnet/make_data.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS

HERE = Path(__file__).resolve().parent
S2_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12")
RESOLUTION = {"B01": 60, "B09": 60, "B05": 20, "B06": 20, "B07": 20, "B8A": 20, "B11": 20,
              "B12": 20}  # fmt: skip
SIZE_M = 120  # the fixture's patches are 120 m wide (the real ones 1,200 m)

# (split, s2 patch, s1 patch, EPSG code, upper-left x, upper-left y, labels)
PATCHES = (
    ("train", "S2A_MSIL2A_20170613T101031_10_20", "S1A_IW_GRDH_1SDV_20170613T165043_33UUP_10_20",
     32633, 312_000, 5_376_000,
     ["Non-irrigated arable land",
      "Land principally occupied by agriculture, with significant areas of natural vegetation"]),
    ("train", "S2B_MSIL2A_20170924T93020_11_21", "S1A_IW_GRDH_1SDV_20170925T043256_35VPK_11_21",
     32635, 613_200, 7_074_800,
     ["Coniferous forest", "Mixed forest", "Transitional woodland/shrub", "Peatbogs",
      "Water bodies"]),
    ("train", "S2A_MSIL2A_20170617T113321_12_22", "S1A_IW_GRDH_1SDV_20170617T064724_29UPU_12_22",
     32629, 614_400, 5_873_600, ["Road and rail networks and associated land", "Airports"]),
    ("val", "S2A_MSIL2A_20171221T112501_13_23", "S1A_IW_GRDH_1SDV_20171221T064238_29SND_13_23",
     32629, 615_600, 4_372_400,
     ["Sclerophyllous vegetation", "Moors and heathland", "Sea and ocean"]),
    ("test", "S2B_MSIL2A_20180204T94161_14_24", "S1A_IW_GRDH_1SDV_20180204T043253_35VPK_14_24",
     32635, 616_800, 7_071_200,
     ["Pastures", "Vineyards", "Olive groves", "Annual crops associated with permanent crops"]),
)  # fmt: skip


def write_band(path: Path, pixels: np.ndarray, epsg: int, x: float, y: float, res: float) -> None:
    with rasterio.open(
        path, "w", driver="GTiff", width=pixels.shape[1], height=pixels.shape[0], count=1,
        dtype=pixels.dtype, crs=f"EPSG:{epsg}", transform=Affine(res, 0, x, 0, -res, y),
    ) as ds:  # fmt: skip
        ds.write(pixels, 1)


def write_patch(
    s2: str, s1: str, epsg: int, x: float, y: float, labels: list[str], rng: np.random.Generator
) -> None:
    s2_folder, s1_folder = HERE / "BigEarthNet-v1.0" / s2, HERE / "BigEarthNet-S1-v1.0" / s1
    s2_folder.mkdir(parents=True)
    s1_folder.mkdir(parents=True)
    for j, band in enumerate(S2_BANDS):
        res = RESOLUTION.get(band, 10)
        size = SIZE_M // res
        pixels = (1000 * (j + 1) + rng.integers(0, 100, size=(size, size))).astype("uint16")
        write_band(s2_folder / f"{s2}_{band}.tif", pixels, epsg, x, y, res)
    for band, level in (("VV", -10.0), ("VH", -18.0)):
        pixels = (level + rng.normal(0, 1.5, size=(12, 12))).astype("float32")
        write_band(s1_folder / f"{s1}_{band}.tif", pixels, epsg, x, y, 10)
    wkt = CRS.from_epsg(epsg).to_wkt()
    corners = {"ulx": x, "uly": y, "lrx": x + SIZE_M}
    stamp = s2.split("_")[2]
    s2_meta = {
        "labels": labels, "coordinates": {**corners, "lry": y - SIZE_M}, "projection": wkt,
        "tile_source": f"S2A_MSIL1C_{stamp}_N0205_R022_T33UUP_{stamp}.SAFE",
        "acquisition_date": f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} 10:10:31",
    }  # fmt: skip
    s1_meta = {
        "labels": labels, "coordinates": {**corners, "lly": y - SIZE_M}, "projection": wkt,
        "corresponding_s2_patch": s2, "scene_source": "_".join(s1.split("_")[:5]) + "_X",
        "acquisition_time": f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}T16:50:43",
    }  # fmt: skip
    (s2_folder / f"{s2}_labels_metadata.json").write_text(json.dumps(s2_meta))
    (s1_folder / f"{s1}_labels_metadata.json").write_text(json.dumps(s1_meta))


def main() -> None:
    rng = np.random.default_rng(0)
    for name in ("BigEarthNet-v1.0", "BigEarthNet-S1-v1.0"):
        shutil.rmtree(HERE / name, ignore_errors=True)
    lines: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for split, s2, s1, epsg, x, y, labels in PATCHES:
        write_patch(s2, s1, epsg, x, y, labels, rng)
        lines[split].append(f"{s2},{s1}\n")
    for split, rows in lines.items():
        (HERE / f"bigearthnet-{split}.csv").write_text("".join(rows))
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
