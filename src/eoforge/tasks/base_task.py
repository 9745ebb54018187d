"""``EOTask``: what every eoforge task shares — model, normalisation, optimiser, checkpoint facts.

A task is a ``LightningModule`` built from plain arguments (so that a YAML file configures it
through ``eoforge fit --config``). What depends on the data — the band names, the number of
classes, their names and colours, the per-band statistics — need not be configured: when
training starts, the task takes it from the data module (its ``data_info()``, see
:class:`~eoforge.tasks.DataInfo`) and records it in its hyper-parameters. A checkpoint therefore
carries everything needed to apply the model later: ``load_task(path)`` rebuilds it, normaliser
included, with no data module.

Inputs are normalised inside the task (``self.normalize``, an :class:`eoforge.transforms.Normalize`
in the state dict), so training, validation, test and prediction can never disagree on it.
Training batches are augmented with the eight flips/rotations of the square
(:class:`eoforge.transforms.RandomFlipRotate`) unless ``augment=False``.

Example:
    >>> from eoforge.tasks import SegmentationTask
    >>> task = SegmentationTask(backbone="pixel_mlp", data_info={"bands": ["B04", "B08"],
    ...                         "classes": ["water", "land"], "mean": [0, 0], "std": [1, 1]})
    >>> task.hparams.in_channels, task.hparams.num_classes
    (2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import torch
from lightning.pytorch import LightningModule
from torch import Tensor, nn
from torchmetrics import MetricCollection

from eoforge.errors import EoforgeError
from eoforge.models import load_weights
from eoforge.tasks.data_info import DataInfo
from eoforge.tasks.trained_model import build_modules
from eoforge.transforms.flips import RandomFlipRotate

__all__ = ["SPLITS", "EOTask"]

SPLITS = ("train", "val", "test")
Batch = dict[str, Any]


class EOTask(LightningModule):
    """The shared part of the tasks (not used directly: pick a subclass).

    Args:
        model: the decoder or head (``"unet"``, ``"fpn"``, ``"deeplabv3plus"``, ``"upernet"``,
            ``"unet_tiny"``, ``"timm_head"``; see :func:`eoforge.models.list_models`), or
            ``None`` for the task's default.
        backbone: a timm backbone (``"resnet18"``, …) or a standalone model (``"pixel_mlp"``).
        weights: a local weights file for the model (``.safetensors``, ``.pt``, ``.ckpt``),
            loaded strictly; when it is an eoforge checkpoint trained on other bands, the first
            layer is adapted band by band (:func:`eoforge.models.adapt_first_layer`), else by
            band count.
        in_channels: input bands; by default the data module's.
        num_classes: classes (or regressed variables); by default the data module's.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        scheduler: ``"cosine"`` (cosine decay over the run) or ``None`` (constant).
        augment: flip/rotate training batches at random.
        freeze_backbone: train the decoder/head only.
        model_options: extra keyword arguments of :func:`eoforge.models.build_model`.
        data_info: the data facts (filled from the data module at fit time; kept in checkpoints).
    """

    kind: ClassVar[str] = ""
    """The :func:`~eoforge.models.build_model` task this task trains (see :attr:`model_task`)."""
    loss_fn: nn.Module | None
    model: nn.Module | None

    def __init__(
        self,
        *,
        model: str | None = None,
        backbone: str = "resnet18",
        weights: str | None = None,
        in_channels: int | None = None,
        num_classes: int | None = None,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        scheduler: str | None = "cosine",
        augment: bool = True,
        freeze_backbone: bool = False,
        model_options: dict[str, Any] | None = None,
        data_info: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if scheduler not in (None, "cosine"):
            raise EoforgeError(f"scheduler={scheduler!r} is not known; use 'cosine' or null")
        self.save_hyperparameters()
        shared = {
            "model": model, "backbone": backbone, "weights": weights, "in_channels": in_channels,
            "num_classes": num_classes, "lr": lr, "weight_decay": weight_decay,
            "scheduler": scheduler, "augment": augment, "freeze_backbone": freeze_backbone,
            "model_options": model_options, "data_info": data_info,
        }  # fmt: skip
        for key, value in shared.items():  # Lightning's CLI saves only the subclass's own names
            self.hparams.setdefault(key, value)
        self.model = None
        self.normalize: nn.Module = nn.Identity()
        self.augmenter = RandomFlipRotate()
        self.metrics = nn.ModuleDict()
        self.loss_fn = None
        if self._info_from_hparams() is not None:
            self.configure_model()

    @property
    def hp(self) -> Any:
        """The hyper-parameters, with attribute access (``self.hp.lr``)."""
        return self.hparams

    # ------------------------------------------------------------------ building
    @property
    def model_task(self) -> str:
        """The :func:`~eoforge.models.build_model` task of this task's model."""
        return self.kind

    def _info_from_hparams(self) -> DataInfo | None:
        data = self.hparams.get("data_info")
        return None if data is None else DataInfo.from_dict(data)

    def _info_from_datamodule(self) -> DataInfo | None:
        trainer = self._trainer
        datamodule = getattr(trainer, "datamodule", None) if trainer is not None else None
        describe = getattr(datamodule, "data_info", None)
        return DataInfo.from_dict(describe()) if callable(describe) else None

    def default_num_classes(self, info: DataInfo) -> int:
        """The number of model outputs when ``num_classes`` is not given."""
        if info.num_classes:
            return info.num_classes
        raise EoforgeError(
            f"{type(self).__name__} needs num_classes: the data names no classes; set "
            "model.init_args.num_classes in the config"
        )

    def configure_model(self) -> None:
        """Build the model and normaliser once the data facts are known (Lightning hook)."""
        if self.model is not None:
            return
        info = self._info_from_hparams() or self._info_from_datamodule()
        if info is None:
            raise EoforgeError(
                f"{type(self).__name__} cannot be built: no data_info was given and the data "
                "module does not describe its data; train it with an eoforge data module or "
                "pass data_info={'bands': [...], ...}"
            )
        in_channels = self.hp.in_channels or info.in_channels
        if in_channels != info.in_channels:
            raise EoforgeError(
                f"in_channels={in_channels} but the data has {info.in_channels} bands "
                f"({', '.join(info.bands)}); drop in_channels or select matching bands"
            )
        num_classes = self.hp.num_classes or self.default_num_classes(info)
        self.hparams.update(
            in_channels=in_channels, num_classes=num_classes, data_info=info.to_dict()
        )
        self.normalize, self.model = build_modules(
            self.model_task, self.hparams, info, in_channels, num_classes
        )
        if self.hp.weights is not None:
            self._load_weights(self.model, self.hp.weights, info)
        if self.hp.freeze_backbone:
            self._freeze_backbone(self.model)
        self.loss_fn = self.build_loss(info)
        self.metrics = nn.ModuleDict(
            {f"{split}_metrics": self.build_metrics(info) for split in SPLITS}
        )

    @staticmethod
    def _load_weights(model: nn.Module, path: str, info: DataInfo) -> None:
        """Load ``weights``; an eoforge checkpoint's first layer is adapted by band name."""
        from eoforge.tasks.checkpoint import saved_bands

        trained_on = saved_bands(path)
        load_weights(
            model,
            path,
            in_band_names=list(info.bands) if trained_on else None,
            checkpoint_band_names=trained_on,
        )

    @staticmethod
    def _freeze_backbone(model: nn.Module) -> None:
        encoder = getattr(model, "encoder", None)
        if isinstance(encoder, nn.Module):
            encoder.requires_grad_(False)
            return
        head = getattr(model, "get_classifier", None)
        if callable(head) and isinstance(head(), nn.Module):
            model.requires_grad_(False)
            head().requires_grad_(True)
            return
        raise EoforgeError(
            f"freeze_backbone=True, but {type(model).__name__} has no separate backbone; use a "
            "timm backbone with a decoder or head"
        )

    def build_loss(self, info: DataInfo) -> nn.Module:
        """The loss (subclasses)."""
        raise NotImplementedError

    def build_metrics(self, info: DataInfo) -> MetricCollection:
        """The metrics of one split (subclasses)."""
        raise NotImplementedError

    def split_metrics(self, split: str) -> MetricCollection:
        """The metric collection of ``split`` (``"train"``, ``"val"`` or ``"test"``)."""
        return cast(MetricCollection, self.metrics[f"{split}_metrics"])

    @property
    def data_info(self) -> DataInfo:
        """The data facts this task was built with."""
        info = self._info_from_hparams()
        if info is None:
            raise EoforgeError("the task has not been built yet; call configure_model() first")
        return info

    # ------------------------------------------------------------------ running
    def forward(self, image: Tensor) -> Tensor:
        """Raw model outputs (logits or values) for a ``(B, C, H, W)`` image batch."""
        if self.model is None:
            self.configure_model()
        assert self.model is not None
        return self.model(self.normalize(image))  # type: ignore[no-any-return]

    def transfer_batch_to_device(
        self, batch: Any, device: torch.device, dataloader_idx: int
    ) -> Any:
        """Move the batch's tensors; leave its metadata (``grid``, ``bands``, …) as it is."""
        if isinstance(batch, Mapping):
            return {
                key: value.to(device) if isinstance(value, Tensor) else value
                for key, value in batch.items()
            }
        return super().transfer_batch_to_device(batch, device, dataloader_idx)

    def step(self, batch: Batch, split: str) -> Tensor:
        """Loss of one batch; update the split's metrics (subclasses)."""
        raise NotImplementedError

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        """One optimisation step on an (augmented) batch."""
        if self.hp.augment:
            batch = self.augmenter(batch)
        return self._logged_step(batch, "train")

    def validation_step(self, batch: Batch, batch_idx: int) -> Tensor:
        """Loss and metrics on a validation batch."""
        return self._logged_step(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> Tensor:
        """Loss and metrics on a test batch."""
        return self._logged_step(batch, "test")

    def _logged_step(self, batch: Batch, split: str) -> Tensor:
        loss = self.step(batch, split)
        size = int(batch["image"].shape[0])
        self.log(f"{split}/loss", loss, on_step=split == "train", on_epoch=True, batch_size=size)
        return loss

    def _log_epoch_metrics(self, split: str) -> None:
        metrics = self.split_metrics(split)
        if not any(metric.update_count for metric in metrics.values()):
            return  # nothing seen in this split this epoch
        values = _flatten(metrics.compute())
        self.log_dict({f"{split}/{k}": v for k, v in values.items()})
        metrics.reset()

    def on_train_epoch_end(self) -> None:
        """Log the epoch's training metrics."""
        self._log_epoch_metrics("train")

    def on_validation_epoch_end(self) -> None:
        """Log the validation metrics."""
        self._log_epoch_metrics("val")

    def on_test_epoch_end(self) -> None:
        """Log the test metrics."""
        self._log_epoch_metrics("test")

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Record the task class, eoforge version and data facts (see :func:`load_task`)."""
        import eoforge

        cls = type(self)
        checkpoint["eoforge"] = {
            "task": f"{cls.__module__}.{cls.__qualname__}",
            "model_task": self.model_task,
            "version": eoforge.__version__,
            "data_info": self.data_info.to_dict(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuse a checkpoint whose model was trained on other bands than this task's data."""
        facts = checkpoint.get("eoforge")
        current = self._info_from_hparams()
        if facts is None or current is None:
            return
        saved = DataInfo.from_dict(facts["data_info"])
        if saved.bands != current.bands:
            raise EoforgeError(
                f"the checkpoint was trained on bands {list(saved.bands)} but the data gives "
                f"{list(current.bands)}; select the checkpoint's bands in the data module "
                "(data.init_args.bands), in the same order"
            )

    def configure_optimizers(self) -> Any:
        """AdamW over the trainable parameters, with cosine decay when asked."""
        params = [p for p in self.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=self.hp.lr, weight_decay=self.hp.weight_decay)
        if self.hp.scheduler is None:
            return optimizer
        steps = int(self.trainer.estimated_stepping_batches)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(steps, 1))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}


def _flatten(values: Mapping[str, Any]) -> dict[str, Tensor]:
    out: dict[str, Tensor] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value))
        else:
            out[key] = value
    return out
