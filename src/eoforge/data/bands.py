"""The band table: every band identifier eoforge knows, with its sensor, wavelength and resolution.

Bands are named, not numbered: datasets, checkpoints and the predictor match bands by these
identifiers, and wavelength-aware models read the centre wavelength and bandwidth from here.

Sources of the values:

- Sentinel-2 MSI (Sentinel-2A values): ESA, *Sentinel-2 User Handbook* / SentiWiki "S2 Mission —
  Radiometric resolution" table (central wavelength and bandwidth in nm, spatial resolution in m).
- Sentinel-1 C-SAR: ESA, *Sentinel-1 User Handbook* — centre frequency 5.405 GHz (wavelength
  ≈ 5.547 cm); IW GRD high-resolution products have a 10 m pixel spacing.
- Landsat 8/9 OLI/TIRS and Landsat 7 ETM+: USGS, "What are the band designations for the Landsat
  satellites?" — the centre is the middle of the published range, the bandwidth its width.
- Aerial R/G/B/NIR: nominal centres only (cameras differ; no bandwidth or resolution).

Example:
    >>> band_info("B8A").wavelength_nm
    864.7
    >>> band_info("B4", sensor="landsat8").resolution_m
    30.0
    >>> [b.name for b in sensor_bands("sentinel1")]
    ['VV', 'VH', 'HH', 'HV']
"""

from __future__ import annotations

from dataclasses import dataclass

from eoforge.errors import BandNotFoundError

__all__ = ["SENSORS", "BandInfo", "band_info", "sensor_bands"]


@dataclass(frozen=True, slots=True)
class BandInfo:
    """What one band identifier means.

    Attributes:
        name: the official identifier (``"B04"``, ``"B8A"``, ``"VV"``, ``"NIR"``, ``"DEM"``…).
        sensor: the sensor key (one of :data:`SENSORS`).
        wavelength_nm: centre wavelength in nanometres (``None`` for derived layers).
        bandwidth_nm: width of the band in nanometres (``None`` where it does not apply).
        resolution_m: native pixel size in metres (``None`` where it varies).
        description: a short human name (``"red"``, ``"SWIR 1"``…).

    Example:
        >>> band_info("B02").description
        'blue'
    """

    name: str
    sensor: str
    wavelength_nm: float | None
    bandwidth_nm: float | None
    resolution_m: float | None
    description: str


def _mid(lo_um: float, hi_um: float) -> tuple[float, float]:
    """Centre and width, in nm, of a band given as a range in micrometres."""
    return (round((lo_um + hi_um) / 2 * 1000, 1), round((hi_um - lo_um) * 1000, 1))


_S1_WAVELENGTH_NM = round(299_792_458 / 5.405e9 * 1e9, 0)  # C-band, 5.405 GHz

_TABLE: tuple[BandInfo, ...] = (
    # Sentinel-2 MSI (S2A): name, centre nm, bandwidth nm, resolution m
    BandInfo("B01", "sentinel2", 442.7, 21.0, 60.0, "coastal aerosol"),
    BandInfo("B02", "sentinel2", 492.4, 66.0, 10.0, "blue"),
    BandInfo("B03", "sentinel2", 559.8, 36.0, 10.0, "green"),
    BandInfo("B04", "sentinel2", 664.6, 31.0, 10.0, "red"),
    BandInfo("B05", "sentinel2", 704.1, 15.0, 20.0, "red edge 1"),
    BandInfo("B06", "sentinel2", 740.5, 15.0, 20.0, "red edge 2"),
    BandInfo("B07", "sentinel2", 782.8, 20.0, 20.0, "red edge 3"),
    BandInfo("B08", "sentinel2", 832.8, 106.0, 10.0, "NIR"),
    BandInfo("B8A", "sentinel2", 864.7, 21.0, 20.0, "narrow NIR"),
    BandInfo("B09", "sentinel2", 945.1, 20.0, 60.0, "water vapour"),
    BandInfo("B10", "sentinel2", 1373.5, 31.0, 60.0, "SWIR cirrus"),
    BandInfo("B11", "sentinel2", 1613.7, 91.0, 20.0, "SWIR 1"),
    BandInfo("B12", "sentinel2", 2202.4, 175.0, 20.0, "SWIR 2"),
    # Sentinel-1 C-SAR polarisations (IW GRD pixel spacing)
    BandInfo("VV", "sentinel1", _S1_WAVELENGTH_NM, None, 10.0, "C-band VV"),
    BandInfo("VH", "sentinel1", _S1_WAVELENGTH_NM, None, 10.0, "C-band VH"),
    BandInfo("HH", "sentinel1", _S1_WAVELENGTH_NM, None, 10.0, "C-band HH"),
    BandInfo("HV", "sentinel1", _S1_WAVELENGTH_NM, None, 10.0, "C-band HV"),
    # Landsat 8/9 OLI (B1-B9) and TIRS (B10-B11)
    BandInfo("B1", "landsat8", *_mid(0.43, 0.45), 30.0, "coastal aerosol"),
    BandInfo("B2", "landsat8", *_mid(0.45, 0.51), 30.0, "blue"),
    BandInfo("B3", "landsat8", *_mid(0.53, 0.59), 30.0, "green"),
    BandInfo("B4", "landsat8", *_mid(0.64, 0.67), 30.0, "red"),
    BandInfo("B5", "landsat8", *_mid(0.85, 0.88), 30.0, "NIR"),
    BandInfo("B6", "landsat8", *_mid(1.57, 1.65), 30.0, "SWIR 1"),
    BandInfo("B7", "landsat8", *_mid(2.11, 2.29), 30.0, "SWIR 2"),
    BandInfo("B8", "landsat8", *_mid(0.50, 0.68), 15.0, "panchromatic"),
    BandInfo("B9", "landsat8", *_mid(1.36, 1.38), 30.0, "cirrus"),
    BandInfo("B10", "landsat8", *_mid(10.60, 11.19), 100.0, "thermal 1"),
    BandInfo("B11", "landsat8", *_mid(11.50, 12.51), 100.0, "thermal 2"),
    # Landsat 7 ETM+
    BandInfo("B1", "landsat7", *_mid(0.45, 0.52), 30.0, "blue"),
    BandInfo("B2", "landsat7", *_mid(0.52, 0.60), 30.0, "green"),
    BandInfo("B3", "landsat7", *_mid(0.63, 0.69), 30.0, "red"),
    BandInfo("B4", "landsat7", *_mid(0.77, 0.90), 30.0, "NIR"),
    BandInfo("B5", "landsat7", *_mid(1.55, 1.75), 30.0, "SWIR 1"),
    BandInfo("B6", "landsat7", *_mid(10.40, 12.50), 60.0, "thermal"),
    BandInfo("B7", "landsat7", *_mid(2.09, 2.35), 30.0, "SWIR 2"),
    BandInfo("B8", "landsat7", *_mid(0.52, 0.90), 15.0, "panchromatic"),
    # Aerial cameras: nominal centres, cameras differ
    BandInfo("R", "aerial", 660.0, None, None, "red"),
    BandInfo("G", "aerial", 560.0, None, None, "green"),
    BandInfo("B", "aerial", 480.0, None, None, "blue"),
    BandInfo("NIR", "aerial", 840.0, None, None, "near infrared"),
    # Derived layers
    BandInfo("DEM", "derived", None, None, None, "elevation"),
    BandInfo("NDVI", "derived", None, None, None, "normalised difference vegetation index"),
)

SENSORS: tuple[str, ...] = tuple(dict.fromkeys(b.sensor for b in _TABLE))
"""Sensor keys in table order."""

_ALIASES = {
    "s2": "sentinel2",
    "msi": "sentinel2",
    "s1": "sentinel1",
    "sar": "sentinel1",
    "l8": "landsat8",
    "l9": "landsat8",
    "landsat9": "landsat8",
    "landsat89": "landsat8",
    "oli": "landsat8",
    "l7": "landsat7",
    "etm": "landsat7",
}


def _sensor_key(sensor: str) -> str:
    key = "".join(ch for ch in sensor.lower() if ch.isalnum())
    key = _ALIASES.get(key, key)
    if key not in SENSORS:
        raise BandNotFoundError(
            f"unknown sensor {sensor!r}; use one of {', '.join(SENSORS)} "
            "(aliases: s2, s1, l8, l9, l7)"
        )
    return key


def sensor_bands(sensor: str) -> tuple[BandInfo, ...]:
    """All bands of one sensor, in the sensor's canonical order.

    Args:
        sensor: a key of :data:`SENSORS` or an alias (``"S2"``, ``"Sentinel-2"``, ``"L9"``…).

    Raises:
        BandNotFoundError: for an unknown sensor (the message lists the known ones).

    Example:
        >>> [b.name for b in sensor_bands("Sentinel-2")][7:10]
        ['B08', 'B8A', 'B09']
    """
    key = _sensor_key(sensor)
    return tuple(b for b in _TABLE if b.sensor == key)


def band_info(name: str, sensor: str | None = None) -> BandInfo:
    """Look up a band identifier (case-insensitive).

    Args:
        name: the band identifier, e.g. ``"B04"``, ``"B8A"``, ``"VV"``, ``"NIR"``.
        sensor: the sensor, needed only where the name is used by several sensors (Landsat 8/9
            and Landsat 7 both have ``"B1"``…``"B8"``).

    Raises:
        BandNotFoundError: when the name is unknown (for the sensor), or ambiguous without
            ``sensor`` — the message says what exists.

    Example:
        >>> band_info("vh").sensor
        'sentinel1'
        >>> band_info("B1", sensor="L7").description
        'blue'
    """
    candidates = _TABLE if sensor is None else sensor_bands(sensor)
    matches = [b for b in candidates if b.name == name]
    if not matches:
        matches = [b for b in candidates if b.name.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        sensors = ", ".join(b.sensor for b in matches)
        raise BandNotFoundError(
            f"band {name!r} exists for several sensors ({sensors}); pass sensor=… to choose one"
        )
    where = "the band table" if sensor is None else f"sensor {_sensor_key(sensor)!r}"
    known = ", ".join(dict.fromkeys(b.name for b in candidates))
    raise BandNotFoundError(
        f"band {name!r} is not in {where}; known identifiers: {known}. "
        "Name bands with these identifiers (e.g. bands=['B04', 'B03', 'B02'])"
    )
