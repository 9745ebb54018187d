"""One chip-store record: a sample dict ⇄ the bytes of one safetensors file.

Every tensor and numpy array of the sample is a safetensors tensor under its own key, dtype and
shape kept exactly. Everything else goes into the safetensors metadata (``str`` → ``str``), as
JSON:

- ``__format__``: ``"eoforge.chip/1"`` (the record's format and version);
- ``__order__``: the sample's keys in their order;
- ``__types__``: ``{key: type}`` for values that are not plain tensors or JSON: ``"ndarray"``
  (a numpy array), ``"scalar"`` (a numpy scalar, stored as a 0-d tensor), ``"grid"`` (a
  :class:`~eoforge.geo.GridSpec`), ``"path"`` (a :class:`pathlib.Path`), ``"tuple"``;
- ``<key>``: the JSON of each non-tensor value; a ``GridSpec`` is
  ``{"crs": "EPSG:32633", "transform": [a, b, c, d, e, f], "width": w, "height": h}``.

Example:
    >>> import torch
    >>> sample = {"image": torch.arange(6.0).reshape(1, 2, 3), "bands": ["B04"], "label": 3}
    >>> back = decode_sample(encode_sample(sample))
    >>> list(back), back["image"].equal(sample["image"]), back["bands"], back["label"]
    (['image', 'bands', 'label'], True, ['B04'], 3)
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import torch
from affine import Affine
from safetensors.torch import load as _load_tensors
from safetensors.torch import save as _save_tensors

from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec

__all__ = ["RECORD_FORMAT", "decode_sample", "encode_sample", "read_record_metadata"]

RECORD_FORMAT = "eoforge.chip/1"
"""The ``__format__`` metadata entry of every record this version writes and reads."""


def _grid_json(grid: GridSpec) -> dict[str, Any]:
    t = grid.transform
    return {
        "crs": grid.crs,
        "transform": [t.a, t.b, t.c, t.d, t.e, t.f],
        "width": grid.width,
        "height": grid.height,
    }


def _grid_from_json(value: Mapping[str, Any]) -> GridSpec:
    return GridSpec(value["crs"], Affine(*value["transform"]), value["width"], value["height"])


def _check_json(value: Any, key: str) -> None:
    """Raise unless ``value`` is JSON: None, bool, int, finite or not float, str, list, dict."""
    if value is None or isinstance(value, bool | int | float | str):
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_json(item, key)
        return
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                raise EoforgeError(
                    f"sample value {key!r} is a dict with the non-string key {name!r}; the chip "
                    "store keeps dicts with string keys only — convert the keys to strings"
                )
            _check_json(item, key)
        return
    raise EoforgeError(
        f"sample value {key!r} holds a {type(value).__name__} ({value!r:.60}), which the chip "
        "store cannot keep; it keeps tensors, numpy arrays, GridSpec, paths and JSON values "
        "(str, numbers, lists, dicts) — convert it (e.g. to a string) in the dataset or a transform"
    )


def _as_tensor(value: torch.Tensor | np.ndarray | np.generic, key: str) -> torch.Tensor:
    """A contiguous CPU tensor of the value, same dtype and shape, sharing no other storage."""
    if isinstance(value, np.generic | np.ndarray):
        array = np.asarray(value)
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        # (not np.ascontiguousarray: it makes 0-d arrays 1-d; torch warns on read-only arrays)
        if not (array.flags.c_contiguous and array.flags.writeable):
            array = array.copy(order="C")
        try:
            tensor = torch.from_numpy(array)
        except TypeError as err:
            raise EoforgeError(
                f"sample value {key!r} is a numpy array of dtype {array.dtype}, which the chip "
                "store cannot keep; give it a numeric or bool dtype (strings: a list of str)"
            ) from err
    else:
        if value.layout != torch.strided:
            raise EoforgeError(
                f"sample value {key!r} is a {value.layout} tensor; the chip store keeps dense "
                "tensors only — call .to_dense() on it"
            )
        tensor = value.detach().cpu().resolve_conj().resolve_neg().contiguous()
    if tensor.storage_offset() != 0 or tensor.untyped_storage().nbytes() != tensor.nbytes:
        tensor = tensor.clone()  # a view of a larger buffer: safetensors wants whole storages
    return tensor


def encode_sample(sample: Mapping[str, Any]) -> bytes:
    """The safetensors bytes of one sample dict (tensors, arrays, grid, bands, metadata).

    Args:
        sample: a sample dict: tensors / numpy arrays (any dtype safetensors knows, any shape),
            :class:`~eoforge.geo.GridSpec` values, paths and JSON values.

    Returns:
        The bytes of a safetensors file (see the module docstring for its layout).

    Raises:
        EoforgeError: naming the key, if a value cannot be kept (an object, a string array, a
            dtype safetensors lacks such as complex128), or a key starts with ``__``.

    Example:
        >>> import numpy as np
        >>> data = encode_sample({"mask": np.zeros((2, 2), np.uint8)})
        >>> data[8:9]
        b'{'
    """
    tensors: dict[str, torch.Tensor] = {}
    values: dict[str, str] = {}
    types: dict[str, str] = {}
    for key, value in sample.items():
        if not isinstance(key, str) or key.startswith("__"):
            raise EoforgeError(
                f"sample key {key!r} cannot be kept: keys must be strings that do not start "
                "with '__' (reserved for the record's own metadata); rename it"
            )
        if isinstance(value, torch.Tensor | np.ndarray | np.generic):
            tensors[key] = _as_tensor(value, key)
            if isinstance(value, np.ndarray):
                types[key] = "ndarray"
            elif isinstance(value, np.generic):
                types[key] = "scalar"
            continue
        if isinstance(value, GridSpec):
            types[key] = "grid"
            value = _grid_json(value)
        elif isinstance(value, PurePath):
            types[key] = "path"
            value = str(value)
        elif isinstance(value, tuple):
            types[key] = "tuple"
        _check_json(value, key)
        values[key] = json.dumps(value)
    values["__format__"] = RECORD_FORMAT
    values["__order__"] = json.dumps(list(sample))
    values["__types__"] = json.dumps(types)
    try:
        return bytes(_save_tensors(tensors, metadata=values))
    except (KeyError, ValueError, TypeError) as err:
        dtypes = {k: str(t.dtype) for k, t in tensors.items()}
        raise EoforgeError(
            f"the sample's tensors {dtypes} cannot be written as safetensors ({err}); give them "
            "dtypes safetensors knows (bool, (u)int8–64, float16/32/64, bfloat16, complex64)"
        ) from err


def read_record_metadata(data: bytes) -> dict[str, str]:
    """The safetensors metadata (``str`` → ``str``) of a record, read from its JSON header.

    Example:
        >>> import torch
        >>> read_record_metadata(encode_sample({"bands": ["B02"]}))["bands"]
        '["B02"]'
    """
    if len(data) < 8:
        raise EoforgeError(f"a chip-store record of {len(data)} bytes is not a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    metadata: dict[str, str] = header.get("__metadata__") or {}
    return metadata


def decode_sample(data: bytes) -> dict[str, Any]:
    """The sample dict of a record written by :func:`encode_sample`, keys in their order.

    Raises:
        EoforgeError: if the record is not an eoforge chip record of this format version.

    Example:
        >>> import math, torch
        >>> from eoforge.geo import GridSpec
        >>> grid = GridSpec.from_bounds((0, 0, 40, 20), 10, crs="EPSG:32633")
        >>> back = decode_sample(encode_sample({"grid": grid, "nodata": math.nan}))
        >>> back["grid"] == grid, math.isnan(back["nodata"])
        (True, True)
    """
    metadata = read_record_metadata(data)
    if metadata.get("__format__") != RECORD_FORMAT:
        raise EoforgeError(
            f"the record's format is {metadata.get('__format__')!r}, not {RECORD_FORMAT!r}: it "
            "was written by another tool or eoforge version; convert the dataset again with "
            "this eoforge"
        )
    tensors = _load_tensors(data)
    types: dict[str, str] = json.loads(metadata["__types__"])
    sample: dict[str, Any] = {}
    for key in json.loads(metadata["__order__"]):
        kind = types.get(key)
        if key in tensors:
            tensor = tensors[key]
            if kind == "ndarray":
                sample[key] = tensor.numpy()
            elif kind == "scalar":
                sample[key] = tensor.numpy()[()]
            else:
                sample[key] = tensor
            continue
        value = json.loads(metadata[key])
        if kind == "grid":
            value = _grid_from_json(value)
        elif kind == "path":
            value = Path(value)
        elif kind == "tuple":
            value = tuple(value)
        sample[key] = value
    return sample
