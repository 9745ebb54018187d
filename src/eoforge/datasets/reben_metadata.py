"""The patch table of reBEN (BigEarthNet v2.0): ``metadata.parquet``, or a CSV export of it.

reBEN ships its patch list as ``metadata.parquet``: one row per patch with ``patch_id`` (the
Sentinel-2 patch), ``labels`` (a list of the 19 class names), ``split`` (``train``,
``validation``, ``test``), ``s1_name`` (the paired Sentinel-1 patch) and more columns
(``country``, ``s2v1_name``, snow and cloud flags) that eoforge does not need.

Reading Parquet takes ``pandas`` with a Parquet engine (``pyarrow`` or ``fastparquet``). Without
one, export the table once where one is installed, as ``metadata.csv`` beside it, with the
labels joined by ``;``::

    import pandas as pd
    table = pd.read_parquet("metadata.parquet")
    table.assign(labels=table["labels"].map(";".join)).to_csv("metadata.csv", index=False)

``metadata.csv``, when present, is read instead of ``metadata.parquet`` (standard library only).
Its ``labels`` cells may also be list literals (``['Arable land', 'Pastures']``, with or without
commas between the quoted names, as a plain ``to_csv`` writes them).

Example:
    >>> parse_labels("Arable land;Pastures"), parse_labels("['Arable land' 'Pastures']")
    (['Arable land', 'Pastures'], ['Arable land', 'Pastures'])
"""

from __future__ import annotations

import csv
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eoforge.errors import DatasetNotFoundError, EoforgeError

__all__ = [
    "METADATA_CSV",
    "METADATA_PARQUET",
    "SPLIT_VALUES",
    "PatchRecord",
    "parse_labels",
    "read_metadata",
    "split_records",
]

METADATA_PARQUET = "metadata.parquet"
"""The official patch table, relative to the root."""
METADATA_CSV = "metadata.csv"
"""Its CSV export (read when present), relative to the root."""

SPLIT_VALUES: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "val": ("validation", "val"),
    "test": ("test",),
}
"""The ``split`` column's values of each eoforge split."""

_COLUMNS = ("patch_id", "labels", "split", "s1_name")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")


@dataclass(frozen=True)
class PatchRecord:
    """One row of the patch table.

    Attributes:
        patch_id: the Sentinel-2 patch (``S2A_MSIL2A_20170613T101031_N9999_R022_T33UUP_26_57``).
        s1_name: the paired Sentinel-1 patch (``S1A_IW_GRDH_1SDV_20170613T165043_33UUP_61_39``).
        labels: the patch's class names (of the 19-class nomenclature).
        split: the table's split value (``train``, ``validation``, ``test``).
    """

    patch_id: str
    s1_name: str
    labels: tuple[str, ...]
    split: str


def parse_labels(cell: Any) -> list[str]:
    """The class names of one ``labels`` cell: a list, a ``;``-joined text or a list literal.

    Example:
        >>> parse_labels('["Beaches, dunes, sands", "Marine waters"]')
        ['Beaches, dunes, sands', 'Marine waters']
        >>> parse_labels("")
        []
    """
    if not isinstance(cell, str):
        return [str(name) for name in cell]
    text = cell.strip()
    if text.startswith("[") and text.endswith("]"):
        return [a or b for a, b in _QUOTED.findall(text)]
    return [name.strip() for name in text.split(";") if name.strip()]


def _rows_from_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        missing = [c for c in _COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise EoforgeError(
                f"{path} has no column {', '.join(missing)} (columns: {reader.fieldnames}); "
                f"export metadata.parquet with at least {', '.join(_COLUMNS)}"
            )
        return list(reader)


def _rows_from_parquet(path: Path) -> list[dict[str, Any]]:
    try:
        pandas: Any = importlib.import_module("pandas")
        table = pandas.read_parquet(path, columns=list(_COLUMNS))
    except ImportError as err:
        raise EoforgeError(
            f"reading {path} needs pandas with a Parquet engine ({err}); install pyarrow, or "
            f"export the table once as {path.with_name(METADATA_CSV)} (see "
            "eoforge.datasets.reben_metadata)"
        ) from err
    except (OSError, ValueError, KeyError) as err:
        raise EoforgeError(f"cannot read {path} ({err}); delete it and download it again") from err
    return list(table.to_dict("records"))


def read_metadata(root: Path) -> list[PatchRecord]:
    r"""Every row of ``root/metadata.csv`` (when present) or ``root/metadata.parquet``.

    Raises:
        DatasetNotFoundError: neither file is in ``root``.
        EoforgeError: the table lacks a column, cannot be read, or has an empty ``patch_id``.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> _ = (root / "metadata.csv").write_text(
        ...     "patch_id,labels,split,s1_name\nS2_1_2,Pastures;Arable land,test,S1_x_1_2\n")
        >>> read_metadata(root)[0].labels
        ('Pastures', 'Arable land')
    """
    csv_path, parquet_path = root / METADATA_CSV, root / METADATA_PARQUET
    if csv_path.is_file():
        rows, source = _rows_from_csv(csv_path), csv_path
    elif parquet_path.is_file():
        rows, source = _rows_from_parquet(parquet_path), parquet_path
    else:
        raise DatasetNotFoundError(
            f"{root} holds neither {METADATA_PARQUET} nor {METADATA_CSV}; download "
            f"{METADATA_PARQUET} into it"
        )
    records: list[PatchRecord] = []
    for number, row in enumerate(rows, start=1):
        patch_id, s1_name = str(row["patch_id"] or "").strip(), str(row["s1_name"] or "").strip()
        if not patch_id or not s1_name:
            raise EoforgeError(
                f"row {number} of {source} has no patch_id or s1_name ({row!r:.200}); "
                "download the metadata again"
            )
        labels = tuple(parse_labels(row["labels"]))
        records.append(PatchRecord(patch_id, s1_name, labels, str(row["split"]).strip()))
    return records


def split_records(records: list[PatchRecord], split: str) -> list[PatchRecord]:
    """The records of one eoforge split (``val`` is the table's ``validation``).

    Example:
        >>> rows = [PatchRecord("a", "b", (), "validation"), PatchRecord("c", "d", (), "test")]
        >>> [r.patch_id for r in split_records(rows, "val")]
        ['a']
    """
    values = SPLIT_VALUES[split]
    return [r for r in records if r.split in values]
