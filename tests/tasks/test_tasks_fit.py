"""Each task learns a simple rule: its test metric after a short fit beats the untrained model's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything
from tiny_data import (
    TinyDataModule,
    classification_samples,
    dense_regression_samples,
    multilabel_samples,
    segmentation_samples,
)

from eoforge.errors import EoforgeError
from eoforge.tasks import ClassificationTask, RegressionTask, SegmentationTask, load_task

SEG_INFO = {"bands": ["B02", "B03", "B04"], "classes": ["a", "b", "c"], "ignore_index": 255}


def _test_metric(trainer: Trainer, task: Any, dm: TinyDataModule, name: str) -> float:
    return float(trainer.test(task, dm, verbose=False)[0][f"test/{name}"])


CASES = [
    pytest.param(
        lambda: SegmentationTask(backbone="pixel_mlp", lr=0.02, augment=True),
        segmentation_samples,
        {**SEG_INFO, "mean": [50.0] * 3, "std": [29.0] * 3},
        "mIoU",
        1,
        id="segmentation",
    ),
    pytest.param(
        lambda: ClassificationTask(backbone="resnet18", lr=3e-3, scheduler=None),
        classification_samples,
        {"bands": ["R", "G", "B"], "classes": ["r", "g", "b"]},
        "OA",
        1,
        id="classification",
    ),
    pytest.param(
        lambda: ClassificationTask(backbone="resnet18", multilabel=True, lr=3e-3, scheduler=None),
        multilabel_samples,
        {"bands": ["R", "G", "B"], "classes": ["r", "g", "b"]},
        "mAP",
        1,
        id="multilabel",
    ),
    pytest.param(
        lambda: RegressionTask(backbone="pixel_mlp", dense=True, lr=0.02),
        dense_regression_samples,
        {"bands": ["B04", "B08"]},
        "RMSE",
        -1,
        id="sparse-dense-regression",
    ),
]


@pytest.mark.parametrize(("make_task", "make_data", "info", "metric", "sign"), CASES)
def test_fit_improves_the_test_metric(
    trainer_factory: Callable[..., Trainer],
    make_task: Callable[[], Any],
    make_data: Callable[[int, int], list[dict[str, Any]]],
    info: dict[str, Any],
    metric: str,
    sign: int,
) -> None:
    seed_everything(0)
    dm = TinyDataModule(make_data, info)
    task = make_task()
    trainer = trainer_factory(max_epochs=8)
    before_task = make_task()
    before = _test_metric(trainer_factory(), before_task, dm, metric)
    trainer.fit(task, dm)
    after = _test_metric(trainer, task, dm, metric)
    assert sign * after > sign * before, (before, after)
    if metric in ("mIoU", "OA", "mAP"):
        assert after > 0.6


def test_same_seed_same_metrics(trainer_factory: Callable[..., Trainer]) -> None:
    results = []
    for _ in range(2):
        seed_everything(3)
        dm = TinyDataModule(
            segmentation_samples, {**SEG_INFO, "mean": [50.0] * 3, "std": [29.0] * 3}
        )
        task = SegmentationTask(backbone="pixel_mlp", lr=0.02)
        trainer = trainer_factory(max_epochs=2)
        trainer.fit(task, dm)
        results.append(trainer.test(task, dm, verbose=False)[0])
    assert results[0] == results[1]


def test_checkpoint_round_trip_restores_bands_normalisation_and_classes(
    tmp_path: Path, trainer_factory: Callable[..., Trainer]
) -> None:
    info = {**SEG_INFO, "mean": [50.0, 40.0, 30.0], "std": [29.0, 28.0, 27.0],
            "colors": [[0, 0, 255], [0, 255, 0], [255, 0, 0]]}  # fmt: skip
    dm = TinyDataModule(segmentation_samples, info)
    task = SegmentationTask(backbone="pixel_mlp", lr=0.02)  # no data_info: taken from dm
    trainer = trainer_factory(max_epochs=1)
    trainer.fit(task, dm)
    path = tmp_path / "seg.ckpt"
    trainer.save_checkpoint(path)
    loaded = load_task(path)
    assert isinstance(loaded, SegmentationTask) and not loaded.training
    assert loaded.data_info.bands == ("B02", "B03", "B04")
    assert loaded.data_info.classes == ("a", "b", "c")
    assert loaded.data_info.colors == ((0, 0, 255), (0, 255, 0), (255, 0, 0))
    assert loaded.data_info.ignore_index == 255
    assert loaded.normalize.mean.tolist() == [50.0, 40.0, 30.0]  # type: ignore[operator]
    assert loaded.normalize.bands == ["B02", "B03", "B04"]
    x = torch.rand(2, 3, 16, 16) * 100
    task.eval()
    assert torch.equal(loaded(x), task(x))


def test_checkpoint_trained_on_other_bands_is_refused(
    tmp_path: Path, trainer_factory: Callable[..., Trainer]
) -> None:
    dm = TinyDataModule(segmentation_samples, SEG_INFO)
    task = SegmentationTask(backbone="pixel_mlp")
    trainer = trainer_factory(max_epochs=1)
    trainer.fit(task, dm)
    path = tmp_path / "seg.ckpt"
    trainer.save_checkpoint(path)
    other = TinyDataModule(segmentation_samples, {**SEG_INFO, "bands": ["B08", "B11", "B12"]})
    with pytest.raises(EoforgeError, match=r"B02.*B08|bands"):
        trainer_factory(max_epochs=1).test(SegmentationTask(backbone="pixel_mlp"), other,
                                           ckpt_path=str(path))  # fmt: skip


def test_task_without_data_facts_says_how_to_give_them() -> None:
    task = SegmentationTask(backbone="pixel_mlp")
    with pytest.raises(EoforgeError, match="data_info"):
        task(torch.zeros(1, 3, 8, 8))


def test_bad_labels_and_bad_arguments_are_explained() -> None:
    task = SegmentationTask(backbone="pixel_mlp", data_info=SEG_INFO)
    batch = {"image": torch.rand(1, 3, 4, 4), "mask": torch.full((1, 4, 4), 7)}
    with pytest.raises(EoforgeError, match=r"\[7\].*class ids 0..2"):
        task.step(batch, "train")
    with pytest.raises(EoforgeError, match="scheduler"):
        SegmentationTask(scheduler="step")
    with pytest.raises(EoforgeError, match="loss"):
        SegmentationTask(backbone="pixel_mlp", loss="hinge", data_info=SEG_INFO)
    with pytest.raises(EoforgeError, match="in_channels=4"):
        SegmentationTask(backbone="pixel_mlp", in_channels=4, data_info=SEG_INFO)


def test_weights_from_a_checkpoint_on_other_bands_are_adapted_by_name(
    tmp_path: Path, trainer_factory: Callable[..., Trainer]
) -> None:
    from eoforge.models import adapt_first_layer, first_layer

    dm = TinyDataModule(segmentation_samples, SEG_INFO)
    source = SegmentationTask(backbone="pixel_mlp")
    trainer = trainer_factory(max_epochs=1)
    trainer.fit(source, dm)
    path = tmp_path / "source.ckpt"
    trainer.save_checkpoint(path)
    bands = ["B04", "B03", "B08"]  # B02 dropped, B08 new, order changed
    target = SegmentationTask(
        backbone="pixel_mlp", weights=str(path), data_info={**SEG_INFO, "bands": bands}
    )
    assert source.model is not None and target.model is not None
    expected = adapt_first_layer(
        first_layer(source.model).weight.detach(), 3, old_bands=SEG_INFO["bands"], new_bands=bands
    )
    torch.testing.assert_close(first_layer(target.model).weight.detach(), expected)
