"""Task metrics equal scikit-learn's on the same predictions; masked losses skip unlabelled data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from eoforge.errors import EoforgeError
from eoforge.tasks import ClassificationTask, RegressionTask, SegmentationTask
from eoforge.tasks.losses import class_loss, regression_loss
from eoforge.tasks.metric_sets import class_metrics, multilabel_metrics, regression_metrics
from eoforge.transforms.flips import RandomFlipRotate, flip_rotate


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), classes=st.integers(2, 6), n=st.integers(5, 400))
def test_class_metrics_equal_sklearn(seed: int, classes: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    target = rng.integers(0, classes, n)
    pred = np.where(rng.random(n) < 0.6, target, rng.integers(0, classes, n))
    target[rng.random(n) < 0.1] = 255  # ignored
    keep = target != 255
    if not keep.any():
        return
    metrics = class_metrics(classes, ignore_index=255)
    metrics.update(torch.from_numpy(pred), torch.from_numpy(target))
    got = {k: float(v) for k, v in metrics.compute().items()}
    t, p = target[keep], pred[keep]
    labels = np.union1d(t, p)  # classes present in targets or predictions
    assert got["OA"] == pytest.approx(sk.accuracy_score(t, p))
    assert got["AA"] == pytest.approx(
        sk.recall_score(t, p, labels=labels, average="macro", zero_division=0)
    )
    assert got["F1"] == pytest.approx(
        sk.f1_score(t, p, labels=labels, average="macro", zero_division=0)
    )
    assert got["mIoU"] == pytest.approx(
        sk.jaccard_score(t, p, labels=labels, average="macro", zero_division=0)
    )


def test_per_class_iou_by_name_equals_sklearn() -> None:
    rng = np.random.default_rng(0)
    target, pred = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    metrics = class_metrics(3, class_names=["water", "trees", "fields"])
    metrics.update(torch.from_numpy(pred), torch.from_numpy(target))
    got = metrics.compute()
    expected = sk.jaccard_score(target, pred, average=None)
    for i, name in enumerate(["water", "trees", "fields"]):
        assert float(got[f"IoU_{name}"]) == pytest.approx(expected[i])
    absent = class_metrics(3, class_names=["a", "b", "c"])
    absent.update(torch.tensor([0, 1]), torch.tensor([0, 1]))  # class c nowhere
    values = absent.compute()
    assert torch.isnan(values["IoU_c"]) and float(values["mIoU"]) == 1.0


def test_multilabel_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(1)
    target = rng.integers(0, 2, (200, 5))
    target[0] = 1  # every label present at least once
    probs = np.clip(target * 0.4 + rng.random((200, 5)) * 0.6, 0, 1).astype(np.float32)
    metrics = multilabel_metrics(5)
    metrics.update(torch.from_numpy(probs), torch.from_numpy(target))
    got = {k: float(v) for k, v in metrics.compute().items()}
    assert got["mAP"] == pytest.approx(sk.average_precision_score(target, probs, average="macro"))
    hard = (probs >= 0.5).astype(int)
    assert got["F1_micro"] == pytest.approx(sk.f1_score(target, hard, average="micro"))
    assert got["F1_macro"] == pytest.approx(sk.f1_score(target, hard, average="macro"))


def test_regression_metrics_equal_sklearn() -> None:
    rng = np.random.default_rng(2)
    target = rng.normal(100, 30, 300)
    pred = target + rng.normal(0, 10, 300)
    metrics = regression_metrics()
    metrics.update(torch.from_numpy(pred).float(), torch.from_numpy(target).float())
    got = {k: float(v) for k, v in metrics.compute().items()}
    assert got["RMSE"] == pytest.approx(sk.root_mean_squared_error(target, pred), rel=1e-5)
    assert got["MAE"] == pytest.approx(sk.mean_absolute_error(target, pred), rel=1e-5)
    assert got["R2"] == pytest.approx(sk.r2_score(target, pred), rel=1e-5)


def test_sparse_regression_ignores_unlabelled_pixels_in_loss_gradients_and_metrics() -> None:
    info = {"bands": ["B04", "B08"]}
    task = RegressionTask(backbone="pixel_mlp", dense=True, data_info=info)
    image = torch.rand(2, 2, 8, 8)
    target = torch.full((2, 8, 8), float("nan"))
    target[0, 1, 1], target[1, 5, 2], target[1, 7, 7] = 1.0, 2.0, -1.0
    labelled = torch.isfinite(target)

    def loss_and_grads(batch_image: torch.Tensor) -> tuple[float, list[torch.Tensor]]:
        task.zero_grad()
        loss = task.step({"image": batch_image, "target": target}, "train")
        loss.backward()
        return float(loss.detach()), [
            p.grad.clone() for p in task.parameters() if p.grad is not None
        ]

    loss_a, grads_a = loss_and_grads(image)
    changed = image.clone()
    changed[:, :, ~labelled.any(dim=0)] = 1000.0  # any values where no pixel is labelled
    loss_b, grads_b = loss_and_grads(changed)
    assert loss_a == pytest.approx(loss_b)
    for a, b in zip(grads_a, grads_b, strict=True):
        torch.testing.assert_close(a, b)
    # the metric sees only the three labelled pixels: equal to sklearn on them
    task.split_metrics("val").reset()
    with torch.no_grad():
        task.step({"image": image, "target": target}, "val")
        pred = task(image)[:, 0][labelled].numpy()
    got = float(task.split_metrics("val").compute()["RMSE"])
    assert got == pytest.approx(
        sk.root_mean_squared_error(target[labelled].numpy(), pred), rel=1e-5
    )


def test_all_unlabelled_batch_gives_zero_loss_with_gradient() -> None:
    loss = regression_loss("huber")
    pred = torch.ones(3, requires_grad=True)
    value = loss(pred, torch.full((3,), float("nan")))
    value.backward()
    assert float(value) == 0.0 and pred.grad is not None and float(pred.grad.abs().sum()) == 0.0


def test_class_weights_and_ignore_index_in_cross_entropy() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    target = torch.tensor([0, 1, 255])
    loss = class_loss("ce", 2, class_weights=[1.0, 3.0], ignore_index=255)
    log_p = torch.log_softmax(logits, dim=1)
    expected = -(1.0 * log_p[0, 0] + 3.0 * log_p[1, 1]) / (1.0 + 3.0)  # hand computation
    assert float(loss(logits, target)) == pytest.approx(float(expected))
    with pytest.raises(ValueError, match="class_weights"):
        class_loss("ce", 2, class_weights=[1.0])


@pytest.mark.parametrize("name", ["focal", "dice", "ce+dice"])
def test_other_class_losses_drop_with_better_predictions(name: str) -> None:
    target = torch.randint(0, 3, (2, 8, 8))
    good = torch.nn.functional.one_hot(target, 3).permute(0, 3, 1, 2).float() * 5
    loss = class_loss(name, 3)
    assert float(loss(good, target)) < float(loss(torch.zeros_like(good), target))


def test_flips_and_rotations_move_image_and_labels_together() -> None:
    image = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    batch = {"image": image, "mask": image[:, 0].long(), "valid": image[:, 0] > 5, "bands": "x"}
    out = RandomFlipRotate(generator=torch.Generator().manual_seed(1))(batch)
    for i in range(2):  # each sample is one of the 8 symmetries, the same for every key
        codes = [c for c in range(8) if torch.equal(flip_rotate(image[i], c), out["image"][i])]
        assert len(codes) == 1
        assert torch.equal(flip_rotate(batch["mask"][i], codes[0]), out["mask"][i])
        assert torch.equal(flip_rotate(batch["valid"][i], codes[0]), out["valid"][i])
    assert out["bands"] == "x"
    seen = set()
    aug = RandomFlipRotate(generator=torch.Generator().manual_seed(0))
    for _ in range(20):
        res = aug({"image": image[:1]})["image"][0]
        seen.add(next(c for c in range(8) if torch.equal(flip_rotate(image[0], c), res)))
    assert seen == set(range(8))


def test_segmentation_ignores_invalid_pixels() -> None:
    info = {"bands": ["B1"], "classes": ["a", "b"]}
    task = SegmentationTask(backbone="pixel_mlp", data_info=info)
    image = torch.rand(1, 1, 4, 4)
    mask = torch.zeros(1, 4, 4, dtype=torch.long)
    valid = torch.zeros(1, 4, 4, dtype=torch.bool)
    valid[0, 0, 0] = True
    task.step({"image": image, "mask": mask, "valid": valid}, "val")
    seen = task.split_metrics("val")["confusion"]
    assert int(seen.confusion.sum()) == 1  # one pixel counted


def test_classification_label_shapes_are_checked() -> None:
    task = ClassificationTask(multilabel=True, data_info={"bands": ["R"], "classes": ["a", "b"]})
    with pytest.raises(EoforgeError, match="one 0/1 value per class"):
        task.step({"image": torch.rand(2, 1, 32, 32), "label": torch.tensor([0, 1])}, "train")
