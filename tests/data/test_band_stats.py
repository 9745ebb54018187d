from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eoforge.data import BandStats, StreamingBandStats
from eoforge.errors import BandNotFoundError, EoforgeError, NoFilesError, OutputExistsError


@pytest.fixture
def pixels() -> np.ndarray:
    rng = np.random.default_rng(7)
    return np.stack(
        [
            rng.integers(0, 4000, size=(6, 30, 30)),
            rng.integers(500, 9000, size=(6, 30, 30)),
            rng.integers(0, 2, size=(6, 30, 30)),
        ],
        axis=1,
    ).astype(np.uint16)  # (N, C, H, W)


@pytest.fixture
def stats(pixels: np.ndarray) -> BandStats:
    acc = StreamingBandStats(["B02", "B08", "MASK"])
    acc.update(pixels)
    return acc.result()


def test_fields_equal_numpy(pixels: np.ndarray, stats: BandStats) -> None:
    per_band = pixels.transpose(1, 0, 2, 3).reshape(3, -1).astype(np.float64)
    assert stats.count == (per_band.shape[1],) * 3
    np.testing.assert_allclose(stats.mean, per_band.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(stats.std, per_band.std(axis=1), rtol=1e-12)
    assert stats.min == tuple(per_band.min(axis=1)) and stats.max == tuple(per_band.max(axis=1))
    for name in ("p1", "p2", "p98", "p99"):
        q = float(name[1:])
        assert getattr(stats, name) == tuple(np.percentile(per_band, q, axis=1))
    for q in (0.0, 13.7, 50.0, 100.0):
        assert stats.percentile(q) == tuple(np.percentile(per_band, q, axis=1))


def test_select_reorders_by_name_and_names_the_missing(stats: BandStats) -> None:
    picked = stats.select(["MASK", "B02"])
    assert picked.bands == ("MASK", "B02")
    assert picked.mean == (stats.mean[2], stats.mean[0])
    assert picked.percentile(40) == (stats.percentile(40)[2], stats.percentile(40)[0])
    with pytest.raises(BandNotFoundError, match=r"\['B11', 'B12'\]"):
        stats.select(["B02", "B11", "B12"])


def test_save_load_round_trip_is_atomic(tmp_path: Path, stats: BandStats) -> None:
    path = stats.save(tmp_path / "sub" / "stats.json")
    assert sorted(p.name for p in path.parent.iterdir()) == ["stats.json"]  # no temp file left
    back = BandStats.load(path)
    assert back == stats
    assert back.percentile(33.3) == stats.percentile(33.3)
    data = json.loads(path.read_text())
    assert data["bands"] == ["B02", "B08", "MASK"] and data["mean"] == list(stats.mean)


def test_save_refuses_to_overwrite(tmp_path: Path, stats: BandStats) -> None:
    path = tmp_path / "stats.json"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        stats.save(path)
    assert path.read_text() == "keep me"
    stats.save(path, overwrite=True)
    assert BandStats.load(path) == stats


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(NoFilesError, match=r"missing\.json"):
        BandStats.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EoforgeError, match=r"bad\.json"):
        BandStats.load(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(EoforgeError, match=r"other\.json.*format"):
        BandStats.load(other)


def test_hand_made_stats_know_only_the_stored_percentiles() -> None:
    s = BandStats(("R",), (3,), (1.0,), (0.5,), (0.0,), (2.0,), (0.1,), (0.2,), (1.8,), (1.9,))
    assert s.percentile(98) == (1.8,)
    with pytest.raises(EoforgeError, match="no histograms"):
        s.percentile(50)
    with pytest.raises(EoforgeError, match="2 values for 1 bands"):
        BandStats(("R",), (3, 4), (1.0,), (0.5,), (0.0,), (2.0,), (0.1,), (0.2,), (1.8,), (1.9,))
