"""``BandStats``: per-band statistics of training data (count, mean, std, range, percentiles).

Computed by :class:`~eoforge.data.StreamingBandStats` or
:func:`~eoforge.data.compute_band_stats`, saved as JSON next to a model and read back to build the
normalisation (:class:`eoforge.transforms.Normalize`). Each band keeps its
:class:`~eoforge.data.ValueHistogram`, so that any percentile can be asked for later.

Example:
    >>> import numpy as np
    >>> from eoforge.data import StreamingBandStats
    >>> acc = StreamingBandStats(["B04", "B08"])
    >>> acc.update(np.arange(2 * 4 * 4, dtype="uint16").reshape(2, 4, 4))
    >>> stats = acc.result()
    >>> stats.mean, stats.select(["B08"]).max
    ((7.5, 23.5), (31.0,))
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from eoforge.data.value_histogram import ValueHistogram
from eoforge.errors import BandNotFoundError, EoforgeError, NoFilesError, OutputExistsError

__all__ = ["BandStats"]

_FORMAT = "eoforge.band_stats"
_VERSION = 1
_FLOAT_FIELDS = ("mean", "std", "min", "max", "p1", "p2", "p98", "p99")
_STORED_PERCENTILES = {1.0: "p1", 2.0: "p2", 98.0: "p98", 99.0: "p99"}


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else value


def _from_json_float(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN (a band without valid pixels has NaN statistics)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


@dataclass(frozen=True, eq=False)
class BandStats:
    """Statistics of each band over the valid pixels of a data set, in band order.

    ``std`` is the population standard deviation (``numpy.std``'s default, ``ddof=0``);
    percentiles follow ``numpy.percentile``'s linear method (exact for integer data, else within
    the accuracy the module :mod:`eoforge.data.value_histogram` states). A band without any
    valid pixel has ``count`` 0 and NaN statistics.

    Attributes:
        bands: the band names.
        count: the number of valid pixels of each band.
        mean: mean of each band.
        std: standard deviation of each band.
        min: smallest value of each band.
        max: largest value of each band.
        p1: 1st percentile of each band.
        p2: 2nd percentile of each band.
        p98: 98th percentile of each band.
        p99: 99th percentile of each band.
        histograms: one histogram per band (empty when the statistics were given by hand);
            :meth:`percentile` reads them.

    Raises:
        EoforgeError: if the fields do not have one value per band.

    Example:
        >>> s = BandStats(("R",), (4,), (2.0,), (1.0,), (0.0,), (4.0,), (0.0,), (0.1,),
        ...               (3.9,), (4.0,))
        >>> s.to_dict()["mean"], BandStats.from_dict(s.to_dict()) == s
        ([2.0], True)
    """

    bands: tuple[str, ...]
    count: tuple[int, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    min: tuple[float, ...]
    max: tuple[float, ...]
    p1: tuple[float, ...]
    p2: tuple[float, ...]
    p98: tuple[float, ...]
    p99: tuple[float, ...]
    histograms: tuple[ValueHistogram, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        n = len(self.bands)
        object.__setattr__(self, "bands", tuple(str(b) for b in self.bands))
        object.__setattr__(self, "count", tuple(int(c) for c in self.count))
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        object.__setattr__(self, "histograms", tuple(self.histograms))
        for f in fields(self):
            length = len(getattr(self, f.name))
            if length != n and not (f.name == "histograms" and length == 0):
                raise EoforgeError(
                    f"BandStats.{f.name} has {length} values for {n} bands {list(self.bands)}; "
                    "give one value per band"
                )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BandStats):
            return NotImplemented
        return all(
            len(mine := getattr(self, f.name)) == len(theirs := getattr(other, f.name))
            and all(_same(a, b) for a, b in zip(mine, theirs, strict=True))
            for f in fields(self)
        )

    __hash__ = None  # type: ignore[assignment]

    def percentile(self, q: float) -> tuple[float, ...]:
        """The ``q``-th percentile (0–100) of each band, read from the stored histograms.

        Raises:
            EoforgeError: if ``q`` is outside 0–100, or there are no histograms and ``q`` is not
                one of the stored percentiles (1, 2, 98, 99).

        Example:
            >>> import numpy as np
            >>> from eoforge.data import StreamingBandStats
            >>> acc = StreamingBandStats(["DEM"])
            >>> acc.update(np.arange(101.0).reshape(1, 1, 101))
            >>> acc.result().percentile(25)
            (25.0,)
        """
        if not self.histograms:
            stored = _STORED_PERCENTILES.get(float(q))
            if stored is None:
                raise EoforgeError(
                    f"these BandStats carry no histograms, so percentile({q!r}) is unknown; "
                    "ask for 1, 2, 98 or 99, or compute the statistics with compute_band_stats"
                )
            values: tuple[float, ...] = getattr(self, stored)
            return values
        return tuple(float(h.percentile(q)[0]) for h in self.histograms)

    @property
    def max_error(self) -> tuple[float, ...]:
        """For each band, the most a percentile may differ from the exact one (0.0: exact).

        Example:
            >>> import numpy as np
            >>> from eoforge.data import StreamingBandStats
            >>> acc = StreamingBandStats(["B1"])
            >>> acc.update(np.ones((1, 2, 2), dtype="uint16"))
            >>> acc.result().max_error
            (0.0,)
        """
        if not self.histograms:
            return tuple(math.nan for _ in self.bands)
        return tuple(h.max_error for h in self.histograms)

    def select(self, bands: Sequence[str]) -> BandStats:
        """The statistics of ``bands``, in that order.

        Raises:
            BandNotFoundError: naming the bands these statistics lack.

        Example:
            >>> s = BandStats(("R", "G"), (1, 1), (1.0, 2.0), (0.0, 0.0), (1.0, 2.0),
            ...               (1.0, 2.0), (1.0, 2.0), (1.0, 2.0), (1.0, 2.0), (1.0, 2.0))
            >>> s.select(["G", "R"]).mean
            (2.0, 1.0)
        """
        missing = [b for b in bands if b not in self.bands]
        if missing:
            raise BandNotFoundError(
                f"the band statistics have no band(s) {missing}; they cover "
                f"{list(self.bands)} — compute statistics over data that has them"
            )
        index = [self.bands.index(b) for b in bands]
        picked: dict[str, Any] = {
            f.name: tuple(getattr(self, f.name)[i] for i in index)
            for f in fields(self)
            if f.name != "histograms"
        }
        hist = tuple(self.histograms[i] for i in index) if self.histograms else ()
        return BandStats(**picked, histograms=hist)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN written as ``None``); :meth:`from_dict` reads it back."""
        data: dict[str, Any] = {"format": _FORMAT, "version": _VERSION}
        data["bands"] = list(self.bands)
        data["count"] = list(self.count)
        for name in _FLOAT_FIELDS:
            data[name] = [_json_float(v) for v in getattr(self, name)]
        data["histograms"] = [h.to_dict() for h in self.histograms]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BandStats:
        """The statistics a :meth:`to_dict` dict describes.

        Raises:
            EoforgeError: if ``data`` is not such a dict.
        """
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise EoforgeError(
                'not a band-statistics description (no "format": '
                f'"{_FORMAT}"); write it with BandStats.to_dict() or save()'
            )
        if data.get("version") != _VERSION:
            raise EoforgeError(
                f"band statistics of version {data.get('version')!r} cannot be read by this "
                f"eoforge (version {_VERSION}); recompute them with `eoforge data stats`"
            )
        try:
            floats = {
                name: tuple(_from_json_float(v) for v in data[name]) for name in _FLOAT_FIELDS
            }
            histograms = [ValueHistogram.from_dict(h) for h in data.get("histograms", [])]
            return cls(
                bands=tuple(data["bands"]),
                count=tuple(data["count"]),
                **floats,
                histograms=tuple(histograms),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise EoforgeError(
                f"band statistics lack or garble the field {err}; recompute them with "
                "`eoforge data stats`"
            ) from err

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the statistics as JSON, atomically (a temporary file, then a rename).

        Args:
            path: the JSON file to write (its folder is created).
            overwrite: replace an existing file.

        Returns:
            The path written.

        Raises:
            OutputExistsError: if ``path`` exists and ``overwrite`` is false.

        Example:
            >>> import tempfile
            >>> s = BandStats(("R",), (1,), (1.0,), (0.0,), (1.0,), (1.0,), (1.0,), (1.0,),
            ...               (1.0,), (1.0,))
            >>> path = s.save(tempfile.mkdtemp() + "/stats.json")
            >>> BandStats.load(path) == s
            True
            >>> s.save(path)
            Traceback (most recent call last):
            ...
            eoforge.errors.OutputExistsError: .../stats.json exists; pass overwrite=True ...
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise OutputExistsError(
                f"{target} exists; pass overwrite=True (--overwrite) or choose another path"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=1, allow_nan=False)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text + "\n")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BandStats:
        """Read statistics that :meth:`save` wrote.

        Raises:
            NoFilesError: if ``path`` does not exist.
            EoforgeError: if it is not a band-statistics JSON file.
        """
        source = Path(path)
        if not source.is_file():
            raise NoFilesError(
                f"no band statistics at {source}; compute them with "
                f"`eoforge data stats IMAGES... --out {source}`"
            )
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise EoforgeError(
                f"{source} is not a JSON file ({err}); recompute it with `eoforge data stats`"
            ) from err
        try:
            return cls.from_dict(data)
        except EoforgeError as err:
            raise EoforgeError(f"{source}: {err}") from err
