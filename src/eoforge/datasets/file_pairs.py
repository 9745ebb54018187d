"""Pair image files with mask files: from globs, lists or a CSV table, checked by name.

Two lists are paired in sorted order of their *name keys* — the file stem without a common
suffix (``tile_7_mask.png`` and ``tile_7.tif`` share the key ``tile_7``) — and every pair must
share its key, so that a missing or extra file never shifts every following pair silently. A CSV
table pairs explicitly, row by row (columns ``image``, ``mask`` and optionally ``split``; relative
paths are relative to the table's folder).

Example:
    >>> from pathlib import Path
    >>> [(i.name, m.name) for i, m in pair_files(
    ...     [Path("b.tif"), Path("a.tif")], [Path("a_mask.png"), Path("b_mask.png")])]
    [('a.tif', 'a_mask.png'), ('b.tif', 'b_mask.png')]
"""

from __future__ import annotations

import csv
import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eoforge.errors import EoforgeError, NoFilesError

__all__ = [
    "NAME_SUFFIXES",
    "FileTable",
    "name_key",
    "pair_files",
    "read_file_table",
    "resolve_files",
]

NAME_SUFFIXES: tuple[str, ...] = (
    "_mask", "_masks", "_label", "_labels", "_lbl", "_gt", "_seg", "_segmentation", "_annotation",
    "_target", "_m", "-mask", "-label", "_image", "_img", "_rgb", "_sat", "_ortho", "_i",
)  # fmt: skip
"""Stem endings ignored when pairing names (``tile_7_mask`` pairs with ``tile_7``)."""

PathsLike = str | Path | Sequence[str | Path]
"""A glob pattern, a file or folder, or a list of files."""


def name_key(path: Path) -> str:
    """The file's stem without one of :data:`NAME_SUFFIXES` (case-insensitive).

    Example:
        >>> name_key(Path("masks/tile_07_Label.png")), name_key(Path("tile_07.tif"))
        ('tile_07', 'tile_07')
    """
    stem = path.stem
    lower = stem.lower()
    for suffix in sorted(NAME_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def resolve_files(value: PathsLike, what: str) -> list[Path]:
    """The files of a glob pattern, a folder (its files), one file, or a list of files.

    Raises:
        NoFilesError: nothing matches, or a listed file does not exist.

    Example:
        >>> resolve_files("no/such/*.tif", "images")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: no images match 'no/such/*.tif'; ...
    """
    if isinstance(value, str | Path):
        text = str(value)
        if glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        elif Path(text).is_dir():
            found = sorted(p for p in Path(text).iterdir() if p.is_file() and p.name[0] != ".")
        else:
            found = [Path(text)] if Path(text).is_file() else []
        if not found:
            raise NoFilesError(
                f"no {what} match {text!r}; check the path or glob (e.g. 'tiles/images/*.tif')"
            )
        return found
    paths = [Path(p) for p in value]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or not paths:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise NoFilesError(
            f"{len(missing)} of the {what} listed do not exist ({shown}); check the paths"
            if paths
            else f"the list of {what} is empty; give at least one file"
        )
    return paths


@dataclass(frozen=True)
class FileTable:
    """The rows of a CSV table of files.

    Attributes:
        images: the image of each row.
        masks: the mask of each row (``None`` when the table has no ``mask`` column).
        splits: the split of each row (``None`` when the table has no ``split`` column).
    """

    images: list[Path]
    masks: list[Path] | None
    splits: list[str] | None


def read_file_table(path: Path) -> FileTable:
    """Read a CSV table with an ``image`` column and optional ``mask`` and ``split`` columns.

    Raises:
        EoforgeError: the table has no ``image`` column, or a row an empty cell.
        NoFilesError: a file of the table does not exist.

    Example:
        >>> import tempfile
        >>> table = Path(tempfile.mkdtemp()) / "pairs.csv"
        >>> _ = table.write_text("image,mask")
        >>> read_file_table(table)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.EoforgeError: ...pairs.csv has no rows; ...
    """
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream, skipinitialspace=True)
        rows = list(reader)
        columns = [c.strip() for c in reader.fieldnames or []]
    rows = [{(k or "").strip(): v for k, v in row.items()} for row in rows]
    if "image" not in columns:
        raise EoforgeError(
            f"{path} has the columns {columns}; a file table needs an 'image' column (and "
            "'mask', optionally 'split'), e.g. the header line: image,mask"
        )
    if not rows:
        raise EoforgeError(f"{path} has no rows; add one line per image (image,mask)")
    base = path.parent

    def column(name: str) -> list[str]:
        values = [(row.get(name) or "").strip() for row in rows]
        empty = [i + 2 for i, v in enumerate(values) if not v]
        if empty:
            raise EoforgeError(f"{path} has an empty {name!r} on lines {empty[:5]}; fill them")
        return values

    images = [base / v for v in column("image")]
    masks = [base / v for v in column("mask")] if "mask" in columns else None
    resolve_files(images, f"images of {path}")
    if masks is not None:
        resolve_files(masks, f"masks of {path}")
    splits = column("split") if "split" in columns else None
    return FileTable(images, masks, splits)


def pair_files(images: Sequence[Path], masks: Sequence[Path]) -> list[tuple[Path, Path]]:
    """Pair images with masks in sorted order of their name keys, checking every pair's names.

    Raises:
        EoforgeError: the lists differ in length, or a pair's name keys differ (the message
            names the first such pair and the fix).

    Example:
        >>> pair_files([Path("a.tif")], [Path("b_mask.png")])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.EoforgeError: image 'a.tif' is paired with mask 'b_mask.png' ...
    """

    def order(paths: Sequence[Path]) -> list[Path]:
        return sorted(paths, key=lambda p: (name_key(p), str(p)))

    ordered_images, ordered_masks = order(images), order(masks)
    if len(ordered_images) != len(ordered_masks):
        image_keys = {name_key(p) for p in ordered_images}
        mask_keys = {name_key(p) for p in ordered_masks}
        alone = sorted(image_keys - mask_keys)[:3] + sorted(mask_keys - image_keys)[:3]
        raise EoforgeError(
            f"{len(ordered_images)} images but {len(ordered_masks)} masks; every image needs one "
            f"mask (names without a partner include {alone}); add or remove files"
        )
    for image, mask in zip(ordered_images, ordered_masks, strict=True):
        if name_key(image) != name_key(mask):
            image_keys = {name_key(p) for p in ordered_images}
            mask_keys = {name_key(p) for p in ordered_masks}
            lonely_images = sorted(image_keys - mask_keys)[:3]
            lonely_masks = sorted(mask_keys - image_keys)[:3]
            raise EoforgeError(
                f"image {str(image)!r} is paired with mask {str(mask)!r} by sorted order, but "
                f"their names differ (images without a mask: {lonely_images}, masks without an "
                f"image: {lonely_masks}); name each mask like its image (a suffix such as _mask, "
                "_label or _m is allowed), or give a CSV table with image,mask columns"
            )
    return list(zip(ordered_images, ordered_masks, strict=True))
