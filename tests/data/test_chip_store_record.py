"""A sample dict ⇄ safetensors bytes: exact round trips; clear errors for what cannot be kept."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
import torch
from affine import Affine
from chip_store_dataset import assert_same
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.data.chip_store import decode_sample, encode_sample
from eoforge.errors import EoforgeError
from eoforge.geo import GridSpec

TORCH_DTYPES = [
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.uint16, torch.int32, torch.uint32,
    torch.int64, torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
]  # fmt: skip
NUMPY_DTYPES = ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint64", "int64",
                "float16", "float32", "float64", "complex64"]  # fmt: skip
LAEA = "+proj=laea +lat_0=10 +lon_0=-20 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"  # no EPSG code
CRSS = ["EPSG:32633", "EPSG:4326", "EPSG:3857", "EPSG:32718", LAEA]


@st.composite
def arrays(draw: st.DrawFn, kind: str) -> torch.Tensor | np.ndarray:
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    seed = draw(st.integers(0, 2**32 - 1))
    dtype = draw(st.sampled_from(TORCH_DTYPES if kind == "torch" else NUMPY_DTYPES))
    count = int(np.prod(shape, dtype=np.int64))
    rng = np.random.default_rng(seed)
    if dtype in (torch.bool, "bool"):
        data = rng.integers(0, 2, size=shape).astype(bool)
        return torch.from_numpy(data) if kind == "torch" else data
    if dtype is torch.bfloat16:  # random bit patterns, NaNs with payloads among them
        bits = rng.integers(0, 2**16, size=shape, dtype=np.uint16).view(np.int16)
        return torch.from_numpy(bits).view(torch.bfloat16)
    target = np.dtype(str(dtype).removeprefix("torch."))
    data = np.frombuffer(rng.bytes(count * target.itemsize), dtype=target).reshape(shape).copy()
    if count and target.kind in "fc" and draw(st.booleans()):
        data.reshape(-1)[0] = np.nan
    return torch.from_numpy(data) if kind == "torch" else data


@st.composite
def grids(draw: st.DrawFn) -> GridSpec:
    res = draw(st.floats(1e-6, 1e4))
    rotated = draw(st.booleans())
    b = draw(st.floats(-1.0, 1.0)) if rotated else 0.0
    x0 = draw(st.floats(-1e7, 1e7))
    y0 = draw(st.floats(-1e7, 1e7))
    transform = Affine(res, b, x0, 0.0, -res * draw(st.floats(0.5, 2.0)), y0)
    return GridSpec(draw(st.sampled_from(CRSS)), transform, draw(st.integers(1, 10_000)),
                    draw(st.integers(1, 10_000)))  # fmt: skip


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip

optional = {
    "image": arrays("torch"),
    "mask": arrays("torch"),
    "label": arrays("torch"),
    "target": arrays("numpy"),
    "valid": arrays("torch"),
    "grid": grids(),
    "grid_s1": grids(),
    "bands": st.lists(st.text(min_size=1, max_size=5), max_size=4),
    "path": st.just(Path("/data/patches/S2A_x_12_34.tif")),
    "shape": st.tuples(st.integers(0, 9), st.integers(0, 9)),
    "nodata": st.floats(),
    "weight": st.sampled_from([np.float32(0.25), np.int16(-3), np.bool_(True), np.uint16(7)]),
    "extra": json_values,
}


@st.composite
def samples(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=len(optional)))
    return {key: draw(optional[key]) for key in keys}


@settings(max_examples=150, deadline=None)
@given(samples())
def test_round_trip_is_exact(sample: dict[str, Any]) -> None:
    back = decode_sample(encode_sample(sample))
    assert list(back) == list(sample)  # the keys, in their order
    assert_same(sample, back)


def test_tensors_come_back_writable_and_independent_of_each_other() -> None:
    base = torch.arange(12, dtype=torch.int32)
    sample = {"a": base[2:6], "b": base[:3], "c": base.reshape(3, 4).T}  # views, non-contiguous
    back = decode_sample(encode_sample(sample))
    assert back["a"].tolist() == [2, 3, 4, 5] and back["c"].equal(sample["c"])
    back["a"][0] = 99
    assert back["b"].tolist() == [0, 1, 2]


def test_other_tools_read_the_record_with_safetensors_and_json() -> None:
    """The layout docs/chip-store.md describes: tensors by key, metadata as JSON strings."""
    grid = GridSpec("EPSG:32633", Affine(10, 0, 500_000, 0, -10, 4_000_000), 3, 2)
    image = np.arange(6, dtype=np.uint16).reshape(1, 2, 3)
    data = encode_sample({"image": torch.from_numpy(image), "grid": grid, "bands": ["B04"]})
    arrays_ = safetensors.numpy.load(data)
    assert list(arrays_) == ["image"] and np.array_equal(arrays_["image"], image)
    (size,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(data[8 : 8 + size])["__metadata__"]
    assert metadata["__format__"] == "eoforge.chip/1"
    assert json.loads(metadata["__order__"]) == ["image", "grid", "bands"]
    assert json.loads(metadata["bands"]) == ["B04"]
    assert json.loads(metadata["grid"]) == {
        "crs": "EPSG:32633",
        "transform": [10.0, 0.0, 500000.0, 0.0, -10.0, 4000000.0],
        "width": 3,
        "height": 2,
    }
    assert json.loads(metadata["__types__"]) == {"grid": "grid"}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({1, 2}, "set"),
        (object(), "object"),
        ([1, b"raw"], "bytes"),
        ({"x": {3: "non-string key"}}, "non-string key"),
        (np.array(["a", "b"]), "dtype <U1"),
        (torch.zeros(2, dtype=torch.complex128), "complex128"),
        (torch.zeros(2, 2).to_sparse(), "dense"),
    ],
)
def test_a_value_that_cannot_be_kept_is_named(value: Any, words: str) -> None:
    with pytest.raises(EoforgeError) as caught:
        encode_sample({"image": torch.zeros(1), "odd_value": value})
    message = str(caught.value)
    assert words in message
    if "complex128" not in words:  # the tensor error lists every tensor's dtype instead
        assert "'odd_value'" in message


@pytest.mark.parametrize("key", ["__order__", "__x", 3])
def test_reserved_or_non_string_keys_are_refused(key: Any) -> None:
    with pytest.raises(EoforgeError, match="cannot be kept"):
        encode_sample({key: 1})


def test_a_foreign_safetensors_file_is_refused_with_the_fix() -> None:
    data = safetensors.numpy.save({"B02": np.zeros((2, 2), np.uint16)})  # a rico-hdl-like record
    with pytest.raises(EoforgeError, match="convert the dataset again"):
        decode_sample(data)
