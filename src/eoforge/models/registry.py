"""The table of model architectures :func:`~eoforge.models.build_model` can build, per task.

An entry is a *builder*: a function called with the keyword arguments ``task``, ``backbone``,
``in_channels`` and ``num_outputs`` (plus the entry's own options) that returns a fresh
``torch.nn.Module``. Entries are of two kinds:

- on a backbone (the default): the image-level heads and the dense decoders, built on any timm
  backbone (``build_model(task, backbone="resnet18", decoder="fpn")``);
- standalone (``standalone=True``): the model brings its own body and is chosen by its name in
  place of a backbone (``build_model("segmentation", backbone="pixel_mlp")``).

The options an entry accepts are the keyword-only parameters of its builder beyond the four
above, unless given explicitly with ``options=``; :func:`~eoforge.models.build_model` rejects any
other option.

Example:
    >>> from eoforge.models import list_models
    >>> list_models("classification")
    ['timm_head']
    >>> "unet" in list_models("segmentation") and "pixel_mlp" in list_models("dense_regression")
    True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from eoforge.errors import ModelConfigError
from eoforge.models.unknown_name import unknown_name_error

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "DENSE_TASKS",
    "IMAGE_TASKS",
    "TASKS",
    "ModelEntry",
    "check_task",
    "list_models",
    "model_entry",
    "register_model",
]

TASKS: Final[tuple[str, ...]] = ("classification", "regression", "segmentation", "dense_regression")
"""Every task a model can be built for."""
IMAGE_TASKS: Final[frozenset[str]] = frozenset({"classification", "regression"})
"""Tasks with one output vector per image: ``(B, num_outputs)``."""
DENSE_TASKS: Final[frozenset[str]] = frozenset({"segmentation", "dense_regression"})
"""Tasks with one output vector per pixel: ``(B, num_outputs, H, W)`` at input resolution."""

_STANDARD_ARGUMENTS: Final = frozenset({"task", "backbone", "in_channels", "num_outputs"})

Builder = Callable[..., "nn.Module"]
B = TypeVar("B", bound=Builder)


@dataclass(frozen=True)
class ModelEntry:
    """One registered architecture.

    Attributes:
        name: The name :func:`~eoforge.models.build_model` knows it by.
        builder: Called as ``builder(task=, backbone=, in_channels=, num_outputs=, **options)``.
        tasks: The tasks it can be built for.
        options: The extra keyword options the builder accepts.
        standalone: True when the model has its own body and takes no timm backbone.
        summary: The first line of the builder's docstring.

    Example:
        >>> from eoforge.models import model_entry
        >>> entry = model_entry("pixel_mlp")
        >>> entry.standalone, sorted(entry.tasks)
        (True, ['dense_regression', 'segmentation'])
    """

    name: str
    builder: Builder
    tasks: frozenset[str]
    options: tuple[str, ...]
    standalone: bool
    summary: str


_REGISTRY: dict[str, ModelEntry] = {}


def check_task(task: str) -> str:
    """Return ``task`` if it is one of :data:`TASKS`, else raise an error listing them.

    Args:
        task: A task name.

    Returns:
        The same name.

    Raises:
        UnknownNameError: ``task`` is not a known task.

    Example:
        >>> check_task("segmentation")
        'segmentation'
    """
    if task not in TASKS:
        raise unknown_name_error("task", task, TASKS)
    return task


def _builder_options(builder: Builder) -> tuple[str, ...]:
    parameters = inspect.signature(builder).parameters.values()
    return tuple(
        p.name
        for p in parameters
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in _STANDARD_ARGUMENTS
    )


def register_model(
    name: str,
    *,
    tasks: Iterable[str],
    standalone: bool = False,
    options: Iterable[str] | None = None,
) -> Callable[[B], B]:
    """Decorator that adds a builder to the table under ``name``.

    Args:
        name: The name to build it by; must not be registered yet.
        tasks: The tasks it supports (each one of :data:`TASKS`).
        standalone: The model has its own body: it is chosen with ``backbone=name``.
        options: The extra keyword options it accepts; by default the builder's keyword-only
            parameters other than ``task``, ``backbone``, ``in_channels``, ``num_outputs``.

    Returns:
        The decorator, which returns the builder unchanged.

    Raises:
        ModelConfigError: ``name`` is taken or ``tasks`` is empty.
        UnknownNameError: A task is not one of :data:`TASKS`.

    Example:
        >>> from torch import nn
        >>> @register_model("doc_identity", tasks=["segmentation"], standalone=True)
        ... def identity(*, task: str, backbone: str, in_channels: int, num_outputs: int):
        ...     '''A model that returns its input.'''
        ...     return nn.Identity()
        >>> "doc_identity" in list_models("segmentation")
        True
        >>> _ = _REGISTRY.pop("doc_identity")  # keep the table clean for other examples
    """
    task_set = frozenset(check_task(task) for task in tasks)
    if not task_set:
        raise ModelConfigError(f"model {name!r} is registered for no task; pass tasks={TASKS}")
    if name in _REGISTRY:
        raise ModelConfigError(
            f"a model named {name!r} is already registered; register yours under another name"
        )

    def decorate(builder: B) -> B:
        doc = inspect.getdoc(builder) or ""
        _REGISTRY[name] = ModelEntry(
            name=name,
            builder=builder,
            tasks=task_set,
            options=tuple(options) if options is not None else _builder_options(builder),
            standalone=standalone,
            summary=doc.splitlines()[0] if doc else "",
        )
        return builder

    return decorate


def model_entry(name: str) -> ModelEntry:
    """The registered entry called ``name``.

    Args:
        name: A name from :func:`list_models`.

    Returns:
        Its entry.

    Raises:
        UnknownNameError: Nothing is registered under ``name``; the message lists what is.

    Example:
        >>> model_entry("unet").standalone
        False
    """
    entry = _REGISTRY.get(name)
    if entry is None:
        raise unknown_name_error("model", name, _REGISTRY)
    return entry


def list_models(task: str | None = None) -> list[str]:
    """Names of the registered architectures, sorted; only those supporting ``task`` if given.

    Args:
        task: One of :data:`TASKS`, or None for all.

    Returns:
        The names, to pass as ``decoder=`` (or as ``backbone=`` for standalone models).

    Raises:
        UnknownNameError: ``task`` is not a known task.

    Example:
        >>> list_models("regression")
        ['timm_head']
    """
    if task is not None:
        check_task(task)
    return sorted(n for n, e in _REGISTRY.items() if task is None or task in e.tasks)
