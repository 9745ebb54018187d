"""StridePadded: any input size reaches the network as a multiple of its stride."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from eoforge.errors import ModelConfigError
from eoforge.models import StridePadded
from eoforge.models.stride_padding import padding_to_multiple


class _NeedsMultiple(nn.Module):
    """Records the shapes it sees and refuses sizes that are not multiples of 8."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, ...]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 8 or x.shape[-2] % 8:
            raise RuntimeError("not a multiple of 8")
        self.seen.append(tuple(x.shape))
        return x * 2


@settings(max_examples=40, deadline=None)
@given(height=st.integers(1, 40), width=st.integers(1, 40), multiple=st.integers(1, 16))
def test_padding_reaches_the_next_multiple(height: int, width: int, multiple: int) -> None:
    for size in (height, width):
        pad = padding_to_multiple(size, multiple)
        assert 0 <= pad < multiple and (size + pad) % multiple == 0


@settings(max_examples=25, deadline=None)
@given(height=st.integers(1, 30), width=st.integers(1, 30))
def test_output_is_the_network_on_the_replicate_padded_input_cropped(
    height: int, width: int
) -> None:
    net = _NeedsMultiple()
    x = torch.randn(2, 3, height, width)
    out = StridePadded(net, multiple=8)(x)
    padded_h, padded_w = -(-height // 8) * 8, -(-width // 8) * 8
    assert net.seen == [(2, 3, padded_h, padded_w)]
    assert torch.equal(out, 2 * x)  # cropped back exactly to the input's pixels
    # the padding replicates the last row and column (a reference computed by hand)
    reference = F.pad(x, (0, padded_w - width, 0, padded_h - height), mode="replicate")
    assert torch.equal(reference[..., height - 1, :width], x[..., height - 1, :])
    assert torch.equal(reference[..., -1, :width], x[..., -1, :])


def test_padding_is_at_bottom_right_so_the_origin_stays() -> None:
    net = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    model = StridePadded(net, multiple=16)
    x = torch.randn(1, 1, 20, 20)
    with torch.no_grad():
        out = model(x)
        # the top-left pixels see the same neighbourhood as without padding
        torch.testing.assert_close(out[..., :19, :19], net(x)[..., :19, :19])


def test_bad_arguments() -> None:
    with pytest.raises(ModelConfigError, match="multiple=0"):
        StridePadded(nn.Identity(), multiple=0)
    with pytest.raises(ModelConfigError, match=r"\(3, 8, 8\).*x\[None\]"):
        StridePadded(nn.Identity(), multiple=4)(torch.zeros(3, 8, 8))
    assert "multiple=4" in repr(StridePadded(nn.Identity(), multiple=4))
