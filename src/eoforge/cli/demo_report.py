"""The demo's evaluation pass and its report: figures and a Markdown page beside the metrics.

:func:`evaluate_scene` runs a trained segmentation task over the test patches (every pixel once)
and gathers the confusion matrix and a few example patches; :func:`write_report` draws the
figures (``figures/examples.png``, ``confusion.png``, ``curves.png``, ``split.png``) and writes
``report.md``.

Example:
    >>> import numpy as np
    >>> rgb_stretch(np.array([[[0.0, 50.0, 100.0]]] * 3)).shape
    (1, 3, 3)
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SceneEvaluation", "evaluate_scene", "rgb_stretch", "write_report"]

Array = np.ndarray[Any, Any]
RGB_BANDS = ("B04", "B03", "B02")


@dataclass
class SceneEvaluation:
    """What the report needs from the test pass.

    Attributes:
        confusion: ``(K, K)`` pixel counts, rows = truth, columns = prediction.
        examples: ``(rgb (H, W, 3) in 0..1, truth (H, W), prediction (H, W))`` of a few patches.
        classes: class names.
        colors: class colours (RGB 0-255).
        ignore_index: label value of unlabelled pixels.
    """

    confusion: Array
    classes: list[str]
    colors: list[tuple[int, int, int]]
    ignore_index: int
    examples: list[tuple[Array, Array, Array]] = field(default_factory=list)


def rgb_stretch(rgb: Array, low: float = 2, high: float = 98) -> Array:
    """``(3, H, W)`` bands to an ``(H, W, 3)`` image in 0..1, each stretched between percentiles."""
    out = np.empty((*rgb.shape[1:], 3), dtype=np.float32)
    for i in range(3):
        lo, hi = np.percentile(rgb[i], [low, high])
        out[..., i] = np.clip((rgb[i] - lo) / max(hi - lo, 1e-6), 0, 1)
    return out


def evaluate_scene(task: Any, dm: Any, n_examples: int = 4) -> SceneEvaluation:
    """Predict every test patch; count the confusion matrix over owned, labelled pixels."""
    import torch

    info = task.data_info
    classes = list(info.classes)
    k = len(classes)
    ignore = task.ignore_index
    rgb_idx = [list(info.bands).index(b) for b in RGB_BANDS if b in info.bands]
    confusion = np.zeros((k, k), dtype=np.int64)
    candidates: list[tuple[Array, Array, Array]] = []
    task.eval()
    with torch.no_grad():
        for batch in dm.test_dataloader():
            pred = task(batch["image"].to(task.device)).argmax(dim=1).cpu().numpy()
            truth = batch["mask"].numpy()
            labelled = (truth != ignore) & (truth >= 0) & (truth < k)
            keep = batch["valid"].numpy() & labelled
            confusion += np.bincount(truth[keep] * k + pred[keep], minlength=k * k).reshape(k, k)
            for i in range(len(pred)):  # examples: patches labelled throughout, 3+ classes
                if len(rgb_idx) == 3 and labelled[i].all() and len(np.unique(truth[i])) >= 3:
                    rgb = rgb_stretch(batch["image"][i, rgb_idx].numpy())
                    candidates.append((rgb, truth[i], pred[i]))
    step = max(len(candidates) / n_examples, 1.0)
    examples = [candidates[int(i * step)] for i in range(min(n_examples, len(candidates)))]
    colors = [(int(c[0]), int(c[1]), int(c[2])) for c in info.colors] or [(128, 128, 128)] * k
    return SceneEvaluation(confusion, classes, colors, ignore, examples)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _class_image(labels: Array, ev: SceneEvaluation) -> Array:
    table = np.array([*ev.colors, (255, 255, 255)], dtype=np.float32) / 255
    index = np.where((labels >= 0) & (labels < len(ev.classes)), labels, len(ev.classes))
    return table[index]


def _examples_figure(ev: SceneEvaluation, path: Path) -> None:
    plt = _plt()
    from matplotlib.patches import Patch

    n = max(len(ev.examples), 1)
    fig, axes = plt.subplots(n, 3, figsize=(9, 3 * n), squeeze=False)
    for row, (rgb, truth, pred) in enumerate(ev.examples):
        panels = [("Sentinel-2 RGB", rgb), ("truth", _class_image(truth, ev))]
        panels.append(("prediction", _class_image(pred, ev)))
        for col, (title, image) in enumerate(panels):
            axes[row, col].imshow(image, interpolation="nearest")
            axes[row, col].set_title(title if row == 0 else "")
            axes[row, col].set_axis_off()
    handles = [
        Patch(color=(c[0] / 255, c[1] / 255, c[2] / 255), label=name)
        for name, c in zip(ev.classes, ev.colors, strict=True)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _confusion_figure(ev: SceneEvaluation, path: Path) -> None:
    plt = _plt()
    rows = ev.confusion.sum(axis=1, keepdims=True)
    share = ev.confusion / np.maximum(rows, 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(ev.classes))
    ax.set_xticks(ticks, ev.classes, rotation=40, ha="right")
    ax.set_yticks(ticks, ev.classes)
    for i in ticks:
        for j in ticks:
            ax.text(j, i, f"{share[i, j]:.2f}", ha="center", va="center",
                    color="white" if share[i, j] > 0.5 else "black", fontsize=8)  # fmt: skip
    ax.set_xlabel("prediction")
    ax.set_ylabel("truth")
    ax.set_title("confusion on the held-out scene (share of each true class)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def read_metrics_csv(path: Path) -> dict[str, list[tuple[float, float]]]:
    """Lightning's ``metrics.csv`` as ``{metric: [(x, value), …]}``.

    ``x`` is the step for step-level metrics (``…_step``), the epoch for the others.
    """
    series: dict[str, list[tuple[float, float]]] = {}
    if not path.is_file():
        return series
    with path.open() as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                if key in ("epoch", "step") or not value:
                    continue
                x = float(row["step"]) if key.endswith("_step") else float(row["epoch"])
                series.setdefault(key, []).append((x, float(value)))
    return series


def _curves_figure(series: dict[str, list[tuple[float, float]]], path: Path) -> None:
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for key, label in (("train/loss_step", "train loss (per step)"),):
        if key in series:
            xs, ys = zip(*series[key], strict=True)
            left.plot(xs, ys, label=label, alpha=0.7)
    left.set_xlabel("step")
    left.set_ylabel("loss")
    for key in ("train/loss_epoch", "val/loss"):
        if key in series:
            xs, ys = zip(*series[key], strict=True)
            right.plot(xs, ys, marker="o", label=key)
    if "val/mIoU" in series:
        xs, ys = zip(*series["val/mIoU"], strict=True)
        right.plot(xs, ys, marker="s", label="val/mIoU")
    right.set_xlabel("epoch")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _table(rows: list[tuple[str, str]]) -> str:
    lines = ["| metric | value |", "| --- | ---: |"]
    lines += [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def write_report(
    out: Path, metrics: dict[str, Any], ev: SceneEvaluation, metrics_csv: Path
) -> Path:
    """Draw the figures and write ``report.md``; return its path."""
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    _examples_figure(ev, figures / "examples.png")
    _confusion_figure(ev, figures / "confusion.png")
    _curves_figure(read_metrics_csv(metrics_csv), figures / "curves.png")
    test = metrics["test"]
    main_rows = [(f"test {m}", f"{test[m]:.3f}") for m in ("mIoU", "OA", "AA", "F1")]
    iou_rows = [(f"IoU {name}", f"{test.get(f'IoU_{name}', math.nan):.3f}") for name in ev.classes]
    s = metrics["settings"]
    secs = metrics["seconds"]
    split = metrics["split"]["splits"]
    text = f"""# eoforge demo: land-cover segmentation on a held-out scene

Four synthetic Sentinel-2-like tiles of {s["tile_size"]}² pixels at 10 m, over two UTM zones.
The last tile (`{Path(metrics["held_out_scene"]).name}`) is the **test scene**: no patch of it was
seen in training. The other three were split into blocks of {s["block_pixels"]} pixels:
train {split["train"]["fraction"]:.0%}, validation {split["val"]["fraction"]:.0%} of their area.
A `{s["model"]}` on `{s["backbone"]}` ({s["loss"]} loss) was trained for {s["epochs"]} epochs of
{s["patches_per_epoch"]} random {s["patch_size"]}² patches, bands normalised with the statistics
of the training pixels, all on the EPSG:32633 grid.

## Test metrics (held-out scene, {metrics["test_pixels"]:,} pixels, each counted once)

{_table(main_rows)}

{_table(iou_rows)}

## The held-out scene, mapped

The whole test scene predicted with `eoforge.predict.predict_scene` (tiles of 256², overlap 32,
blended) in its own CRS ({metrics["map"]["crs"]}): `prediction.tif`, a Cloud-Optimised GeoTIFF with
the class names and colours. It agrees with the scene's labels on
{metrics["map"]["agreement_with_labels"]:.1%} of the pixels.

![labels and predicted map of the held-out scene](figures/map.png)

## Test patches

![test patches: RGB, truth, prediction](figures/examples.png)

## Confusion matrix

![confusion matrix](figures/confusion.png)

## Training

![training curves](figures/curves.png)

Times (s): generate {secs["generate"]}, index + split + statistics {secs["index_split_stats"]},
train {secs["train"]}, test {secs["test"]}, map {secs["predict_map"]}, total {secs["total"]}.

The checkpoint `model.ckpt` holds the model with its bands, normalisation and classes;
`eoforge.tasks.load_task("model.ckpt")` rebuilds it. Train the same model from a config with
`eoforge fit --config configs/demo.yaml`.
"""
    path = out / "report.md"
    tmp = out / ".report.md.tmp"
    tmp.write_text(text)
    tmp.replace(path)
    return path
