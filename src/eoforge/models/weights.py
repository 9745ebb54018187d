"""Load a weights file into a model: match key prefixes, adapt the first layer's bands, check.

:func:`load_weights` reads the file (:func:`~eoforge.models.checkpoint_reading.read_state_dict`),
renames its keys to the model's (:func:`~eoforge.models.key_matching.match_keys`: a Lightning
checkpoint's ``model.`` prefix is stripped, say), adapts the first layer's weight
(:func:`~eoforge.models.first_layer.first_layer_name`) to the model's input bands when they
differ from the checkpoint's (:func:`~eoforge.models.band_adaptation.adapt_first_layer`: by
band name when both name lists are given, else by count), and copies the tensors in.

With ``strict=True`` (the default) every model tensor must be in the file with the same shape and
every file tensor must be used, else nothing is loaded and a
:class:`~eoforge.errors.CheckpointError` lists a few missing, unexpected and mismatched tensors.
With ``strict=False`` only the tensors whose names and shapes match are loaded (e.g. a pretrained
backbone under a new head) and the returned :class:`WeightsReport` says what was left out.

Example:
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> from eoforge.models import build_model
    >>> rgb = build_model("segmentation", backbone="pixel_mlp", in_channels=3, num_classes=2)
    >>> path = Path(tempfile.mkdtemp()) / "rgb.pt"
    >>> torch.save({"state_dict": {f"model.{k}": v for k, v in rgb.state_dict().items()}}, path)
    >>> rgbn = build_model("segmentation", backbone="pixel_mlp", in_channels=4, num_classes=2)
    >>> report = load_weights(rgbn, path, in_band_names=["R", "G", "B", "NIR"],
    ...                       checkpoint_band_names=["R", "G", "B"])
    >>> report.stripped_prefix, report.adapted
    ('model.', 'layers.0.weight')
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from eoforge.errors import CheckpointError, ModelConfigError
from eoforge.models.band_adaptation import adapt_first_layer
from eoforge.models.checkpoint_reading import read_state_dict
from eoforge.models.first_layer import first_layer_name
from eoforge.models.key_matching import match_keys

__all__ = ["WeightsReport", "load_weights"]

_SHOWN = 5


@dataclass(frozen=True)
class WeightsReport:
    """What :func:`load_weights` did.

    Attributes:
        path: The weights file.
        loaded: Model keys whose tensors were copied from the file.
        missing: Model keys the file has no tensor for (left as they were).
        unexpected: File keys (renamed) that name no model tensor.
        mismatched: ``(model key, file shape, model shape)`` of tensors of another shape.
        foreign: File keys outside the stripped prefix, ignored (other parts of a checkpoint).
        stripped_prefix: Prefix removed from the file's keys.
        added_prefix: Prefix put in front of them.
        adapted: Model key of the first-layer weight adapted to other bands, or None.

    Example:
        >>> WeightsReport(Path("w.pt"), ("fc.weight",), (), (), (), (), "", "", None).ok
        True
    """

    path: Path
    loaded: tuple[str, ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]
    foreign: tuple[str, ...]
    stripped_prefix: str
    added_prefix: str
    adapted: str | None

    @property
    def ok(self) -> bool:
        """True when every model tensor was loaded and every file tensor was used."""
        return not (self.missing or self.unexpected or self.mismatched)


def _adapt_first(
    model: nn.Module,
    tensors: dict[str, torch.Tensor],
    model_shapes: dict[str, tuple[int, ...]],
    in_band_names: Sequence[str] | None,
    checkpoint_band_names: Sequence[str] | None,
) -> str | None:
    if (in_band_names is None) != (checkpoint_band_names is None):
        raise ModelConfigError(
            "only one of in_band_names/checkpoint_band_names was given; pass both to match "
            "bands by name, or neither to adapt the first layer by band count"
        )
    key = first_layer_name(model) + ".weight"
    if key not in tensors or key not in model_shapes:
        return None
    old, shape = tensors[key], model_shapes[key]
    if old.ndim != len(shape) or old.shape[0] != shape[0] or old.shape[2:] != shape[2:]:
        return None  # not the same layer: reported as a mismatch
    if in_band_names is not None and checkpoint_band_names is not None:
        if len(in_band_names) != shape[1]:
            raise ModelConfigError(
                f"in_band_names has {len(in_band_names)} names for a model with {shape[1]} input "
                "bands; pass one name per model input band"
            )
        if len(checkpoint_band_names) != old.shape[1]:
            raise CheckpointError(
                f"checkpoint_band_names has {len(checkpoint_band_names)} names but the "
                f"checkpoint's first layer {key!r} takes {old.shape[1]} bands; pass the bands the "
                "checkpoint was trained on, in order"
            )
        if list(in_band_names) == list(checkpoint_band_names):
            return None
    elif old.shape[1] == shape[1]:
        return None
    tensors[key] = adapt_first_layer(
        old, shape[1], old_bands=checkpoint_band_names, new_bands=in_band_names
    )
    return key


def _mismatch_message(
    path: Path,
    report: WeightsReport,
    file_shapes: dict[str, tuple[int, ...]],
    model_shapes: dict[str, tuple[int, ...]],
) -> str:
    parts = []
    if report.missing:
        shown = ", ".join(f"{k!r} {list(model_shapes[k])}" for k in report.missing[:_SHOWN])
        parts.append(f"{len(report.missing)} model tensors missing from the file (e.g. {shown})")
    if report.unexpected:
        shown = ", ".join(f"{k!r} {list(file_shapes[k])}" for k in report.unexpected[:_SHOWN])
        parts.append(f"{len(report.unexpected)} file tensors not in the model (e.g. {shown})")
    if report.mismatched:
        shown = ", ".join(
            f"{k!r}: file {list(f)} vs model {list(m)}" for k, f, m in report.mismatched[:_SHOWN]
        )
        parts.append(f"{len(report.mismatched)} tensors of another shape ({shown})")
    changes = [f"prefix {report.stripped_prefix!r} removed"] if report.stripped_prefix else []
    changes += [f"prefix {report.added_prefix!r} added"] if report.added_prefix else []
    prefix = f" (file keys read with {' and '.join(changes)})" if changes else ""
    return (
        f"weights file {path} does not fit the model{prefix}: " + "; ".join(parts) + ". Build the "
        "model as the checkpoint was trained (same backbone, decoder, num_classes and input "
        "bands), or pass strict=False to load only the tensors that match"
    )


def load_weights(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    in_band_names: Sequence[str] | None = None,
    checkpoint_band_names: Sequence[str] | None = None,
    strict: bool = True,
) -> WeightsReport:
    """Copy the tensors of a weights file into ``model`` (in place).

    Args:
        model: The model to load into.
        path: A ``.safetensors``, ``.pt``/``.pth``/``.bin`` or Lightning ``.ckpt`` file.
        in_band_names: The model's input bands, in channel order.
        checkpoint_band_names: The bands the checkpoint was trained on, in channel order. With
            both lists the first layer is adapted by name whenever they differ; with neither it is
            adapted by count when the channel counts differ.
        strict: Require every tensor to match (else load what matches and report the rest).

    Returns:
        A :class:`WeightsReport`.

    Raises:
        NoFilesError: The file does not exist.
        CheckpointError: The file cannot be read, or (``strict``) its tensors do not fit.
        ModelConfigError: Band-name lists that do not fit the model.

    Example:
        >>> from eoforge.models import build_model
        >>> load_weights(build_model("classification"), "none.pt")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: weights file none.pt does not exist; check the path
    """
    file = Path(path)
    stored = read_state_dict(file)
    model_state = model.state_dict()
    shapes = {k: tuple(v.shape) for k, v in model_state.items()}
    match = match_keys(stored, model_state)
    tensors = {match.renamed[k]: v for k, v in stored.items() if k in match.renamed}
    adapted = _adapt_first(model, tensors, shapes, in_band_names, checkpoint_band_names)
    fitting = {k: v for k, v in tensors.items() if k in shapes and tuple(v.shape) == shapes[k]}
    report = WeightsReport(
        path=file,
        loaded=tuple(k for k in model_state if k in fitting),
        missing=tuple(k for k in model_state if k not in tensors),
        unexpected=tuple(k for k in tensors if k not in shapes),
        mismatched=tuple(
            (k, tuple(v.shape), shapes[k])
            for k, v in tensors.items()
            if k in shapes and k not in fitting
        ),
        foreign=match.foreign,
        stripped_prefix=match.strip,
        added_prefix=match.add,
        adapted=adapted,
    )
    if strict and not report.ok:
        file_shapes = {k: tuple(v.shape) for k, v in tensors.items()}
        raise CheckpointError(_mismatch_message(file, report, file_shapes, shapes))
    model.load_state_dict(fitting, strict=False)
    return report
