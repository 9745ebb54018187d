"""The bands of BigEarthNet (v1.0 and v2.0 / reBEN) and the modality that selects them.

Both releases pair a Sentinel-2 L2A patch (12 bands, no B10) with a Sentinel-1 GRD patch (VV,
VH; float32 dB). ``modality`` chooses which are loaded: ``"s2"`` (the default), ``"s1"``, or
``"s1+s2"`` (the Sentinel-2 bands, then VV, VH); ``bands`` may then pick among the modality's
bands, by name.

Example:
    >>> modality_bands("s1+s2", None, "BigEarthNet")[-3:]
    ['B12', 'VV', 'VH']
    >>> modality_bands("s1", ["vh"], "BigEarthNet")
    ['VH']
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Final

from eoforge.datasets.chip_checks import check_bands
from eoforge.errors import UnknownNameError

__all__ = ["MODALITIES", "S1_BANDS", "S2_BANDS", "check_modality", "modality_bands"]

S2_BANDS: Final[tuple[str, ...]] = (
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12",
)  # fmt: skip
"""The Sentinel-2 bands of a BigEarthNet patch (no B10), in wavelength order."""

S1_BANDS: Final[tuple[str, ...]] = ("VV", "VH")
"""The Sentinel-1 polarisations of a BigEarthNet patch, in this order."""

MODALITIES: Final[dict[str, tuple[str, ...]]] = {
    "s2": S2_BANDS,
    "s1": S1_BANDS,
    "s1+s2": S2_BANDS + S1_BANDS,
}
"""Each modality and its bands, in channel order."""


def check_modality(modality: str, title: str) -> str:
    """``modality`` when it is one of :data:`MODALITIES`.

    Raises:
        UnknownNameError: it is not (the message lists them).

    Example:
        >>> check_modality("s1s2", "BigEarthNet")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.UnknownNameError: BigEarthNet has no modality 's1s2' (did you mean ...
    """
    if isinstance(modality, str) and modality in MODALITIES:
        return modality
    close = difflib.get_close_matches(str(modality), list(MODALITIES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownNameError(
        f"{title} has no modality {modality!r}{hint}; use one of "
        f"{', '.join(repr(m) for m in MODALITIES)}"
    )


def modality_bands(modality: str, bands: Sequence[str] | None, title: str) -> list[str]:
    """The bands to load: those of ``bands`` (checked against the modality's), else all of them.

    Raises:
        UnknownNameError: ``modality`` is not known.
        BandNotFoundError: a band is not one of the modality's.
    """
    own = MODALITIES[check_modality(modality, title)]
    return check_bands(bands, own, (), f"{title} (modality={modality!r})")
