from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eoforge.errors import InvalidGridError
from eoforge.geo import TimeRange, as_datetime


def test_parsing_forms_agree() -> None:
    assert as_datetime("2020-06-15") == as_datetime(date(2020, 6, 15)) == datetime(2020, 6, 15)
    aware = datetime(2020, 6, 15, 12, tzinfo=timezone(timedelta(hours=2)))
    assert as_datetime(aware) == datetime(2020, 6, 15, 10)
    assert as_datetime("2020-06-15T10:00:00Z") == datetime(2020, 6, 15, 10)


def test_bare_end_date_covers_the_whole_day() -> None:
    t = TimeRange("2020-01-01", "2020-01-31")
    assert t.contains("2020-01-31T23:59:59")
    assert not t.contains("2020-02-01")


def test_errors() -> None:
    with pytest.raises(InvalidGridError, match="swap"):
        TimeRange("2021-01-01", "2020-01-01")
    with pytest.raises(InvalidGridError, match="ISO-8601"):
        TimeRange("yesterday")


def test_intersection_and_union() -> None:
    a = TimeRange(datetime(2020, 1, 1), datetime(2020, 6, 1))
    b = TimeRange(datetime(2020, 5, 1), datetime(2020, 9, 1))
    assert a.intersection(b) == TimeRange(datetime(2020, 5, 1), datetime(2020, 6, 1))
    assert a.union(b) == TimeRange(datetime(2020, 1, 1), datetime(2020, 9, 1))
    assert a.intersection(TimeRange(datetime(2021, 1, 1))) is None
    assert TimeRange.all().contains(a)


moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1))


@given(moments, moments, moments, moments)
def test_intersection_properties(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> None:
    a = TimeRange(min(a0, a1), max(a0, a1))
    b = TimeRange(min(b0, b1), max(b0, b1))
    i = a.intersection(b)
    assert (i is not None) == a.intersects(b)
    if i is not None:
        assert a.contains(i) and b.contains(i)
    assert a.union(b).contains(a) and a.union(b).contains(b)


def test_naive_utc_is_kept() -> None:
    assert as_datetime(datetime(2020, 1, 1, tzinfo=UTC)) == datetime(2020, 1, 1)
