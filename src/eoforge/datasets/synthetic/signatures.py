"""Surface-reflectance signatures of the synthetic classes in the Sentinel-2 L2A bands.

Each class has two *endmember* spectra, ``A`` and ``B``; every pixel of the class is a mixture
``(1 - alpha)·A + alpha·B`` with a per-pixel fraction ``alpha`` that the landscape sets (crop
phenology, grass dryness, water turbidity, roof material, …). The values are plausible L2A
surface reflectances (0…1) read off typical library spectra: vegetation has a low red, a steep
red edge (B05→B07) and a high NIR; water is dark in NIR and SWIR; built-up surfaces are flat-ish
and bright with SWIR above NIR; bare ground rises steadily into the SWIR. Some mixtures overlap on
purpose (half-grown crops look like lush grass, ploughed fields like dark bare ground, concrete
like rock) so that spectra alone cannot separate every class.

Example:
    >>> a, b = endmembers(("B04", "B08"))
    >>> a.shape
    (6, 2)
    >>> bool(a[1, 1] > 5 * a[1, 0])  # tree cover (class 1): NIR far above red
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from eoforge.errors import BandNotFoundError, EoforgeError

__all__ = [
    "ALL_BANDS",
    "DEFAULT_BANDS",
    "NATIVE_RESOLUTION",
    "check_bands",
    "endmembers",
]

ALL_BANDS: tuple[str, ...] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12",
)  # fmt: skip
"""The 12 Sentinel-2 L2A surface-reflectance bands (B10, cirrus, is not in L2A)."""

DEFAULT_BANDS: tuple[str, ...] = (
    "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12",
)  # fmt: skip
"""The 10 bands at 10 m and 20 m native resolution — the usual Sentinel-2 model input."""

NATIVE_RESOLUTION: dict[str, int] = {
    "B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20,
    "B07": 20, "B08": 10, "B8A": 20, "B09": 60, "B11": 20, "B12": 20,
}  # fmt: skip
"""Native pixel size of each band in metres; 20 m and 60 m bands are rendered at that detail."""

# Rows: classes 0..5; columns: ALL_BANDS (B01 B02 B03 B04 B05 B06 B07 B08 B8A B09 B11 B12).
# Endmember A: clear water, broadleaf forest, lush grass, tilled soil, concrete, sand/limestone.
_ENDMEMBER_A = np.array(
    [
        [0.045, 0.040, 0.050, 0.025, 0.018, 0.012, 0.010, 0.008, 0.007, 0.005, 0.004, 0.003],
        [0.020, 0.025, 0.055, 0.028, 0.090, 0.250, 0.320, 0.340, 0.350, 0.300, 0.170, 0.080],
        [0.030, 0.035, 0.080, 0.045, 0.130, 0.280, 0.340, 0.360, 0.370, 0.310, 0.220, 0.120],
        [0.050, 0.060, 0.085, 0.110, 0.130, 0.150, 0.165, 0.175, 0.185, 0.170, 0.270, 0.220],
        [0.100, 0.110, 0.130, 0.145, 0.160, 0.170, 0.180, 0.190, 0.195, 0.180, 0.280, 0.250],
        [0.150, 0.180, 0.230, 0.280, 0.310, 0.330, 0.345, 0.355, 0.360, 0.330, 0.420, 0.360],
    ]
)
# Endmember B: turbid water, conifer forest, dry grass, full green crop, red tile roofs, dark rock.
_ENDMEMBER_B = np.array(
    [
        [0.065, 0.065, 0.090, 0.070, 0.060, 0.035, 0.028, 0.024, 0.020, 0.012, 0.008, 0.005],
        [0.015, 0.018, 0.035, 0.018, 0.060, 0.160, 0.200, 0.215, 0.225, 0.190, 0.110, 0.050],
        [0.045, 0.060, 0.100, 0.110, 0.160, 0.220, 0.250, 0.265, 0.275, 0.240, 0.300, 0.210],
        [0.025, 0.030, 0.070, 0.030, 0.110, 0.340, 0.440, 0.470, 0.480, 0.400, 0.230, 0.110],
        [0.070, 0.075, 0.090, 0.170, 0.200, 0.220, 0.235, 0.245, 0.250, 0.230, 0.320, 0.280],
        [0.080, 0.090, 0.110, 0.130, 0.145, 0.155, 0.165, 0.170, 0.175, 0.160, 0.240, 0.210],
    ]
)


def check_bands(bands: Sequence[str]) -> tuple[str, ...]:
    """Validate band names against :data:`ALL_BANDS` and return them as a tuple.

    Raises:
        BandNotFoundError: a name is not a Sentinel-2 L2A band.
        EoforgeError: no band, or a band given twice.

    Example:
        >>> check_bands(["B04", "B03", "B02"])
        ('B04', 'B03', 'B02')
    """
    if isinstance(bands, str):
        bands = (bands,)
    names = tuple(bands)
    if not names:
        raise EoforgeError(f"no band asked for; give some of {', '.join(ALL_BANDS)}")
    for name in names:
        if name not in NATIVE_RESOLUTION:
            raise BandNotFoundError(
                f"band {name!r} is not a Sentinel-2 L2A band of the synthetic scenes; "
                f"choose from {', '.join(ALL_BANDS)}"
            )
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise EoforgeError(f"band(s) {', '.join(twice)} given more than once; list each band once")
    return names


def endmembers(bands: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The two endmember tables ``(A, B)``, each ``(n_classes, len(bands))`` float32 reflectance.

    Example:
        >>> a, b = endmembers(DEFAULT_BANDS)
        >>> a.dtype, a.shape
        (dtype('float32'), (6, 10))
    """
    cols = [ALL_BANDS.index(b) for b in check_bands(bands)]
    return (
        np.ascontiguousarray(_ENDMEMBER_A[:, cols], dtype=np.float32),
        np.ascontiguousarray(_ENDMEMBER_B[:, cols], dtype=np.float32),
    )
