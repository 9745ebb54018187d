"""Write the Kuro Siwo fixture beside this file (seeded; run it to regenerate it).

The real GRD layout, ``data/<actid>/<aoiid:02>/<grid_hash>/`` with ``info.json`` and one
single-band GeoTIFF per layer named ``<PTYPE><RANK>_<PNAME>_<actid>_<aoiid>_<YYYYMMDD>.tif``
(EPSG:3857, 10 m; SAR float32 linear backscatter, MLU/MNA uint8, DEM/SLOPE float32), with cells
of SIZE x SIZE pixels instead of 224 x 224 to keep the fixture small:

- ``130/01`` (train event) — the hand-checked cell, with DEM and SLOPE: labels
  ``MLU[y, x] = (x // 8) % 3`` except row 0, which is 3 (invalid); ``MNA`` is 0 at row
  SIZE-1, columns 0-3 (else 1); ``MS1_IVV`` is NaN at (5, 5); ``SL1_IVH`` is 0.0 (nodata) at
  (6, 6); the DEM is -9999 (its nodata tag) at (7, 7).
- ``470/02`` (train), ``514/01`` (val), ``321/03`` (test): complete cells with DEM and SLOPE.
- ``1111011/01`` (train): no ``SL2`` files (incomplete for the default bands).
- ``130/00/ab/<hash>``: an unlabelled cell (aoiid ``NA``, SAR files only).

    .venv/bin/python tests/data/kurosiwo/make_data.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

HERE = Path(__file__).resolve().parent
SIZE = 32
DATES = {"MS1": "20200115", "SL1": "20191228", "SL2": "20191216", "MK0": "20200115"}
CELLS = (  # actid, aoiid folder, layers
    (130, "01", "full"),
    (470, "02", "full"),
    (514, "01", "full"),
    (321, "03", "full"),
    (1111011, "01", "no_sl2"),
    (130, "00", "unlabelled"),
)


def cell_hash(actid: int, aoi: str) -> str:
    """The fixture's grid hash of a cell (real ones are 32 hex digits too)."""
    return hashlib.md5(f"{actid}-{aoi}".encode()).hexdigest()


def hand_labels() -> tuple[np.ndarray, np.ndarray]:
    """MLU and MNA of the hand-checked cell (see the module docstring)."""
    mlu = np.tile((np.arange(SIZE) // 8) % 3, (SIZE, 1)).astype("uint8")
    mlu[0] = 3
    mna = np.ones((SIZE, SIZE), dtype="uint8")
    mna[SIZE - 1, :4] = 0
    return mlu, mna


def _write(path: Path, pixels: np.ndarray, transform: Affine, nodata: float | None) -> None:
    with rasterio.open(
        path, "w", driver="GTiff", width=SIZE, height=SIZE, count=1, dtype=pixels.dtype.name,
        crs="EPSG:3857", transform=transform, nodata=nodata, compress="deflate",
    ) as ds:  # fmt: skip
        ds.write(pixels, 1)


def _sar(rng: np.random.Generator, level: float) -> np.ndarray:
    """Speckled linear backscatter around ``level``, smooth enough to compress."""
    base = rng.gamma(4.0, level / 4.0, size=(SIZE // 4, SIZE // 4))
    return np.kron(base, np.ones((4, 4))).astype("float32")


def write_cell(
    data: Path, actid: int, aoi: str, kind: str, n: int, rng: np.random.Generator
) -> None:
    digest = cell_hash(actid, aoi)
    folder = (
        data / str(actid) / aoi / (f"{digest[:2]}/{digest}" if kind == "unlabelled" else digest)
    )
    folder.mkdir(parents=True)
    x0, y0 = 2_000_000.0 + 320.0 * n, 5_000_000.0
    transform = Affine(10.0, 0.0, x0, 0.0, -10.0, y0)
    aoi_name = "NA" if kind == "unlabelled" else aoi
    layers: dict[str, tuple[np.ndarray, float | None]] = {}
    for acq in ("MS1", "SL1", "SL2"):
        if kind == "no_sl2" and acq == "SL2":
            continue
        layers[f"{acq}_IVV"] = (_sar(rng, 0.10 if acq != "MS1" else 0.05), None)
        layers[f"{acq}_IVH"] = (_sar(rng, 0.03), None)
    if kind != "unlabelled":
        if actid == 130:
            mlu, mna = hand_labels()
        else:
            mlu = rng.integers(0, 4, size=(SIZE, SIZE)).astype("uint8")
            mna = (rng.random((SIZE, SIZE)) > 0.1).astype("uint8")
        dem = np.linspace(10, 60, SIZE * SIZE, dtype="float32").reshape(SIZE, SIZE)
        if actid == 130:
            layers["MS1_IVV"][0][5, 5] = np.nan
            layers["SL1_IVH"][0][6, 6] = 0.0
            dem[7, 7] = -9999.0
        layers.update(MK0_MLU=(mlu, None), MK0_MNA=(mna, None), MK0_DEM=(dem, -9999.0),
                      MK0_SLOPE=(np.gradient(dem)[0].astype("float32"), None))  # fmt: skip
    datasets = {}
    for key, (pixels, nodata) in layers.items():
        name = f"{key}_{actid}_{aoi_name}_{DATES[key[:3]]}"
        _write(folder / f"{name}.tif", pixels, transform, nodata)
        datasets[name] = {"name": name, "ptype": key[:2], "rank": int(key[2]),
                          "pname": key[4:], "dtype": pixels.dtype.name,
                          "nodata": 0.0 if key[4:] in ("IVV", "IVH") else nodata,
                          "source_date": DATES[key[:3]]}  # fmt: skip
    x1, y1 = x0 + 10.0 * SIZE, y0 - 10.0 * SIZE
    info = {
        "grid_id": digest, "actid": actid, "aoiid": aoi_name if kind == "unlabelled" else int(aoi),
        "flood_date": "2020-01-14",
        "geom": f"POLYGON (({x0} {y0}, {x1} {y0}, {x1} {y1}, {x0} {y1}, {x0} {y0}))",
        "slavecov": 1.0, "mastercov": 1.0, "pcovered": 1.0, "pwater": 0.2, "pflood": 0.1,
        "sources": {acq: {"source_date": DATES[acq]} for acq in ("MS1", "SL1", "SL2")},
        "datasets": datasets,
    }  # fmt: skip
    (folder / "info.json").write_text(json.dumps(info, indent=1))


def main() -> None:
    rng = np.random.default_rng(0)
    shutil.rmtree(HERE / "data", ignore_errors=True)
    for n, (actid, aoi, kind) in enumerate(CELLS):
        write_cell(HERE / "data", actid, aoi, kind, n, rng)
    for aux in HERE.rglob("*.aux.xml"):
        aux.unlink()


if __name__ == "__main__":
    main()
