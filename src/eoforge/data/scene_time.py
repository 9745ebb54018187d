r"""Acquisition times of scenes: parsed from file names (``date_pattern``) or a TIFF tag.

A ``date_pattern`` is a regular expression with named groups, searched in the file name (then in
the whole path when the name does not match):

- a group ``date`` parsed with the formats ``%Y%m%d``, ``%Y-%m-%d``, ``%Y%m%dT%H%M%S``,
  ``%Y-%m-%dT%H:%M:%S``, ``%Y%m%d%H%M%S`` — a date alone means that whole day;
- or groups ``year`` [``month`` [``day`` [``hour`` [``minute`` [``second``]]]]] — the time covers
  the span the finest group names (a whole year, month, day…).

Without a pattern (or when it does not match) the GDAL ``TIFFTAG_DATETIME`` tag
(``"YYYY:MM:DD HH:MM:SS"``) is used when present.

Example:
    >>> t = time_from_name("S2A_MSIL2A_20170613T101031_87_48_B02.tif", r"_(?P<date>\d{8}T\d{6})_")
    >>> t.start
    datetime.datetime(2017, 6, 13, 10, 10, 31)
    >>> time_from_name("x_2020-05.tif", r"_(?P<year>\d{4})-(?P<month>\d\d)").end.day
    31
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from pathlib import PurePath

from eoforge.errors import InvalidGridError
from eoforge.geo import TimeRange

__all__ = ["DATE_FORMATS", "time_from_name", "time_from_tag"]

DATE_FORMATS: tuple[str, ...] = (
    "%Y%m%d",
    "%Y-%m-%d",
    "%Y%m%dT%H%M%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y%m%d%H%M%S",
)
"""Formats tried, in order, on a ``date`` group."""

_PARTS = ("year", "month", "day", "hour", "minute", "second")
_US = timedelta(microseconds=1)


def _span(start: datetime, finest: str) -> TimeRange:
    """The range from ``start`` covering one unit of its finest given part."""
    if finest == "year":
        end = start.replace(year=start.year + 1)
    elif finest == "month":
        days = calendar.monthrange(start.year, start.month)[1]
        end = start + timedelta(days=days)
    else:
        step = {"day": 1, "hour": 1 / 24, "minute": 1 / 1440}.get(finest)
        if step is None:  # seconds: an instant
            return TimeRange(start)
        end = start + timedelta(days=step)
    return TimeRange(start, end - _US)


def _parse_date(text: str, where: str) -> TimeRange:
    for fmt in DATE_FORMATS:
        try:
            start = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return _span(start, "second" if "%H" in fmt else "day")
    raise InvalidGridError(
        f"{text!r} in {where} matched the date_pattern but is not a date in any of the formats "
        f"{', '.join(DATE_FORMATS)}; narrow the pattern, or use groups year/month/day"
    )


def _parse_parts(groups: dict[str, str | None], where: str) -> TimeRange:
    given = [p for p in _PARTS if groups.get(p)]
    if "year" not in given:
        raise InvalidGridError(
            f"date_pattern matched {where} but gave no 'year' group; name the groups "
            "(?P<year>…), (?P<month>…), (?P<day>…) or use one (?P<date>…) group"
        )
    values = {p: int(groups[p] or 0) for p in given}
    try:
        start = datetime(
            values["year"],
            values.get("month", 1),
            values.get("day", 1),
            values.get("hour", 0),
            values.get("minute", 0),
            values.get("second", 0),
        )
    except ValueError as err:
        raise InvalidGridError(f"{values} from {where} is not a valid date: {err}") from None
    return _span(start, given[-1])


def time_from_name(path: str, date_pattern: str | re.Pattern[str]) -> TimeRange | None:
    r"""Parse the acquisition time from a file name with a ``date_pattern``.

    Args:
        path: the file path; the pattern is searched in its name, then in the whole path.
        date_pattern: a regex with a ``date`` group or ``year``/``month``/``day``… groups.

    Returns:
        The time span, or ``None`` when the pattern does not match.

    Raises:
        InvalidGridError: when the matched text is not a date, or the pattern has no usable group.

    Example:
        >>> time_from_name("tile_2021-03-04.tif", r"_(?P<date>[\d-]{10})").duration.days
        0
        >>> time_from_name("no_date.tif", r"_(?P<date>\d{8})") is None
        True
    """
    regex = re.compile(date_pattern) if isinstance(date_pattern, str) else date_pattern
    match = regex.search(PurePath(path).name) or regex.search(str(path))
    if match is None:
        return None
    groups = match.groupdict()
    if groups.get("date"):
        return _parse_date(str(groups["date"]), path)
    return _parse_parts(groups, path)


def time_from_tag(value: str | None) -> TimeRange | None:
    """Parse a ``TIFFTAG_DATETIME`` value (``"YYYY:MM:DD HH:MM:SS"``); ``None`` if absent/invalid.

    Example:
        >>> time_from_tag("2019:07:01 12:00:00").start
        datetime.datetime(2019, 7, 1, 12, 0)
        >>> time_from_tag(None) is None
        True
    """
    if not value:
        return None
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return TimeRange(datetime.strptime(value.strip(), fmt))
        except ValueError:
            continue
    return None
