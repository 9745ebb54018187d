"""Tiny in-memory data for the task tests: learnable rules, a data module that describes itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from eoforge.data import collate

Sample = dict[str, Any]


class ListDataset(Dataset[Sample]):
    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample:
        return self.samples[i]


class TinyDataModule(LightningDataModule):
    """Train/val/test lists of samples plus the ``data_info()`` eoforge tasks read."""

    def __init__(self, make: Callable[[int, int], list[Sample]], info: dict[str, Any]) -> None:
        super().__init__()
        self.splits = {"train": make(64, 0), "val": make(32, 1), "test": make(32, 2)}
        self.info = info

    def data_info(self) -> dict[str, Any]:
        return self.info

    def _loader(self, split: str) -> DataLoader[Sample]:
        generator = torch.Generator().manual_seed(0)
        return DataLoader(
            ListDataset(self.splits[split]),
            batch_size=16,
            shuffle=split == "train",
            generator=generator,
            collate_fn=collate,
        )

    def train_dataloader(self) -> DataLoader[Sample]:
        return self._loader("train")

    def val_dataloader(self) -> DataLoader[Sample]:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader[Sample]:
        return self._loader("test")


def segmentation_samples(n: int, seed: int) -> list[Sample]:
    """Class = which of 3 bands is brightest at each pixel; some pixels unlabelled (255)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        image = torch.rand(3, 16, 16, generator=g)
        mask = image.argmax(dim=0)
        mask[:2, :2] = 255
        out.append(
            {"image": image * 100, "mask": mask, "valid": torch.ones(16, 16, dtype=torch.bool)}
        )
    return out


def classification_samples(n: int, seed: int) -> list[Sample]:
    """Class = the band with the highest mean."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        label = int(torch.randint(0, 3, (1,), generator=g))
        image = torch.rand(3, 16, 16, generator=g)
        image[label] += 0.6
        out.append({"image": image, "label": torch.tensor(label)})
    return out


def multilabel_samples(n: int, seed: int) -> list[Sample]:
    """Label k present when band k is bright."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        labels = (torch.rand(3, generator=g) > 0.5).long()
        image = torch.rand(3, 16, 16, generator=g) * 0.5 + labels[:, None, None] * 0.8
        out.append({"image": image, "label": labels})
    return out


def dense_regression_samples(n: int, seed: int) -> list[Sample]:
    """Target = 2*b0 - b1 + 0.5, labelled at a sparse set of pixels only (NaN elsewhere)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        image = torch.rand(2, 16, 16, generator=g)
        target = 2 * image[0] - image[1] + 0.5
        sparse = torch.rand(16, 16, generator=g) > 0.9
        target[~sparse] = float("nan")
        out.append(
            {"image": image, "target": target, "valid": torch.ones(16, 16, dtype=torch.bool)}
        )
    return out
