"""Turning file records into :class:`~eoforge.data.raster_item.RasterItem` values and band names.

Without a ``band_pattern`` each file is one item and its bands are named, in this order of
preference, by ``bands=`` (a selection when every name is a band description of the files,
otherwise one name per band), by the files' band descriptions, or ``B1``…``Bn``. With a
``band_pattern`` (a regex with a named group ``band`` searched in file names) the files whose paths
differ only in that group form one item; band names are the group's values, in the sensor's
canonical order (:mod:`eoforge.data.bands`) when they all belong to one sensor, else in natural
order; ``bands=`` selects and orders them.

Example:
    >>> canonical_band_order(["B8A", "B11", "B02", "B08"])
    ['B02', 'B08', 'B8A', 'B11']
    >>> canonical_band_order(["band10", "band9"])
    ['band9', 'band10']
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from eoforge.data.bands import SENSORS, sensor_bands
from eoforge.data.raster_index import FileRecord, footprint_box
from eoforge.data.raster_item import BandRef, RasterItem
from eoforge.data.scene_time import time_from_name, time_from_tag
from eoforge.errors import BandNotFoundError, CRSMismatchError
from eoforge.geo import TimeRange

__all__ = ["ItemOptions", "build_items", "canonical_band_order"]


@dataclass(frozen=True, slots=True)
class ItemOptions:
    r"""How records become items (the source's parameters that matter here).

    Example:
        >>> ItemOptions(band_pattern=r"_(?P<band>B\d\d)\.tif$").skip_invalid
        False
    """

    bands: tuple[str, ...] | None = None
    band_pattern: str | None = None
    date_pattern: str | None = None
    nodata: float | None = None
    skip_invalid: bool = False


def _natural_key(name: str) -> list[tuple[int, int | str]]:
    return [(0, int(tok)) if tok.isdigit() else (1, tok) for tok in re.split(r"(\d+)", name) if tok]


def canonical_band_order(names: Sequence[str]) -> list[str]:
    """Order band names as their sensor does (``B08`` before ``B8A``), else naturally.

    Example:
        >>> canonical_band_order(["VH", "VV"])
        ['VV', 'VH']
    """
    unique = list(dict.fromkeys(names))
    for sensor in SENSORS:
        order = [b.name for b in sensor_bands(sensor)]
        if all(n in order for n in unique):
            return sorted(unique, key=order.index)
    return sorted(unique, key=_natural_key)


def _check_valid(records: Sequence[FileRecord], skip_invalid: bool) -> list[FileRecord]:
    bad = [r for r in records if r.error is not None]
    if not bad:
        return list(records)
    if not skip_invalid:
        bad[0].raise_error()
    shown = "; ".join(str(r.error) for r in bad[:5])
    more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
    warnings.warn(f"skipping {len(bad)} unreadable file(s): {shown}{more}", stacklevel=4)
    return [r for r in records if r.error is None]


def _item_time(path: str, record: FileRecord, date_pattern: str | None) -> TimeRange | None:
    if date_pattern is not None:
        found = time_from_name(path, date_pattern)
        if found is not None:
            return found
    return time_from_tag(record.datetime_tag)


def _file_band_names(record: FileRecord, bands: tuple[str, ...] | None) -> list[tuple[str, int]]:
    """(name, 1-based index) of the bands of one file that the source uses."""
    desc = list(record.descriptions)
    has_desc = len(desc) == record.count and all(desc) and len(set(desc)) == len(desc)
    if bands is not None:
        if has_desc and all(b in desc for b in bands):
            return [(b, desc.index(b) + 1) for b in bands]
        if len(bands) == record.count:
            return [(b, i + 1) for i, b in enumerate(bands)]
        default = [f"B{i + 1}" for i in range(record.count)]
        if not has_desc and all(b in default for b in bands):  # a selection of B1…Bn
            return [(b, default.index(b) + 1) for b in bands]
        found = ", ".join(str(d) for d in desc) if has_desc else "no band descriptions"
        raise BandNotFoundError(
            f"bands={list(bands)} does not fit {record.path}: it has {record.count} band(s) "
            f"({found}); give one name per band, or names from its band descriptions"
        )
    if has_desc:
        return [(str(d), i + 1) for i, d in enumerate(desc)]
    return [(f"B{i + 1}", i + 1) for i in range(record.count)]


def _single_file_items(
    records: Sequence[FileRecord], crs: str, opts: ItemOptions
) -> tuple[list[RasterItem], list[str]]:
    items: list[RasterItem] = []
    names: list[str] | None = None
    shared: tuple[str, ...] = ()  # one tuple for every item (10⁵ items stay small)
    first = ""
    for rec in records:
        pairs = _file_band_names(rec, opts.bands)
        these = [n for n, _ in pairs]
        if names is None:
            names, first, shared = these, rec.path, tuple(these)
        elif these != names:
            raise BandNotFoundError(
                f"{rec.path} has bands {these} but {first} has {names}; a source's files must "
                "hold the same bands — pass bands=[…] to name them, or make one source per kind "
                "of file"
            )
        grid = rec.grid
        refs = tuple(BandRef(rec.path, i, grid, rec.dtype) for _, i in pairs)
        stem = os.path.splitext(os.path.basename(rec.path))[0]
        items.append(
            RasterItem(
                id=stem,
                footprint=footprint_box(rec, crs),
                crs=rec.crs or crs,
                bands=shared,
                refs=refs,
                time=_item_time(rec.path, rec, opts.date_pattern),
                nodata=opts.nodata if opts.nodata is not None else rec.nodata,
                masked=rec.mask_kind != "none" or opts.nodata is not None,
            )
        )
    return items, names or []


def _group_records(
    records: Sequence[FileRecord], band_pattern: str
) -> dict[str, dict[str, FileRecord]]:
    regex = re.compile(band_pattern)
    if "band" not in regex.groupindex:
        raise BandNotFoundError(
            f"band_pattern {band_pattern!r} has no group named 'band'; write it like "
            r"r'_(?P<band>B\d[\dA])\.tif$'"
        )
    groups: dict[str, dict[str, FileRecord]] = {}
    for rec in records:
        folder, name = os.path.split(rec.path)
        match = regex.search(name)
        if match is None:
            continue
        start, end = match.span("band")
        key = os.path.join(folder, name[:start] + "\0" + name[end:])
        groups.setdefault(key, {})[match.group("band")] = rec
    return groups


def _group_id(key: str) -> str:
    name = os.path.basename(key)
    head, tail = name.split("\0")
    stem = os.path.splitext(head + tail)[0]
    return stem.strip("_-. ") or head


def _band_group_items(
    records: Sequence[FileRecord], crs: str, opts: ItemOptions
) -> tuple[list[RasterItem], list[str]]:
    assert opts.band_pattern is not None
    groups = _group_records(records, opts.band_pattern)
    found = canonical_band_order([b for g in groups.values() for b in g])
    if opts.bands is not None:
        missing = [b for b in opts.bands if b not in found]
        if missing:
            raise BandNotFoundError(
                f"bands {missing} are not among the band files found by band_pattern "
                f"{opts.band_pattern!r}: {', '.join(found)}; pick from those"
            )
    names = list(opts.bands) if opts.bands is not None else found
    shared = tuple(names)
    items: list[RasterItem] = []
    skipped: list[str] = []
    for key, members in groups.items():
        missing = [b for b in names if b not in members]
        if missing:
            message = (
                f"scene {_group_id(key)} in {os.path.dirname(key)} has no file for band(s) "
                f"{missing}; pass bands=[…] with the bands every scene has, or "
                "skip_invalid=True to leave such scenes out"
            )
            if not opts.skip_invalid:
                raise BandNotFoundError(message)
            skipped.append(message)
            continue
        recs = [members[b] for b in names]
        crss = sorted({str(r.crs) for r in recs})
        if len(crss) > 1:
            raise CRSMismatchError(
                f"the band files of scene {_group_id(key)} are in different CRSs ({crss}); "
                "reproject them to one CRS first"
            )
        for rec in recs:
            if rec.count != 1:
                raise BandNotFoundError(
                    f"{rec.path} holds {rec.count} bands but band_pattern expects one band per "
                    "file; drop band_pattern to read it as a multi-band file"
                )
        footprint = footprint_box(recs[0], crs)
        for rec in recs[1:]:
            footprint = footprint.union(footprint_box(rec, crs))
        first = recs[0]
        items.append(
            RasterItem(
                id=_group_id(key),
                footprint=footprint,
                crs=first.crs or crs,
                bands=shared,
                refs=tuple(BandRef(r.path, 1, r.grid, r.dtype) for r in recs),
                time=_item_time(first.path, first, opts.date_pattern),
                nodata=opts.nodata if opts.nodata is not None else first.nodata,
                masked=any(r.mask_kind != "none" for r in recs) or opts.nodata is not None,
            )
        )
    if skipped:
        shown = "; ".join(skipped[:3]) + (
            f" (and {len(skipped) - 3} more)" if len(skipped) > 3 else ""
        )
        warnings.warn(f"skipping {len(skipped)} incomplete scene(s): {shown}", stacklevel=3)
    return items, names


def build_items(
    records: Sequence[FileRecord], crs: str, opts: ItemOptions
) -> tuple[list[RasterItem], list[str]]:
    """Items (in file order) and the source's band names, from the index records.

    Args:
        records: index records sorted by path.
        crs: the index CRS (footprints are in it).
        opts: band naming, grouping, date and nodata options.

    Raises:
        RasterReadError, MissingCRSError: for an unreadable file, unless ``opts.skip_invalid``.
        BandNotFoundError: when files disagree on bands or requested bands are missing.

    Example:
        >>> r = FileRecord("/d/a.tif", 1, 1, "EPSG:32633", (10, 0, 0, 0, -10, 20), 2, 2, 3,
        ...                "uint8", footprint=(0, 0, 20, 20))
        >>> items, names = build_items([r], "EPSG:32633", ItemOptions())
        >>> names, items[0].id
        (['B1', 'B2', 'B3'], 'a')
    """
    good = _check_valid(records, opts.skip_invalid)
    if opts.band_pattern is not None:
        return _band_group_items(good, crs, opts)
    return _single_file_items(good, crs, opts)
