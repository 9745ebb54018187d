"""The BigEarthNet nomenclatures against the tables of the dataset specification, written out."""

from __future__ import annotations

import pytest

from eoforge.datasets.bigearthnet_labels import (
    CLASSES_19,
    CLASSES_43,
    CLC_CODES_43,
    CLC_TO_19,
    COLORS_19,
    LABEL_43_TO_19,
    label_ids,
    label_ids_19,
)
from eoforge.errors import EoforgeError

# The specification's 43 -> 19 list (index: target), typed from it independently of the module.
SPEC_43_TO_19 = {
    0: 0, 1: 0, 2: 1, 11: 2, 12: 2, 13: 2, 14: 3, 15: 3, 16: 3, 17: 4, 18: 3, 19: 5, 20: 6,
    21: 7, 22: 8, 23: 9, 24: 10, 25: 11, 26: 12, 27: 12, 28: 13, 29: 14, 31: 11, 33: 15, 34: 15,
    35: 16, 36: 16, 38: 17, 39: 17, 40: 18, 41: 18, 42: 18,
}  # fmt: skip
# The specification's CLC code -> ordinal table of the reBEN reference maps.
SPEC_CLC = {
    (111, 112): 0, (121,): 1, (211, 212, 213): 2, (221, 222, 223, 241): 3, (231,): 4,
    (242,): 5, (243,): 6, (244,): 7, (311,): 8, (312,): 9, (313,): 10, (321, 333): 11,
    (322, 323): 12, (324,): 13, (331,): 14, (411, 412): 15, (421, 422): 16, (511, 512): 17,
    (521, 522, 523): 18,
}  # fmt: skip


def test_the_43_to_19_mapping_is_the_specified_one() -> None:
    assert LABEL_43_TO_19 == SPEC_43_TO_19
    dropped = set(range(43)) - set(LABEL_43_TO_19)
    assert dropped == {3, 4, 5, 6, 7, 8, 9, 10, 30, 32, 37}
    assert [CLASSES_43[i] for i in (30, 32, 37)] == ["Bare rock", "Burnt areas",
                                                      "Intertidal flats"]  # fmt: skip


def test_the_clc_code_table_is_the_specified_one() -> None:
    spec = {code: ordinal for codes, ordinal in SPEC_CLC.items() for code in codes}
    assert spec == CLC_TO_19
    assert sorted(CLC_CODES_43) == list(CLC_CODES_43) and len(set(CLC_CODES_43)) == 43
    unmapped = sorted(set(CLC_CODES_43) - set(CLC_TO_19))
    assert unmapped == [122, 123, 124, 131, 132, 133, 141, 142, 332, 334, 423]


def test_names_counts_and_colours() -> None:
    assert len(CLASSES_43) == 43 and len(CLASSES_19) == 19 == len(COLORS_19)
    assert CLASSES_43[28] == "Transitional woodland/shrub"  # v1 spelling
    assert CLASSES_19[13] == "Transitional woodland, shrub"  # v2 spelling
    assert COLORS_19[0] == (0xE6, 0x00, 0x4D) and COLORS_19[18] == (0xE6, 0xF2, 0xFF)


def test_label_names_decode_to_ids() -> None:
    labels = ["Coniferous forest", "Mixed forest", "Transitional woodland/shrub", "Peatbogs"]
    assert label_ids(labels, 43, "x") == [23, 24, 28, 34]
    assert label_ids(labels, 19, "x") == [9, 10, 13, 15]
    assert label_ids(["Moors and heathland", "Sclerophyllous vegetation"], 19, "x") == [12]
    assert label_ids(["Airports", "Bare rock"], 19, "x") == []  # no 19-class target
    assert label_ids_19(["Inland waters", "Urban fabric"], "x") == [0, 17]


def test_unknown_names_are_errors_naming_their_source() -> None:
    with pytest.raises(EoforgeError, match=r"p\.json has the label 'Mixed forests'"):
        label_ids(["Mixed forests"], 19, "p.json")
    with pytest.raises(EoforgeError, match="'Transitional woodland/shrub'"):
        label_ids_19(["Transitional woodland/shrub"], "metadata.parquet")  # a v1 name
    with pytest.raises(EoforgeError, match="num_classes=20"):
        label_ids([], 20, "x")
