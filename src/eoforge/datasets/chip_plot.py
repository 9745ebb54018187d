"""``plot_chip``: the figure of one chip — image, label or mask in class colours, and a prediction.

The image is an RGB composite of the dataset's ``rgb_bands`` (else its first band in grey), each
band stretched from its 2nd to its 98th percentile (the stretch of
:func:`~eoforge.data.sample_plot.plot_sample`). By task:

- ``classification`` / ``multilabel``: the class name(s) as the title, with the predicted ones
  beside (a class id, a multi-hot vector, or per-class probabilities);
- ``segmentation`` (and ``instances`` with a ``mask``): the mask in the class colours with a
  legend of the classes shown, and the predicted mask (or per-class scores) beside it;
- ``regression``: a dense ``target`` as a map (NaN = unlabelled, transparent) with the
  prediction beside it on the same colour scale, or a scalar target as the title.

Uses matplotlib's object API (no pyplot), so it works in scripts, notebooks and workers.

Example:
    >>> import torch
    >>> sample = {"image": torch.rand(3, 8, 8), "bands": ["R", "G", "B"],
    ...           "mask": torch.zeros(8, 8, dtype=torch.int64)}
    >>> fig = plot_chip(sample, task="segmentation", classes=("water", "land"),
    ...                 rgb_bands=("R", "G", "B"))
    >>> [ax.get_title() for ax in fig.axes]
    ['R, G, B', 'mask']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from eoforge.data.sample_plot import _stretch  # the one percentile stretch of eoforge's figures
from eoforge.errors import EoforgeError

__all__ = ["class_palette", "plot_chip"]

_IGNORED_COLOR = (0, 0, 0)


def _array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def class_palette(num_classes: int, colors: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """A ``(num_classes, 3)`` uint8 palette: the given colours, else matplotlib's ``tab20``.

    Example:
        >>> class_palette(2, [(0, 0, 255), (0, 255, 0)]).tolist()
        [[0, 0, 255], [0, 255, 0]]
        >>> class_palette(3).shape
        (3, 3)
    """
    if colors:
        return np.asarray([list(c)[:3] for c in colors], dtype=np.uint8)[:num_classes]
    from matplotlib import colormaps

    table = colormaps["tab20"](np.arange(max(num_classes, 1)) % 20)[:, :3]
    return np.asarray(np.round(table * 255), dtype=np.uint8)[:num_classes]


def _class_name(index: int, classes: Sequence[str]) -> str:
    return classes[index] if 0 <= index < len(classes) else str(index)


def _image_panel(sample: Mapping[str, Any], rgb_bands: Sequence[str] | None) -> tuple[Any, str]:
    image = _array(sample["image"]).astype(np.float32)
    if image.ndim == 2:
        image = image[None]
    names = [str(b) for b in sample.get("bands", [f"B{i + 1}" for i in range(image.shape[0])])]
    picked = [0]
    if rgb_bands is not None and all(b in names for b in rgb_bands):
        picked = [names.index(b) for b in rgb_bands]
    valid = _array(sample["valid"]).astype(bool) if "valid" in sample else None
    shown = _stretch(image[picked], valid)
    title = ", ".join(names[i] for i in picked)
    return (np.moveaxis(shown, 0, -1) if len(picked) == 3 else shown[0]), title


def _label_text(value: Any, task: str, classes: Sequence[str]) -> str:
    """Class name(s) of a label: a class id, a multi-hot vector, or per-class probabilities."""
    values = _array(value)
    if values.ndim == 0:
        return _class_name(int(values), classes)
    scores = values.astype(np.float64).ravel()
    if task == "multilabel":
        on = np.flatnonzero(scores >= 0.5)
        return ", ".join(_class_name(int(i), classes) for i in on) or "(none)"
    best = int(np.argmax(scores))
    is_probability = bool(np.all((scores >= 0) & (scores <= 1)) and abs(scores.sum() - 1) < 1e-3)
    extra = f" ({scores[best]:.2f})" if is_probability and not np.isin(scores, (0, 1)).all() else ""
    return _class_name(best, classes) + extra


def _class_map(value: Any) -> np.ndarray:
    """A ``(H, W)`` class map from a mask or from ``(K, H, W)`` per-class scores."""
    values = _array(value)
    if values.ndim == 3 and values.shape[0] > 1:
        return np.asarray(values.argmax(axis=0), dtype=np.int64)
    return np.asarray(values.reshape(values.shape[-2:]), dtype=np.int64)


def _paint(labels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    out = np.empty((*labels.shape, 3), dtype=np.uint8)
    out[:] = _IGNORED_COLOR
    known = (labels >= 0) & (labels < len(palette))
    out[known] = palette[labels[known]]
    return out


def _rgb01(color: Sequence[int] | np.ndarray) -> tuple[float, float, float]:
    red, green, blue = (float(c) / 255 for c in list(color)[:3])
    return (red, green, blue)


def _legend(fig: Any, maps: list[np.ndarray], palette: np.ndarray, classes: Sequence[str]) -> None:
    from matplotlib.patches import Patch

    present = np.unique(np.concatenate([m.ravel() for m in maps]))
    handles = [
        Patch(color=_rgb01(palette[i]), label=_class_name(int(i), classes))
        for i in present
        if 0 <= i < len(palette)
    ]
    if any(not 0 <= i < len(palette) for i in present):
        handles.append(Patch(color=_rgb01(_IGNORED_COLOR), label="ignored / unknown"))
    fig.legend(handles=handles, loc="outside right center", frameon=False)


def plot_chip(
    sample: Mapping[str, Any],
    prediction: Any = None,
    *,
    task: str,
    classes: Sequence[str] = (),
    colors: Sequence[Sequence[int]] = (),
    rgb_bands: Sequence[str] | None = None,
    ignore_index: int | None = None,
    show_titles: bool = True,
    suptitle: str | None = None,
) -> Any:
    """Draw a chip and its truth (and a prediction beside it, when given).

    Args:
        sample: a sample dict (``image`` (C, H, W), ``bands``; ``label`` / ``mask`` /
            ``target``; optional ``valid``).
        prediction: a class id, multi-hot vector or per-class probabilities (classification,
            multilabel); a class map ``(H, W)`` or scores ``(K, H, W)`` (segmentation); a value or
            map (regression).
        task: ``"classification"``, ``"multilabel"``, ``"segmentation"``, ``"regression"`` or
            ``"instances"``.
        classes: class names (the index is the class id).
        colors: an RGB colour per class (0-255); matplotlib's ``tab20`` colours by default.
        rgb_bands: three band names shown as red, green, blue; the first band in grey otherwise.
        ignore_index: the mask value of unlabelled pixels (drawn black, as any unknown value).
        show_titles: title each panel.
        suptitle: the figure title.

    Returns:
        A ``matplotlib.figure.Figure``.

    Raises:
        EoforgeError: matplotlib is not installed.

    Example:
        >>> import torch
        >>> sample = {"image": torch.rand(2, 8, 8), "bands": ["VV", "VH"], "label": torch.tensor(1)}
        >>> plot_chip(sample, torch.tensor([0.2, 0.8]), task="classification",
        ...           classes=("sea", "ship")).axes[0].get_title()
        'truth: ship | prediction: ship (0.80)'
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - matplotlib is a dependency
        raise EoforgeError(
            "plot() needs matplotlib; install it with: pip install matplotlib"
        ) from err

    image, image_title = _image_panel(sample, rgb_bands)
    panels: list[tuple[str, Any]] = []
    title = image_title
    truth_key = {"regression": "target"}.get(task, "mask")
    dense_truth = truth_key in sample and _array(sample[truth_key]).ndim >= 2
    if task in ("classification", "multilabel") and "label" in sample:
        title = _label_text(sample["label"], task, classes)
        if prediction is not None:
            title = f"truth: {title} | prediction: {_label_text(prediction, task, classes)}"
    elif dense_truth:
        panels.append((truth_key, sample[truth_key]))
        if prediction is not None:
            panels.append(("prediction", prediction))
    elif task == "regression" and "target" in sample:
        title = f"target: {float(_array(sample['target']).ravel()[0]):.4g}"
        if prediction is not None:
            title += f" | prediction: {float(_array(prediction).ravel()[0]):.4g}"

    fig = Figure(figsize=(4 * (1 + len(panels)) + (1.5 if panels else 0), 4), layout="constrained")
    axes = fig.subplots(1, 1 + len(panels), squeeze=False)[0]
    axes[0].imshow(image, **({} if image.ndim == 3 else {"cmap": "gray"}))
    if show_titles:
        axes[0].set_title(title)
    if panels and task == "regression":
        maps = [np.squeeze(_array(v).astype(np.float64)) for _, v in panels]
        finite = np.concatenate([m[np.isfinite(m)].ravel() for m in maps])
        limits = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        for ax, (key, _), layer in zip(axes[1:], panels, maps, strict=True):
            shown = ax.imshow(np.ma.masked_invalid(layer), cmap="viridis", vmin=limits[0],
                              vmax=limits[1], interpolation="nearest")  # fmt: skip
            if show_titles:
                ax.set_title(key)
        fig.colorbar(shown, ax=list(axes[1:]), shrink=0.8)
    elif panels:
        class_maps = [_class_map(v) for _, v in panels]
        if ignore_index is not None:
            class_maps = [np.where(m == ignore_index, -1, m) for m in class_maps]
        count = len(classes) or int(max(m.max(initial=0) for m in class_maps)) + 1
        palette = class_palette(count, colors)
        for ax, (key, _), labels in zip(axes[1:], panels, class_maps, strict=True):
            ax.imshow(_paint(labels, palette), interpolation="nearest")
            if show_titles:
                ax.set_title(key)
        _legend(fig, class_maps, palette, classes)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle is not None:
        fig.suptitle(suptitle)
    return fig
