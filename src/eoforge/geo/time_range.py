"""``TimeRange``: a closed interval of time, for multi-temporal collections.

Naive datetimes are taken as UTC; aware ones are converted to naive UTC, so that every comparison
is between like values.

Example:
    >>> t = TimeRange("2020-01-01", "2020-12-31")
    >>> t.contains("2020-06-15")
    True
    >>> t.intersection(TimeRange("2020-12-01", "2021-02-01")).start.month
    12
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from eoforge.errors import InvalidGridError

__all__ = ["TimeLike", "TimeRange", "as_datetime"]

TimeLike = datetime | date | str


def as_datetime(value: TimeLike) -> datetime:
    """Parse a datetime, date or ISO-8601 string into a naive UTC ``datetime``.

    Example:
        >>> as_datetime("2021-03-04T05:06:07Z")
        datetime.datetime(2021, 3, 4, 5, 6, 7)
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as err:
            raise InvalidGridError(
                f"{value!r} is not a date; write it as ISO-8601, e.g. '2020-06-15' or "
                "'2020-06-15T10:30:00'"
            ) from err
    else:
        raise InvalidGridError(f"{value!r} is not a date; give a datetime, date or ISO string")
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


@dataclass(frozen=True, slots=True, init=False)
class TimeRange:
    """A closed time interval ``[start, end]``.

    Args:
        start: first instant (datetime, date or ISO string).
        end: last instant; defaults to ``start`` (a single instant). A bare date as ``end`` means
            the whole of that day.

    Example:
        >>> TimeRange("2020-01-01").duration
        datetime.timedelta(0)
    """

    start: datetime
    end: datetime

    def __init__(self, start: TimeLike, end: TimeLike | None = None) -> None:
        s = as_datetime(start)
        if end is None:
            e = s
        else:
            e = as_datetime(end)
            if (isinstance(end, date) and not isinstance(end, datetime)) or (
                isinstance(end, str) and len(end.strip()) == 10
            ):
                e = e + timedelta(days=1) - timedelta(microseconds=1)
        if e < s:
            raise InvalidGridError(f"time range ends ({e}) before it starts ({s}); swap them")
        object.__setattr__(self, "start", s)
        object.__setattr__(self, "end", e)

    @classmethod
    def all(cls) -> TimeRange:
        """The range that contains every time."""
        return cls(datetime.min, datetime.max)

    @property
    def duration(self) -> timedelta:
        """``end - start``."""
        return self.end - self.start

    def contains(self, other: TimeLike | TimeRange) -> bool:
        """True when a time (or a whole range) lies inside this range."""
        if isinstance(other, TimeRange):
            return self.start <= other.start and other.end <= self.end
        t = as_datetime(other)
        return self.start <= t <= self.end

    def intersects(self, other: TimeRange) -> bool:
        """True when the ranges share at least one instant."""
        return self.start <= other.end and other.start <= self.end

    def intersection(self, other: TimeRange) -> TimeRange | None:
        """The shared range, or ``None``."""
        if not self.intersects(other):
            return None
        return TimeRange(max(self.start, other.start), min(self.end, other.end))

    def union(self, other: TimeRange) -> TimeRange:
        """The smallest range containing both."""
        return TimeRange(min(self.start, other.start), max(self.end, other.end))
