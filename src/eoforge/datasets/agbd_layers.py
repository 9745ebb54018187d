"""The input layers of an AGBD footprint patch: where each band lies in its HDF5 group, its units.

Every Sentinel-2 tile group of an AGBD file holds, per GEDI footprint (first axis), 25 x 25 pixel
windows at 10 m, channels last (``Patches/create_patches.py`` and ``Models/dataset.py`` of
ghjuliasialelli/AGBD). :func:`read_bands` reads one footprint's bands and decodes them:

======================  ==============================  ===========  ==========================
band                    dataset (channel)               nodata       value
======================  ==============================  ===========  ==========================
``B01`` … ``B12``       ``S2_bands`` (attr ``order``)   DN 0         reflectance
                                                                     ``(DN - 1000·S2_boa_offset)
                                                                     / 10000``, negatives → 0
``HH``, ``HV``          ``ALOS_bands`` (attr ``order``) DN 0         γ⁰ in dB: ``10·log10(DN²) -
                                                                     83``
``CH``, ``CH_std``      ``CH/ch``, ``CH/std``           255          canopy height and its std, m
``LC``, ``LC_prob``     ``LC`` (0: class, 1: prob.)     255          class code; probability %
``DEM``                 ``DEM``                         -9999        elevation, m
``SCL``                 ``S2_SCL``                      0 (no data)  scene classification code
======================  ==============================  ===========  ==========================

``S2_boa_offset`` (``Sentinel_metadata``) is 1 for products of processing baseline 04.00 and later
(acquired from 25 January 2022), whose DNs carry a +1000 offset; it counts as 0 when absent.
Nodata pixels come out as NaN.

Example:
    >>> AGBD_BANDS[:3], AGBD_BANDS[-8:]
    (('B01', 'B02', 'B03'), ('HH', 'HV', 'CH', 'CH_std', 'LC', 'LC_prob', 'DEM', 'SCL'))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from eoforge.errors import EoforgeError

__all__ = ["AGBD_BANDS", "S2_ORDER", "read_bands", "s2_reflectance"]

S2_ORDER: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12",
)  # fmt: skip
"""The Sentinel-2 bands of ``S2_bands``, in the order its ``order`` attribute gives them."""
_ALOS_ORDER = ("HH", "HV")
AGBD_BANDS: tuple[str, ...] = (
    *S2_ORDER,
    *_ALOS_ORDER,
    "CH",
    "CH_std",
    "LC",
    "LC_prob",
    "DEM",
    "SCL",
)
"""Every band of an AGBD patch, by name."""

_PLAIN = {  # band -> (dataset, channel or None, nodata)
    "CH": ("CH/ch", None, 255),
    "CH_std": ("CH/std", None, 255),
    "LC": ("LC", 0, 255),
    "LC_prob": ("LC", 1, 255),
    "DEM": ("DEM", None, -9999),
    "SCL": ("S2_SCL", None, 0),
}


def s2_reflectance(dn: np.ndarray, boa_offset: int) -> np.ndarray:
    """Sentinel-2 L2A surface reflectance of digital numbers; DN 0 (nodata) becomes NaN.

    Example:
        >>> s2_reflectance(np.array([0, 500, 1500, 3000]), boa_offset=1)
        array([ nan, 0.  , 0.05, 0.2 ], dtype=float32)
    """
    values = np.asarray(dn, dtype=np.float32)
    reflectance = np.maximum((values - np.float32(1000 * boa_offset)) / np.float32(10000), 0)
    return np.where(values == 0, np.float32(np.nan), reflectance).astype(np.float32)


def alos_db(dn: np.ndarray) -> np.ndarray:
    """ALOS-2 PALSAR-2 γ⁰ in dB of digital numbers: ``10·log10(DN²) - 83``; DN 0 becomes NaN.

    Example:
        >>> alos_db(np.array([0, 10_000])).tolist()
        [nan, -3.0]
    """
    values = np.asarray(dn, dtype=np.float64)
    with np.errstate(divide="ignore"):
        decibels = 10 * np.log10(values**2) - 83
    return np.where(values == 0, np.nan, decibels).astype(np.float32)


def _order(dataset: Any, default: Sequence[str]) -> list[str]:
    raw = dataset.attrs.get("order")
    if raw is None:
        return list(default)
    return [o.decode() if isinstance(o, bytes) else str(o) for o in np.asarray(raw).tolist()]


def _dataset(group: Any, name: str, band: str, where: str) -> Any:
    if name not in group:
        raise EoforgeError(
            f"{where} has no dataset {name!r}, which band {band!r} is read from; this file was "
            "made without that source: choose other bands"
        )
    return group[name]


def read_bands(group: Any, row: int, bands: Sequence[str], where: str) -> np.ndarray:
    """The ``(C, H, W)`` float32 pixels of ``bands`` for footprint ``row`` of a tile group.

    Args:
        group: the HDF5 group of one Sentinel-2 tile.
        row: the footprint's index along the datasets' first axis.
        bands: names of :data:`AGBD_BANDS`, in channel order.
        where: the file and group, for messages.

    Raises:
        EoforgeError: a needed dataset is missing, or an ``order`` lacks a band.
    """
    layers: list[np.ndarray] = []
    cache: dict[str, np.ndarray] = {}

    def pixels(name: str, band: str) -> np.ndarray:
        if name not in cache:
            cache[name] = np.asarray(_dataset(group, name, band, where)[row])
        return cache[name]

    for band in bands:
        if band in S2_ORDER or band in _ALOS_ORDER:
            name = "S2_bands" if band in S2_ORDER else "ALOS_bands"
            order = _order(_dataset(group, name, band, where), S2_ORDER if band in S2_ORDER
                           else _ALOS_ORDER)  # fmt: skip
            if band not in order:
                raise EoforgeError(f"{where}/{name} has no band {band!r} (its order: {order})")
            dn = pixels(name, band)[..., order.index(band)]
            if band in S2_ORDER:
                meta = group.get("Sentinel_metadata")
                offset = 0
                if meta is not None and "S2_boa_offset" in meta:
                    offset = int(meta["S2_boa_offset"][row])
                layers.append(s2_reflectance(dn, offset))
            else:
                layers.append(alos_db(dn))
            continue
        name, channel, nodata = _PLAIN[band]
        values = pixels(name, band)
        values = values[..., channel] if channel is not None else values
        decoded = values.astype(np.float32)
        layers.append(np.where(values == nodata, np.float32(np.nan), decoded))
    return np.stack(layers).astype(np.float32)
