"""Canonical coordinate reference system keys.

eoforge carries a CRS through its value objects as a short canonical string — ``"EPSG:32633"`` where
the CRS has an EPSG code, its WKT otherwise — so that comparing two grids is a string comparison and
never a slow PROJ call on the hot path. :func:`rio_crs` turns a key back into a rasterio ``CRS``.

Example:
    >>> crs_key(32633)
    'EPSG:32633'
    >>> crs_key("epsg:4326")
    'EPSG:4326'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeAlias

from rasterio.crs import CRS
from rasterio.errors import CRSError

from eoforge.errors import MissingCRSError

__all__ = ["CRSLike", "crs_key", "rio_crs"]

CRSLike: TypeAlias = Any
"""Anything that names a CRS: ``"EPSG:32633"``, ``32633``, WKT, PROJ, a rasterio or pyproj CRS."""


@lru_cache(maxsize=512)
def _key_from_text(text: str) -> str:
    try:
        crs = CRS.from_user_input(text)
    except CRSError as err:
        raise MissingCRSError(
            f"{text!r} is not a coordinate reference system; give e.g. 'EPSG:32633' or a WKT string"
        ) from err
    return _key_from_crs(crs)


def _key_from_crs(crs: CRS) -> str:
    epsg = crs.to_epsg()
    if epsg is not None:
        return f"EPSG:{epsg}"
    return str(crs.to_wkt())


def crs_key(crs: CRSLike) -> str:
    """Return the canonical key of any CRS-like value.

    Args:
        crs: an EPSG code, an ``"EPSG:…"``/WKT/PROJ string, or a rasterio/pyproj CRS object.

    Returns:
        ``"EPSG:<code>"`` when the CRS matches an EPSG definition, otherwise its WKT.

    Raises:
        MissingCRSError: if ``crs`` is ``None``, empty or not understood.

    Example:
        >>> crs_key("EPSG:32618")
        'EPSG:32618'
    """
    if crs is None or (isinstance(crs, str) and not crs.strip()):
        raise MissingCRSError("no CRS given; pass crs='EPSG:<code>' (or a WKT string)")
    if isinstance(crs, int):
        return _key_from_text(f"EPSG:{crs}")
    if isinstance(crs, str):
        return _key_from_text(crs)
    if isinstance(crs, CRS):
        text = crs.to_string()
        if not text:
            raise MissingCRSError("the CRS object is empty; the file has no CRS — assign one first")
        return _key_from_text(text)
    to_wkt = getattr(crs, "to_wkt", None)  # pyproj.CRS and friends
    if callable(to_wkt):
        return _key_from_text(str(to_wkt()))
    raise MissingCRSError(f"{crs!r} is not a CRS; give e.g. 'EPSG:32633'")


@lru_cache(maxsize=512)
def rio_crs(key: str) -> CRS:
    """Return the rasterio ``CRS`` for a canonical key (cached).

    Example:
        >>> rio_crs("EPSG:4326").to_epsg()
        4326
    """
    return CRS.from_user_input(key)
