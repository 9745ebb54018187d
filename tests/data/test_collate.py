from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from eoforge.data.batch_collate import collate
from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec


def make_sample(i: int) -> dict[str, object]:
    grid = GridSpec.from_bounds((0, 0, 40, 40), 10, crs=32633).subgrid(i, i, 4, 4)
    return {
        "image": torch.full((2, 4, 4), float(i)),
        "mask": torch.full((4, 4), i, dtype=torch.int64),
        "valid": torch.ones(4, 4, dtype=torch.bool),
        "grid": grid,
        "bands": ["B1", "B2"],
    }


def test_stacks_tensors_and_lists_the_rest() -> None:
    samples = [make_sample(i) for i in range(3)]
    batch = collate(samples)
    assert batch["image"].shape == (3, 2, 4, 4) and batch["image"].dtype == torch.float32
    assert batch["mask"].dtype == torch.int64 and batch["valid"].dtype == torch.bool
    for i in range(3):
        assert torch.equal(batch["image"][i], samples[i]["image"])  # type: ignore[arg-type]
    assert batch["grid"] == [s["grid"] for s in samples]
    assert batch["bands"] == [["B1", "B2"]] * 3


def test_numpy_arrays_are_stacked_too() -> None:
    batch = collate([{"x": np.zeros((2, 2))}, {"x": np.ones((2, 2))}])
    assert isinstance(batch["x"], torch.Tensor)
    assert batch["x"].tolist() == [[[0, 0], [0, 0]], [[1, 1], [1, 1]]]


def test_works_as_a_dataloader_collate_fn() -> None:
    samples = [make_sample(i) for i in range(4)]
    loader: DataLoader[dict[str, object]] = DataLoader(
        samples,  # type: ignore[arg-type]  # a list is a map-style dataset
        batch_size=2,
        collate_fn=collate,
    )
    batches = list(loader)
    assert len(batches) == 2
    assert batches[1]["image"][:, 0, 0, 0].tolist() == [2.0, 3.0]
    assert len(batches[1]["grid"]) == 2


def test_bad_batches_raise_clear_errors() -> None:
    with pytest.raises(EoforgeError, match="empty"):
        collate([])
    other = make_sample(1)
    other["image"] = torch.zeros(2, 5, 5)
    with pytest.raises(EoforgeError, match=r"'image'.*shapes"):
        collate([make_sample(0), other])
    missing = make_sample(1)
    del missing["mask"]
    with pytest.raises(EoforgeError, match="same keys"):
        collate([make_sample(0), missing])
    mixed = make_sample(1)
    mixed["mask"] = None
    with pytest.raises(EoforgeError, match="'mask'"):
        collate([make_sample(0), mixed])
