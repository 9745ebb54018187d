"""The BigEarthNet label nomenclatures: 43 CORINE Land Cover classes (v1), 19 classes (v1, v2).

BigEarthNet v1.0 labels each patch with names of 43 CORINE Land Cover (CLC) 2018 level-3
classes; the 19-class nomenclature of Sumbul et al. (2021), used by BigEarthNet v2.0 (reBEN),
merges them and drops 11 that cannot be told apart from Sentinel-2 alone (road and rail, port
areas, airports, mineral extraction, dump and construction sites, green urban areas, sport and
leisure, bare rock, burnt areas, intertidal flats): a v1 patch whose labels are all dropped gets
an empty 19-class vector. reBEN's pixel reference maps hold raw CLC codes; :data:`CLC_TO_19`
maps them to the 19 ordinals (codes without a 19-class target are left to the caller).

Every table here derives from two: :data:`CLASSES_43` with its :data:`CLC_CODES_43`, and
:data:`CLC_TO_19` (from the BigEarthNet-S2_19-classes_models ``label_indices.json``, as torchgeo
uses it).

Example:
    >>> LABEL_43_TO_19[CLASSES_43.index("Peatbogs")], CLASSES_19[15]
    (15, 'Inland wetlands')
    >>> label_ids(["Road and rail networks and associated land", "Pastures"], 19, "x.json")
    [4]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from eoforge.errors import EoforgeError

__all__ = [
    "CLASSES_19",
    "CLASSES_43",
    "CLC_CODES_43",
    "CLC_TO_19",
    "COLORS_19",
    "LABEL_43_TO_19",
    "label_ids",
    "label_ids_19",
]

CLASSES_43: Final[tuple[str, ...]] = (
    "Continuous urban fabric",
    "Discontinuous urban fabric",
    "Industrial or commercial units",
    "Road and rail networks and associated land",
    "Port areas",
    "Airports",
    "Mineral extraction sites",
    "Dump sites",
    "Construction sites",
    "Green urban areas",
    "Sport and leisure facilities",
    "Non-irrigated arable land",
    "Permanently irrigated land",
    "Rice fields",
    "Vineyards",
    "Fruit trees and berry plantations",
    "Olive groves",
    "Pastures",
    "Annual crops associated with permanent crops",
    "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation",
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland",
    "Moors and heathland",
    "Sclerophyllous vegetation",
    "Transitional woodland/shrub",
    "Beaches, dunes, sands",
    "Bare rock",
    "Sparsely vegetated areas",
    "Burnt areas",
    "Inland marshes",
    "Peatbogs",
    "Salt marshes",
    "Salines",
    "Intertidal flats",
    "Water courses",
    "Water bodies",
    "Coastal lagoons",
    "Estuaries",
    "Sea and ocean",
)
"""The 43 label names of BigEarthNet v1.0, exactly as its JSON files spell them (CLC order)."""

CLC_CODES_43: Final[tuple[int, ...]] = (
    111, 112, 121, 122, 123, 124, 131, 132, 133, 141, 142,
    211, 212, 213, 221, 222, 223, 231, 241, 242, 243, 244,
    311, 312, 313, 321, 322, 323, 324, 331, 332, 333, 334,
    411, 412, 421, 422, 423, 511, 512, 521, 522, 523,
)  # fmt: skip
"""The CLC level-3 code of each of :data:`CLASSES_43`."""

CLASSES_19: Final[tuple[str, ...]] = (
    "Urban fabric",
    "Industrial or commercial units",
    "Arable land",
    "Permanent crops",
    "Pastures",
    "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation",
    "Agro-forestry areas",
    "Broad-leaved forest",
    "Coniferous forest",
    "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation",
    "Transitional woodland, shrub",
    "Beaches, dunes, sands",
    "Inland wetlands",
    "Coastal wetlands",
    "Inland waters",
    "Marine waters",
)
"""The 19 class names (BigEarthNet v2.0's ``metadata.parquet`` spelling); position = ordinal."""

COLORS_19: Final[tuple[tuple[int, int, int], ...]] = tuple(
    (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    for h in (
        "e6004d", "cc4df2", "ffffa8", "e68000", "e6e64d", "ffe64d", "e6cc4d", "f2cca6", "80ff00",
        "00a600", "4dff00", "ccf24d", "a6ff80", "a6f200", "e6e6e6", "a6a6ff", "ccccff", "80f2e6",
        "e6f2ff",
    )
)  # fmt: skip
"""The CLC legend colour of each of :data:`CLASSES_19` (that of its first CLC code)."""

CLC_TO_19: Final[dict[int, int]] = {
    111: 0, 112: 0, 121: 1, 211: 2, 212: 2, 213: 2, 221: 3, 222: 3, 223: 3, 241: 3, 231: 4,
    242: 5, 243: 6, 244: 7, 311: 8, 312: 9, 313: 10, 321: 11, 333: 11, 322: 12, 323: 12,
    324: 13, 331: 14, 411: 15, 412: 15, 421: 16, 422: 16, 511: 17, 512: 17, 521: 18, 522: 18,
    523: 18,
}  # fmt: skip
"""CLC level-3 code → 19-class ordinal; the 11 codes absent (122–142, 332, 334, 423) map nowhere."""

LABEL_43_TO_19: Final[dict[int, int]] = {
    i: CLC_TO_19[code] for i, code in enumerate(CLC_CODES_43) if code in CLC_TO_19
}
"""43-class id → 19-class id, for the 32 of the 43 classes that have one."""

_IDS_43 = {name: i for i, name in enumerate(CLASSES_43)}
_IDS_19 = {name: i for i, name in enumerate(CLASSES_19)}


def label_ids(names: Iterable[str], num_classes: int, source: str) -> list[int]:
    """The class ids of BigEarthNet v1.0 label names, in the 43- or the 19-class nomenclature.

    Args:
        names: label names of :data:`CLASSES_43` (a ``_labels_metadata.json``'s ``labels``).
        num_classes: 43 (ids of :data:`CLASSES_43`) or 19 (ids of :data:`CLASSES_19`; labels
            without a 19-class target are dropped).
        source: where the names come from, for the error message.

    Raises:
        EoforgeError: a name is not a BigEarthNet v1.0 label, or ``num_classes`` is not 19/43.

    Example:
        >>> label_ids(["Mixed forest", "Water bodies"], 43, "x.json")
        [24, 39]
        >>> label_ids(["Mixed forest", "Water bodies"], 19, "x.json")
        [10, 17]
    """
    if num_classes not in (19, 43):
        raise EoforgeError(f"num_classes={num_classes!r} is not valid; use 19 or 43")
    ids: list[int] = []
    for name in names:
        found = _IDS_43.get(name)
        if found is None:
            raise EoforgeError(
                f"{source} has the label {name!r}, which is not one of BigEarthNet's 43 "
                "labels; check that the file is a BigEarthNet v1.0 label file"
            )
        ids.append(found)
    if num_classes == 43:
        return sorted(set(ids))
    return sorted({LABEL_43_TO_19[i] for i in ids if i in LABEL_43_TO_19})


def label_ids_19(names: Iterable[str], source: str) -> list[int]:
    """The 19-class ids of 19-class names (BigEarthNet v2.0's ``labels``).

    Raises:
        EoforgeError: a name is not one of :data:`CLASSES_19` (the message names the source).

    Example:
        >>> label_ids_19(["Marine waters", "Arable land"], "metadata.parquet")
        [2, 18]
    """
    ids: set[int] = set()
    for name in names:
        found = _IDS_19.get(name)
        if found is None:
            raise EoforgeError(
                f"{source} has the label {name!r}, which is not one of the 19 BigEarthNet "
                f"classes ({', '.join(CLASSES_19[:3])}, …); check the metadata file"
            )
        ids.add(found)
    return sorted(ids)
