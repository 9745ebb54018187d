"""``TrainedModel``: what applying a trained task needs — normaliser, model, data facts — alone.

A task (:class:`~eoforge.tasks.EOTask`) is a ``LightningModule``: it carries the loss, the metrics
and the optimiser set-up, and importing it imports Lightning and torchmetrics (about 1.5 s and
100 MB in every process). Prediction needs none of it. :func:`load_trained_model` rebuilds
the normaliser and the model of an eoforge checkpoint from its hyper-parameters and loads their
weights strictly, with ``torch.load`` and :func:`eoforge.models.build_model` only; given a task
in memory, it takes the task's own modules (no copy).

Example:
    >>> import tempfile, torch
    >>> from eoforge.tasks import SegmentationTask, save_task
    >>> task = SegmentationTask(backbone="pixel_mlp", data_info={"bands": ["B04", "B08"],
    ...                         "classes": ["water", "land"], "mean": [0, 0], "std": [1, 1]})
    >>> path = save_task(task, tempfile.mkdtemp() + "/task.ckpt")
    >>> trained = load_trained_model(path)
    >>> trained.model_task, trained.num_classes, trained.data_info.bands
    ('segmentation', 2, ('B04', 'B08'))
    >>> x = torch.rand(1, 2, 8, 8)
    >>> bool(torch.equal(trained(x), task.eval()(x)))
    True
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from eoforge.errors import EoforgeError
from eoforge.models import build_model
from eoforge.tasks.checkpoint_file import CHECKPOINT_KEY, checkpoint_model_task, read_checkpoint
from eoforge.tasks.data_info import DataInfo
from eoforge.transforms.normalize import Normalize

__all__ = ["TrainedModel", "build_modules", "load_trained_model"]


class TrainedModel(nn.Module):
    """A trained model with its normaliser and data facts, in eval mode.

    Args:
        normalize: the input normalisation (``nn.Identity`` when the task had none).
        model: the network, mapping normalised ``(B, C, H, W)`` images to outputs.
        data_info: the bands, classes, colours and normalisation of the training data.
        model_task: the :func:`~eoforge.models.build_model` task (``"segmentation"``, …).
        num_classes: the model's outputs per pixel or image (classes or regressed variables).
    """

    def __init__(
        self,
        normalize: nn.Module,
        model: nn.Module,
        data_info: DataInfo,
        model_task: str,
        num_classes: int,
    ) -> None:
        super().__init__()
        self.normalize = normalize
        self.model = model
        self.data_info = data_info
        self.model_task = model_task
        self.num_classes = num_classes
        self.eval()

    def forward(self, image: Tensor) -> Tensor:
        """Raw model outputs (logits or values) for a ``(B, C, H, W)`` image batch."""
        return self.model(self.normalize(image))  # type: ignore[no-any-return]


def build_modules(
    kind: str, hparams: Mapping[str, Any], info: DataInfo, in_channels: int, num_classes: int
) -> tuple[nn.Module, nn.Module]:
    """A task's fresh normaliser and network, from its hyper-parameters and data facts.

    What :meth:`EOTask.configure_model <eoforge.tasks.EOTask.configure_model>` builds and a
    checkpoint's weights fit: ``Normalize`` when the data has statistics (else
    ``nn.Identity``), and :func:`~eoforge.models.build_model` of the task's backbone, decoder
    and model options.

    Example:
        >>> info = DataInfo.from_dict({"bands": ["B04"], "classes": ["a", "b"]})
        >>> norm, net = build_modules("segmentation", {"backbone": "pixel_mlp"}, info, 1, 2)
        >>> type(norm).__name__, type(net).__name__
        ('Identity', 'PixelMLP')
    """
    normalize: nn.Module = nn.Identity()
    if info.mean:
        normalize = Normalize(info.mean, info.std, bands=info.bands)
    model = build_model(
        kind,
        backbone=hparams.get("backbone", "resnet18"),
        decoder=hparams.get("model"),
        in_channels=in_channels,
        num_classes=num_classes,
        **(hparams.get("model_options") or {}),
    )
    return normalize, model


def _part(state: Mapping[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def _from_checkpoint(path: str | os.PathLike[str], map_location: str) -> TrainedModel:
    checkpoint = read_checkpoint(path)
    kind = checkpoint_model_task(checkpoint, f"'{path}'")
    info = DataInfo.from_dict(checkpoint[CHECKPOINT_KEY]["data_info"])
    hp = checkpoint.get("hyper_parameters", {})
    state = checkpoint.get("state_dict", {})
    num_classes = int(hp.get("num_classes") or info.num_classes or 1)
    in_channels = int(hp.get("in_channels") or info.in_channels)
    normalize, model = build_modules(kind, hp, info, in_channels, num_classes)
    for name, module in (("model", model), ("normalize", normalize)):
        try:
            module.load_state_dict(_part(state, name + "."), strict=True)
        except RuntimeError as err:
            raise EoforgeError(
                f"the {name} weights of '{path}' do not fit the {name} its hyper-parameters "
                f"describe ({str(err).splitlines()[0]}); the file was changed after it was "
                "written, or by another eoforge version"
            ) from err
    trained = TrainedModel(normalize, model, info, kind, num_classes)
    return trained.to(map_location)


def load_trained_model(
    source: str | os.PathLike[str] | nn.Module, *, map_location: str = "cpu"
) -> TrainedModel:
    """The trained model of an eoforge checkpoint, or of a task in memory, in eval mode.

    Args:
        source: a ``.ckpt`` written by an eoforge task (``eoforge fit``, :func:`save_task`), a
            trained :class:`~eoforge.tasks.EOTask` (its modules are shared, not copied), or a
            :class:`TrainedModel` (returned as it is).
        map_location: the device of the returned model.

    Raises:
        NoFilesError: the checkpoint does not exist.
        EoforgeError: it is not an eoforge task checkpoint, names an unknown task, or its
            weights do not fit its model; a module that is not an eoforge task.
    """
    if isinstance(source, TrainedModel):
        return source
    if isinstance(source, nn.Module):
        base = sys.modules.get("eoforge.tasks.base_task")  # a task means it is imported
        if base is None or not isinstance(source, base.EOTask):
            raise EoforgeError(
                f"expected an eoforge checkpoint path or a trained eoforge task, got a "
                f"{type(source).__name__}; wrap plain models in an eoforge task"
            )
        task: Any = source
        if task.model is None:
            task.configure_model()
        return TrainedModel(
            task.normalize, task.model, task.data_info, task.model_task,
            int(task.hp.num_classes),
        )  # fmt: skip
    return _from_checkpoint(source, map_location)
