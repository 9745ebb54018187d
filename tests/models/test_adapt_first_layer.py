"""adapt_first_layer: the documented weights on hand-made tensors, constant responses preserved."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.errors import ModelConfigError
from eoforge.models import adapt_first_layer

# one 1x1 filter per output channel; pretrained bands R, G, B
W = torch.tensor([[1.0, 2.0, 6.0], [-3.0, 0.0, 3.0]]).reshape(2, 3, 1, 1)
RGB = ["R", "G", "B"]


def _flat(weight: torch.Tensor) -> list[list[float]]:
    return weight.reshape(weight.shape[0], weight.shape[1]).tolist()


def test_adding_a_band_keeps_slices_and_scales_by_n_over_m() -> None:
    new = adapt_first_layer(W, 4, old_bands=RGB, new_bands=["R", "G", "B", "NIR"])
    # by hand: kept filters, NIR = mean (3 and 0), all x 3/4
    assert _flat(new) == [[0.75, 1.5, 4.5, 2.25], [-2.25, 0.0, 2.25, 0.0]]


def test_reordering_bands_permutes_filters() -> None:
    new = adapt_first_layer(W, 3, old_bands=RGB, new_bands=["B", "R", "G"])
    assert _flat(new) == [[6.0, 1.0, 2.0], [3.0, -3.0, 0.0]]


def test_same_bands_give_the_weight_back() -> None:
    assert torch.equal(adapt_first_layer(W, 3, old_bands=RGB, new_bands=RGB), W)
    assert torch.equal(adapt_first_layer(W, 3), W)


def test_dropping_bands_shares_their_filters_out() -> None:
    new = adapt_first_layer(W, 2, old_bands=RGB, new_bands=["G", "NIR"])
    # by hand: G = 2 and 0, NIR = mean 3 and 0; dropped R + B = 7 and 0 shared out over 2 bands
    # (+3.5 and +0); one band added: x 3/4
    assert _flat(new) == [[(2 + 3.5) * 0.75, (3 + 3.5) * 0.75], [0.0, 0.0]]
    rg = adapt_first_layer(W, 2, old_bands=RGB, new_bands=["R", "G"])
    assert _flat(rg) == [[1 + 3.0, 2 + 3.0], [-3 + 1.5, 0 + 1.5]]  # B shared out, no rescale


def test_unknown_names_repeat_the_mean_scaled_by_n_over_m() -> None:
    assert _flat(adapt_first_layer(W, 2)) == [[4.5, 4.5], [0.0, 0.0]]  # mean x 3/2
    assert _flat(adapt_first_layer(W, 1)) == [[9.0], [0.0]]  # the sum, as timm does for 1 band
    assert _flat(adapt_first_layer(W, 6)) == [[1.5] * 6, [0.0] * 6]  # mean x 3/6
    # no shared name is the same rule as no names
    disjoint = adapt_first_layer(W, 2, old_bands=RGB, new_bands=["VV", "VH"])
    assert torch.allclose(disjoint, adapt_first_layer(W, 2))


def test_kernel_dims_dtype_and_device_are_kept_and_input_untouched() -> None:
    weight = torch.randn(4, 3, 5, 7, dtype=torch.float16)
    before = weight.clone()
    new = adapt_first_layer(weight, 10)
    assert new.shape == (4, 10, 5, 7) and new.dtype == torch.float16
    assert torch.equal(weight, before)
    linear = adapt_first_layer(torch.ones(8, 3), 2)  # a linear patch embedding
    assert linear.shape == (8, 2)


@st.composite
def _band_sets(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    pool = [f"B{i:02d}" for i in range(12)]
    old = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=8, unique=True))
    new = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=8, unique=True))
    return old, new


@settings(max_examples=60, deadline=None)
@given(
    bands=_band_sets(),
    seed=st.integers(0, 2**16),
    value=st.floats(-5, 5, allow_nan=False),
    by_name=st.booleans(),
)
def test_response_to_a_constant_input_is_preserved(
    bands: tuple[list[str], list[str]], seed: int, value: float, by_name: bool
) -> None:
    old, new = bands
    weight = torch.randn(6, len(old), 3, 3, generator=torch.Generator().manual_seed(seed))
    weight = weight.double()
    names = {"old_bands": old, "new_bands": new} if by_name else {}
    adapted = adapt_first_layer(weight, len(new), **names)
    before = F.conv2d(torch.full((1, len(old), 5, 5), value, dtype=torch.float64), weight)
    after = F.conv2d(torch.full((1, len(new), 5, 5), value, dtype=torch.float64), adapted)
    torch.testing.assert_close(after, before, rtol=1e-9, atol=1e-9)


@st.composite
def _supersets(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    pool = [f"B{i:02d}" for i in range(12)]
    old = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6, unique=True))
    extra = draw(st.lists(st.sampled_from(sorted(set(pool) - set(old))), max_size=4, unique=True))
    return old, list(draw(st.permutations(old + extra)))


@settings(max_examples=30, deadline=None)
@given(bands=_supersets(), seed=st.integers(0, 2**16))
def test_with_no_band_dropped_kept_filters_are_only_rescaled(
    bands: tuple[list[str], list[str]], seed: int
) -> None:
    old, new = bands
    weight = torch.randn(3, len(old), 1, 1, generator=torch.Generator().manual_seed(seed))
    adapted = adapt_first_layer(weight.double(), len(new), old_bands=old, new_bands=new)
    scale = len(old) / len(new)
    for j, band in enumerate(new):
        if band in old:
            expected = weight[:, old.index(band)].double() * scale
        else:
            expected = weight.double().mean(dim=1) * scale
        torch.testing.assert_close(adapted[:, j], expected)


def test_invalid_arguments() -> None:
    with pytest.raises(ModelConfigError, match="both"):
        adapt_first_layer(W, 3, old_bands=RGB)
    with pytest.raises(ModelConfigError, match=r"new_bands has 2 names .* for 3 channels"):
        adapt_first_layer(W, 3, old_bands=RGB, new_bands=["R", "G"])
    with pytest.raises(ModelConfigError, match=r"old_bands has 2 names"):
        adapt_first_layer(W, 2, old_bands=["R", "G"], new_bands=["R", "G"])
    with pytest.raises(ModelConfigError, match=r"\['R'\] more than once"):
        adapt_first_layer(W, 3, old_bands=RGB, new_bands=["R", "R", "G"])
    with pytest.raises(ModelConfigError, match="new_in_channels=0"):
        adapt_first_layer(W, 0)
    with pytest.raises(ModelConfigError, match="input-channel"):
        adapt_first_layer(torch.ones(3), 2)
