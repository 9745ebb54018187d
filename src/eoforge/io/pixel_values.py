"""The values a window read delivers: bands, fill, valid pixels, scale and offset.

Which bands, what fills pixels without data, which pixels hold data:
:func:`eoforge.io.read_window` reads the pixels, these pure functions decide what they mean.
Nodata follows the file (its nodata value, or its per-band masks); a pixel is valid when any
band has data there, as in GDAL's ``dataset_mask()``.

Example:
    >>> import numpy as np
    >>> fits_exactly(255.0, np.dtype("uint8")), fits_exactly(256, np.dtype("uint8"))
    (True, False)
    >>> any_band_valid(np.array([[[True, False]], [[False, False]]])).tolist()
    [[True, False]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from rasterio.io import DatasetReader
from rasterio.windows import Window

from eoforge.errors import BandNotFoundError, InvalidGridError
from eoforge.io.raster_info import RasterInfo

__all__ = [
    "any_band_valid",
    "apply_scale",
    "band_indexes",
    "band_validity",
    "fill_for",
    "fits_exactly",
    "float_dtype",
    "marks_invalid",
]

Array = np.ndarray[Any, Any]


def band_indexes(bands: Sequence[int] | None, info: RasterInfo) -> list[int]:
    """The 1-based band indexes to read (all when ``bands`` is None), checked against the file."""
    if bands is None:
        return list(range(1, info.count + 1))
    indexes = list(bands)
    for b in indexes:
        if isinstance(b, bool) or not isinstance(b, int | np.integer) or not 1 <= b <= info.count:
            raise BandNotFoundError(
                f"band {b!r} is not in '{info.path}': it has bands 1..{info.count} "
                f"({', '.join(str(d) for d in info.descriptions)}); band indexes are 1-based"
            )
    if not indexes:
        raise BandNotFoundError(f"no bands requested from '{info.path}'; pass bands=None for all")
    return [int(b) for b in indexes]


def fill_for(fill_value: float | None, dt: np.dtype[Any], info: RasterInfo, scaled: bool) -> float:
    """The value of pixels without data: ``fill_value``, else NaN (scaled floats), nodata or 0."""
    if fill_value is None:
        if scaled and dt.kind == "f":
            return math.nan
        nodata = info.nodata
        if nodata is None or not fits_exactly(nodata, dt):
            return 0.0
        return nodata
    fill = float(fill_value)
    if not fits_exactly(fill, dt):
        raise InvalidGridError(
            f"fill value {fill_value!r} does not fit the output dtype {dt}; pass a fill_value "
            f"the dtype can hold, or a float dtype (reading '{info.path}')"
        )
    return fill


def fits_exactly(value: float, dt: np.dtype[Any]) -> bool:
    """True when ``dt`` holds ``value`` exactly."""
    if dt.kind == "f":
        return True
    if dt.kind == "b":
        return value in (0, 1)
    if math.isnan(value) or value != int(value):
        return False
    limits = np.iinfo(dt)
    return bool(limits.min <= int(value) <= limits.max)


def marks_invalid(info: RasterInfo, dtype: np.dtype[Any]) -> bool:
    """Whether :func:`band_validity` may find invalid pixels among values of ``dtype``.

    ``False``: every pixel read is valid, known before reading (no nodata value a pixel can
    hold, no mask).
    """
    if info.mask_kind == "nodata" and info.nodata is not None:
        return math.isnan(info.nodata) or fits_exactly(info.nodata, dtype)
    return info.mask_kind == "mask"


def band_validity(
    ds: DatasetReader, info: RasterInfo, raw: Array, indexes: list[int], window: Window
) -> Array | None:
    """Per band and pixel, True where the file has data; ``None`` when every pixel does."""
    if not marks_invalid(info, raw.dtype):
        return None  # no nodata a pixel can hold, no mask
    if info.mask_kind == "nodata" and info.nodata is not None:
        if math.isnan(info.nodata):
            return ~np.isnan(raw)
        return raw != raw.dtype.type(info.nodata)  # type: ignore[no-any-return]
    if info.mask_kind == "mask":
        masks = ds.read_masks(indexes, window=window)
        return masks > 0  # type: ignore[no-any-return]
    return None


def any_band_valid(band_valid: Array) -> Array:
    """A pixel is valid when any band has data there (as in ``ds.dataset_mask()``)."""
    return cast(Array, band_valid.any(axis=0))


def apply_scale(values: Array, info: RasterInfo, indexes: list[int]) -> None:
    """``values = values * scale + offset`` per band, in place (``values`` is float)."""
    scales = np.array([info.scales[i - 1] for i in indexes], dtype=values.dtype)
    offsets = np.array([info.offsets[i - 1] for i in indexes], dtype=values.dtype)
    values *= scales[:, None, None]
    values += offsets[:, None, None]


def float_dtype(dt: np.dtype[Any]) -> np.dtype[Any]:
    """float64 for float64 data, else float32 (what scaled values are computed in)."""
    return np.dtype(np.float64 if dt == np.float64 else np.float32)
