"""The land-cover classes of the synthetic scenes, with ESA WorldCover names and colours.

Class ids run from 0 to 5; :data:`NODATA_LABEL` (255) marks pixels without a label. The colours are
the official ESA WorldCover 10 m legend colours of the matching WorldCover classes, so that the
label maps look familiar in a GIS.

Example:
    >>> [c.name for c in CLASSES]
    ['water', 'tree cover', 'grassland', 'cropland', 'built-up', 'bare / sparse vegetation']
    >>> CLASSES[TREE].hex_color
    '#006400'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BARE",
    "BUILT_UP",
    "CLASSES",
    "CROPLAND",
    "GRASSLAND",
    "NODATA_LABEL",
    "TREE",
    "WATER",
    "LandCoverClass",
    "class_colormap",
    "class_names",
]

WATER = 0
TREE = 1
GRASSLAND = 2
CROPLAND = 3
BUILT_UP = 4
BARE = 5

NODATA_LABEL = 255
"""Label value of pixels without a class."""


@dataclass(frozen=True, slots=True)
class LandCoverClass:
    """One land-cover class of the synthetic scenes.

    Attributes:
        id: the value of the class in label rasters (0…5).
        name: a short human name.
        color: ``(r, g, b)`` display colour, 0…255 (the ESA WorldCover legend colour).
        worldcover_code: the code of the matching class in ESA WorldCover (10 = tree cover, …).

    Example:
        >>> LandCoverClass(0, "water", (0, 100, 200), 80).hex_color
        '#0064c8'
    """

    id: int
    name: str
    color: tuple[int, int, int]
    worldcover_code: int

    @property
    def hex_color(self) -> str:
        """The colour as ``"#rrggbb"``."""
        return "#{:02x}{:02x}{:02x}".format(*self.color)


CLASSES: tuple[LandCoverClass, ...] = (
    LandCoverClass(WATER, "water", (0x00, 0x64, 0xC8), 80),  # permanent water bodies #0064c8
    LandCoverClass(TREE, "tree cover", (0x00, 0x64, 0x00), 10),  # #006400
    LandCoverClass(GRASSLAND, "grassland", (0xFF, 0xFF, 0x4C), 30),  # #ffff4c
    LandCoverClass(CROPLAND, "cropland", (0xF0, 0x96, 0xFF), 40),  # #f096ff
    LandCoverClass(BUILT_UP, "built-up", (0xFA, 0x00, 0x00), 50),  # #fa0000
    LandCoverClass(BARE, "bare / sparse vegetation", (0xB4, 0xB4, 0xB4), 60),  # #b4b4b4
)
"""The classes, indexed by id."""


def class_names() -> dict[int, str]:
    """Class id → name.

    Example:
        >>> class_names()[3]
        'cropland'
    """
    return {c.id: c.name for c in CLASSES}


def class_colormap() -> dict[int, tuple[int, int, int, int]]:
    """Class id → ``(r, g, b, a)`` colour, as GDAL colour tables take it (nodata is transparent).

    Example:
        >>> class_colormap()[1]
        (0, 100, 0, 255)
        >>> class_colormap()[NODATA_LABEL]
        (0, 0, 0, 0)
    """
    cmap: dict[int, tuple[int, int, int, int]] = {c.id: (*c.color, 255) for c in CLASSES}
    cmap[NODATA_LABEL] = (0, 0, 0, 0)
    return cmap
