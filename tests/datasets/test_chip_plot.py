"""``ChipDataset.plot`` / ``plot_chip``: composites, class colours, legends, predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from tiny_chips import CLASSES, TinyBase

from eoforge.datasets import ChipDataset, plot_chip

COLORS = ((0, 0, 200), (0, 150, 0), (230, 230, 230))


class _Segmentation(ChipDataset):
    name, task = "test_plot_segmentation", "segmentation"
    classes, colors, all_bands = CLASSES, COLORS, ("B02", "B03", "B04", "B08")
    rgb_bands, ignore_index = ("B04", "B03", "B02"), 255

    def _is_present(self) -> bool:
        return True

    def _load_index(self) -> list[int]:
        return [0]

    def _load_sample(self, record: Any) -> dict[str, Any]:
        image = np.random.default_rng(3).random((4, 6, 6)).astype("float32")
        mask = np.zeros((6, 6), "int64")
        mask[:, 3:] = 2
        mask[0, 0] = 255
        return {"image": self.select_bands(image), "mask": mask}


class _Classes(TinyBase):
    name = "test_plot_classes"

    def _is_present(self) -> bool:
        return True

    def _load_index(self) -> list[int]:
        return [1]

    def _load_sample(self, record: Any) -> dict[str, Any]:
        image = np.random.default_rng(4).random((4, 5, 5))
        return {"image": self.select_bands(image), "label": record}


def _shown(fig: Figure, axis: int) -> np.ndarray:
    return np.asarray(fig.axes[axis].get_images()[0].get_array())


def test_the_rgb_composite_is_a_per_band_2_98_percentile_stretch(tmp_path: Path) -> None:
    ds = _Segmentation(tmp_path)
    sample = ds[0]
    fig = ds.plot(sample)
    assert isinstance(fig, Figure) and fig.axes[0].get_title() == "B04, B03, B02"
    image = sample["image"].numpy()
    for channel, band in enumerate([2, 1, 0]):  # B04, B03, B02 of (B02, B03, B04, B08)
        lo, hi = np.percentile(image[band], [2, 98])
        expected = np.clip((image[band] - lo) / (hi - lo), 0, 1)
        np.testing.assert_allclose(_shown(fig, 0)[..., channel], expected, atol=1e-6)


def test_without_the_rgb_bands_the_first_band_is_grey(tmp_path: Path) -> None:
    ds = _Segmentation(tmp_path, bands=["B08", "B02"])
    fig = ds.plot(ds[0])
    assert fig.axes[0].get_title() == "B08" and _shown(fig, 0).ndim == 2


def test_the_mask_is_drawn_in_class_colours_with_a_legend(tmp_path: Path) -> None:
    ds = _Segmentation(tmp_path)
    fig = ds.plot(ds[0])
    assert [ax.get_title() for ax in fig.axes] == ["B04, B03, B02", "mask"]
    painted = _shown(fig, 1)
    assert tuple(painted[1, 0]) == COLORS[0] and tuple(painted[1, 5]) == COLORS[2]
    assert tuple(painted[0, 0]) == (0, 0, 0)  # ignore_index
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["sea", "cloud", "ignored / unknown"]


def test_a_predicted_mask_or_scores_are_drawn_beside_the_truth(tmp_path: Path) -> None:
    ds = _Segmentation(tmp_path)
    prediction = torch.ones(6, 6, dtype=torch.int64)
    fig = ds.plot(ds[0], prediction, suptitle="chip 0")
    assert [ax.get_title() for ax in fig.axes] == ["B04, B03, B02", "mask", "prediction"]
    assert (_shown(fig, 2) == np.array(COLORS[1], "uint8")).all()
    assert fig.get_suptitle() == "chip 0"
    assert "land" in [t.get_text() for t in fig.legends[0].get_texts()]
    scores = torch.zeros(3, 6, 6)
    scores[2] = 1.0
    assert (_shown(ds.plot(ds[0], scores), 2) == np.array(COLORS[2], "uint8")).all()
    untitled = ds.plot(ds[0], prediction, show_titles=False)
    assert [ax.get_title() for ax in untitled.axes] == ["", "", ""]


def test_classification_titles_name_the_classes(tmp_path: Path) -> None:
    ds = _Classes(tmp_path)
    sample = ds[0]
    assert ds.plot(sample).axes[0].get_title() == "land"
    assert len(ds.plot(sample).axes) == 1
    assert ds.plot(sample, 2).axes[0].get_title() == "truth: land | prediction: cloud"
    probabilities = torch.tensor([0.1, 0.7, 0.2])
    title = ds.plot(sample, probabilities).axes[0].get_title()
    assert title == "truth: land | prediction: land (0.70)"


def test_multilabel_titles_list_every_present_class() -> None:
    sample = {"image": torch.rand(3, 4, 4), "bands": ["R", "G", "B"],
              "label": torch.tensor([1, 0, 1])}  # fmt: skip
    fig = plot_chip(sample, torch.tensor([0.9, 0.6, 0.1]), task="multilabel", classes=CLASSES,
                    rgb_bands=("R", "G", "B"))  # fmt: skip
    assert fig.axes[0].get_title() == "truth: sea, cloud | prediction: sea, land"
    empty = plot_chip({**sample, "label": torch.zeros(3)}, task="multilabel", classes=CLASSES)
    assert empty.axes[0].get_title() == "(none)"


@pytest.mark.parametrize("prediction", [None, torch.full((4, 4), 2.0)])
def test_dense_regression_targets_share_one_colour_scale(prediction: Any) -> None:
    target = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    target[0, 0] = float("nan")  # unlabelled
    sample = {"image": torch.rand(1, 4, 4), "bands": ["DEM"], "target": target}
    fig = plot_chip(sample, prediction, task="regression")
    shown = fig.axes[1].get_images()[0]
    assert shown.get_clim() == (1.0, 15.0)
    assert np.ma.is_masked(shown.get_array()[0, 0])
    assert len(fig.axes) == (3 if prediction is None else 4)  # panels + colour bar


def test_scalar_regression_targets_are_titles() -> None:
    sample = {"image": torch.rand(1, 4, 4), "bands": ["VV"], "target": torch.tensor(41.5)}
    fig = plot_chip(sample, torch.tensor([40.0]), task="regression")
    assert fig.axes[0].get_title() == "target: 41.5 | prediction: 40"
