from __future__ import annotations

import pytest

from eoforge.data.bands import SENSORS, band_info, sensor_bands
from eoforge.errors import BandNotFoundError


def test_sentinel2_table_matches_esa() -> None:
    s2 = sensor_bands("sentinel2")
    assert [b.name for b in s2] == [
        "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12",
    ]  # fmt: skip
    by_res: dict[float | None, set[str]] = {}
    for b in s2:
        by_res.setdefault(b.resolution_m, set()).add(b.name)
    assert by_res == {
        10.0: {"B02", "B03", "B04", "B08"},
        20.0: {"B05", "B06", "B07", "B8A", "B11", "B12"},
        60.0: {"B01", "B09", "B10"},
    }
    waves = [b.wavelength_nm or 0.0 for b in s2]
    assert all(w > 0 for w in waves)
    assert waves == sorted(waves)  # canonical order is spectral order for the MSI
    assert band_info("B04").wavelength_nm == pytest.approx(665, abs=1)
    assert band_info("B08").bandwidth_nm == pytest.approx(106, abs=1)


def test_landsat_tables() -> None:
    l8 = {b.name: b for b in sensor_bands("L9")}
    assert len(l8) == 11
    assert l8["B8"].resolution_m == 15.0
    assert l8["B10"].resolution_m == l8["B11"].resolution_m == 100.0
    assert l8["B4"].wavelength_nm == pytest.approx(655, abs=1)
    assert l8["B4"].bandwidth_nm == pytest.approx(30, abs=0.5)
    l7 = {b.name: b for b in sensor_bands("landsat7")}
    assert list(l7) == [f"B{i}" for i in range(1, 9)]
    assert l7["B6"].wavelength_nm is not None and l7["B6"].wavelength_nm > 10_000  # thermal


def test_sentinel1_aerial_derived() -> None:
    assert [b.name for b in sensor_bands("S1")] == ["VV", "VH", "HH", "HV"]
    vv = band_info("VV")
    assert vv.wavelength_nm == pytest.approx(55.5e6, rel=1e-2)  # C-band, ~5.55 cm
    assert band_info("NIR").sensor == "aerial"
    assert band_info("DEM").wavelength_nm is None
    assert band_info("NDVI").sensor == "derived"


def test_table_is_consistent() -> None:
    seen = set()
    for sensor in SENSORS:
        for b in sensor_bands(sensor):
            assert (b.name, b.sensor) not in seen
            seen.add((b.name, b.sensor))
            if b.bandwidth_nm is not None:
                assert b.bandwidth_nm > 0
            if b.resolution_m is not None:
                assert b.resolution_m > 0


def test_lookup_is_case_insensitive_and_aliases() -> None:
    assert band_info("b8a").name == "B8A"
    assert band_info("B2", sensor="Landsat-8").description == "blue"
    assert band_info("B2", sensor="l7").description == "green"


def test_ambiguous_name_needs_sensor() -> None:
    with pytest.raises(BandNotFoundError, match=r"landsat8, landsat7.*sensor="):
        band_info("B4")


def test_unknown_band_lists_known() -> None:
    with pytest.raises(BandNotFoundError, match=r"'B99'.*B01.*B8A"):
        band_info("B99")
    with pytest.raises(BandNotFoundError, match=r"sensor 'sentinel1'.*VV, VH"):
        band_info("B02", sensor="S1")


def test_unknown_sensor() -> None:
    with pytest.raises(BandNotFoundError, match=r"unknown sensor 'modis'.*sentinel2"):
        sensor_bands("modis")
