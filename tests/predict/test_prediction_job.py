from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eoforge.geo import BBox, GridSpec
from eoforge.predict import prediction_job
from eoforge.predict.prediction_job import PredictionJob


def _job(tmp_path: Path, *, resume: bool = False) -> PredictionJob:
    grid = GridSpec.from_bounds(BBox(0, 0, 320, 320, "EPSG:32633"), res=10)
    return PredictionJob.start(tmp_path / "map.tif", {"kind": "classes"}, grid, 1, "uint8",
                               resume=resume)  # fmt: skip


def test_rows_are_recorded_at_most_every_checkpoint_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prediction_job, "CHECKPOINT_SECONDS", 3600.0)
    job = _job(tmp_path)
    rng = np.random.default_rng(0)
    strip = {"values": rng.random((3, 4, 32), dtype=np.float32),
             "weights": rng.random((4, 32), dtype=np.float32)}  # fmt: skip
    journal = job.partial / "journal.json"
    assert not job.checkpoint(0, strip)  # too soon after the start: skipped
    assert json.loads(journal.read_text())["rows_done"] == -1
    monkeypatch.setattr(prediction_job, "CHECKPOINT_SECONDS", 0.0)
    assert job.checkpoint(1, strip)
    assert json.loads(journal.read_text())["rows_done"] == 1
    monkeypatch.setattr(prediction_job, "CHECKPOINT_SECONDS", 3600.0)
    assert not job.checkpoint(2, strip)  # too soon after the last record
    assert json.loads(journal.read_text())["rows_done"] == 1
    monkeypatch.setattr(prediction_job, "CHECKPOINT_SECONDS", 0.0)
    assert job.checkpoint(3, strip)
    resumed = _job(tmp_path, resume=True)
    assert resumed.next_row == 4 and resumed.strip is not None
    np.testing.assert_array_equal(resumed.strip["values"], strip["values"])
    np.testing.assert_array_equal(resumed.strip["weights"], strip["weights"])
