from __future__ import annotations

from datetime import datetime

import pytest

from eoforge.data.scene_time import time_from_name, time_from_tag
from eoforge.errors import InvalidGridError
from eoforge.geo import TimeRange


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [
        ("S2A_20170613_x.tif", r"_(?P<date>\d{8})_", TimeRange("2017-06-13", "2017-06-13")),
        ("a_2021-03-04.tif", r"_(?P<date>[\d-]{10})", TimeRange("2021-03-04", "2021-03-04")),
        (
            "S2A_MSIL2A_20170613T101031_87_48_B02.tif",
            r"_(?P<date>\d{8}T\d{6})_",
            TimeRange(datetime(2017, 6, 13, 10, 10, 31)),
        ),
        ("x_2019.tif", r"_(?P<year>\d{4})", TimeRange("2019-01-01", "2019-12-31")),
        (
            "x_2020_02.tif",
            r"_(?P<year>\d{4})_(?P<month>\d\d)",
            TimeRange("2020-02-01", "2020-02-29"),
        ),
        (
            "x_20200229.tif",
            r"_(?P<year>\d{4})(?P<month>\d\d)(?P<day>\d\d)",
            TimeRange("2020-02-29", "2020-02-29"),
        ),
    ],
)
def test_time_from_name(name: str, pattern: str, expected: TimeRange) -> None:
    assert time_from_name(f"/data/{name}", pattern) == expected


def test_day_spans_the_whole_day() -> None:
    t = time_from_name("a_20200101.tif", r"_(?P<date>\d{8})")
    assert t is not None
    assert t.contains("2020-01-01T23:59:59") and not t.contains("2020-01-02")


def test_name_first_then_path() -> None:
    assert time_from_name("/d/20190101/x_20200505.tif", r"(?P<date>\d{8})") == TimeRange(
        "2020-05-05", "2020-05-05"
    )
    assert time_from_name("/d/20190101/x.tif", r"(?P<date>\d{8})") == TimeRange(
        "2019-01-01", "2019-01-01"
    )
    assert time_from_name("/d/x.tif", r"(?P<date>\d{8})") is None


def test_bad_dates_are_errors() -> None:
    with pytest.raises(InvalidGridError, match=r"'20201345'.*formats"):
        time_from_name("a_20201345.tif", r"_(?P<date>\d{8})")
    with pytest.raises(InvalidGridError, match="no 'year' group"):
        time_from_name("a_12.tif", r"_(?P<month>\d\d)")
    with pytest.raises(InvalidGridError, match="not a valid date"):
        time_from_name("a_2020_13.tif", r"_(?P<year>\d{4})_(?P<month>\d\d)")


def test_time_from_tag() -> None:
    assert time_from_tag("2019:07:01 12:00:00") == TimeRange(datetime(2019, 7, 1, 12))
    assert time_from_tag("garbage") is None
    assert time_from_tag("") is None
