"""Read the tensors of a weights file: safetensors, PyTorch state dicts, Lightning checkpoints.

Formats, by file suffix:

- ``.safetensors``: read with ``safetensors.torch.load_file``;
- ``.pt``, ``.pth``, ``.bin``, ``.ckpt``: read with ``torch.load(weights_only=True)`` (no
  arbitrary code runs). The tensors are the file itself when it is a flat ``{name: tensor}``
  dict (``torch.save(model.state_dict(), path)``), else its ``"state_dict"`` entry (Lightning
  checkpoints, many training scripts), else its ``"model"`` entry.

Everything is loaded onto the CPU.

Example:
    >>> import tempfile, torch
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "w.pt"
    >>> torch.save({"epoch": 3, "state_dict": {"model.fc.weight": torch.ones(2, 2)}}, path)
    >>> list(read_state_dict(path))
    ['model.fc.weight']
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from eoforge.errors import CheckpointError, NoFilesError

__all__ = ["TORCH_SUFFIXES", "read_state_dict"]

TORCH_SUFFIXES: Final[tuple[str, ...]] = (".pt", ".pth", ".bin", ".ckpt")
"""Suffixes read with ``torch.load``."""
_NESTED_KEYS: Final = ("state_dict", "model")


def _tensors_of(content: object, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(content, Mapping):
        raise CheckpointError(
            f"weights file {path} holds a {type(content).__name__}, not a dict of tensors; save "
            "model.state_dict() (torch.save or safetensors), not the model object"
        )
    if content and all(isinstance(v, torch.Tensor) for v in content.values()):
        return {str(k): v for k, v in content.items()}
    for key in _NESTED_KEYS:
        nested = content.get(key)
        if isinstance(nested, Mapping):
            return _tensors_of(nested, path)
    others = [str(k) for k, v in content.items() if not isinstance(v, torch.Tensor)][:5]
    raise CheckpointError(
        f"weights file {path} holds no state dict: its keys {list(map(str, content))[:8]} are "
        f"not all tensors (e.g. {others}) and it has no 'state_dict' or 'model' entry; save "
        "model.state_dict(), or a dict with the state dict under 'state_dict'"
    )


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The ``{name: tensor}`` state dict stored in a weights file.

    Args:
        path: A ``.safetensors``, ``.pt``, ``.pth``, ``.bin`` or ``.ckpt`` file.

    Returns:
        The tensors, on the CPU, with the file's key names (prefixes not stripped).

    Raises:
        NoFilesError: The file does not exist.
        CheckpointError: The suffix is unknown, the file is corrupt or holds Python objects other
            than tensors and plain containers, or it holds no state dict.

    Example:
        >>> read_state_dict("missing.safetensors")
        Traceback (most recent call last):
        ...
        eoforge.errors.NoFilesError: weights file missing.safetensors does not exist; check the path
    """
    file = Path(path)
    if not file.is_file():
        raise NoFilesError(f"weights file {file} does not exist; check the path")
    suffix = file.suffix.lower()
    if suffix == ".safetensors":
        try:
            return load_file(str(file), device="cpu")
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(
                f"weights file {file} is not a readable safetensors file ({err}); re-save it with "
                "safetensors.torch.save_file(model.state_dict(), path)"
            ) from err
    if suffix not in TORCH_SUFFIXES:
        raise CheckpointError(
            f"weights file {file} has an unknown format {suffix!r}; use .safetensors, or a "
            f"PyTorch file ({', '.join(TORCH_SUFFIXES)})"
        )
    try:
        content = torch.load(file, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"weights file {file} holds Python objects that are not tensors or plain containers "
            f"and eoforge does not unpickle them ({str(err).splitlines()[0]}); re-save only the "
            "state dict: torch.save(model.state_dict(), path)"
        ) from err
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise CheckpointError(
            f"weights file {file} cannot be read by torch.load ({err}); is it complete and a "
            "PyTorch file?"
        ) from err
    return _tensors_of(content, file)
