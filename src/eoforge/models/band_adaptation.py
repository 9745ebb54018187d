r"""Adapt a first-layer weight trained on some bands to another set of bands.

``weight`` has shape ``(out_channels, in_channels, *kernel)`` (a convolution, a patch embedding,
or a linear layer with input channels on dimension 1). Write :math:`W_i` for the filter bank of
pretrained band :math:`i` (``weight[:, i]``), :math:`n` for the number of pretrained bands and
:math:`m` for the number of new ones.

**Band names known** (``old_bands`` and ``new_bands``): split the bands into *kept* (in both
lists), *added* (only new, :math:`a` of them) and *dropped* (only pretrained). Then

1. a kept band takes its pretrained filters, an added band the mean :math:`\bar W = \frac1n
   \sum_i W_i` over all pretrained bands;
2. the dropped bands' filters are shared out equally: :math:`\frac1m \sum_{d\,\in\,dropped} W_d`
   is added to every new band's filters (the response is then the pretrained layer's with each
   dropped band reading the mean of the new bands);
3. every filter is multiplied by :math:`\frac{n}{n + a}`.

**Names unknown**: every new band gets :math:`\bar W \cdot \frac{n}{m}` (the rule above when no
band is shared); equal counts are taken to be the same bands and returned unchanged.

Either way the response to a constant input :math:`c` equal across bands is preserved, because
the filters still sum to :math:`\sum_i W_i` over the input channels:
:math:`\big(\sum_{kept} W_i + \sum_{dropped} W_d + a \bar W\big)\frac{n}{n+a} = \big(\sum_i W_i +
\frac{a}{n}\sum_i W_i\big)\frac{n}{n+a} = \sum_i W_i`. Adding bands to a pretrained set scales
all filters by :math:`n/m` (the usual rule); reordering bands only permutes the filters; the same
bands in the same order give the weight back. Without step 2 no rule that ignores the weights'
values could preserve that response when pretrained bands are dropped.

Example:
    >>> import torch
    >>> w = torch.tensor([[[[1.0]], [[2.0]], [[6.0]]]])  # 1 filter, bands R G B, 1x1 kernel
    >>> new = adapt_first_layer(w, 4, old_bands=["R", "G", "B"], new_bands=["B", "G", "R", "NIR"])
    >>> new.flatten().tolist()  # B G R kept, NIR = mean 3, all x 3/4
    [4.5, 1.5, 0.75, 2.25]
    >>> adapt_first_layer(w, 2).flatten().tolist()  # names unknown: mean 3 x 3/2
    [4.5, 4.5]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from eoforge.errors import ModelConfigError

__all__ = ["adapt_first_layer"]


def _check_bands(bands: Sequence[str], count: int, what: str) -> list[str]:
    names = [str(b) for b in bands]
    if len(names) != count:
        raise ModelConfigError(
            f"{what} has {len(names)} names {names} for {count} channels; pass one name per "
            "channel, in channel order"
        )
    repeated = sorted({b for b in names if names.count(b) > 1})
    if repeated:
        raise ModelConfigError(f"{what} names {repeated} more than once; band names must be unique")
    return names


def adapt_first_layer(
    weight: torch.Tensor,
    new_in_channels: int,
    *,
    old_bands: Sequence[str] | None = None,
    new_bands: Sequence[str] | None = None,
) -> torch.Tensor:
    """A copy of ``weight`` for ``new_in_channels`` input bands, by the rule of this module.

    Args:
        weight: A first-layer weight, input channels on dimension 1.
        new_in_channels: The number of input bands of the new layer.
        old_bands: Names of the bands ``weight`` was trained on, in channel order.
        new_bands: Names of the new input bands, in channel order.

    Returns:
        A new tensor of shape ``(weight.shape[0], new_in_channels, *weight.shape[2:])``, with
        ``weight``'s dtype and device.

    Raises:
        ModelConfigError: Only one of the name lists is given, a list's length does not match
            its channel count, a name repeats, or the shapes are not valid.

    Example:
        >>> w = torch.ones(8, 3, 7, 7)
        >>> adapt_first_layer(w, 13).shape
        torch.Size([8, 13, 7, 7])
    """
    if weight.ndim < 2 or weight.shape[1] < 1:
        raise ModelConfigError(
            f"weight of shape {tuple(weight.shape)} has no input-channel dimension; pass a "
            "(out_channels, in_channels, *kernel) first-layer weight"
        )
    if isinstance(new_in_channels, bool) or not isinstance(new_in_channels, int):
        raise ModelConfigError(f"new_in_channels={new_in_channels!r} is not an integer; pass one")
    if new_in_channels < 1:
        raise ModelConfigError(f"new_in_channels={new_in_channels} is not valid; pass >= 1")
    if (old_bands is None) != (new_bands is None):
        raise ModelConfigError(
            "only one of old_bands/new_bands was given; pass both band-name lists, or neither "
            "to adapt by channel count alone"
        )
    n_old = weight.shape[1]
    w = weight.detach().to(torch.float64)
    mean = w.mean(dim=1, keepdim=True)
    if old_bands is None or new_bands is None:
        if new_in_channels == n_old:
            return weight.detach().clone()
        repeats = [1, new_in_channels] + [1] * (weight.ndim - 2)
        adapted = mean.repeat(repeats) * (n_old / new_in_channels)
        return adapted.to(dtype=weight.dtype, device=weight.device)

    old = _check_bands(old_bands, n_old, "old_bands")
    new = _check_bands(new_bands, new_in_channels, "new_bands")
    position = {band: i for i, band in enumerate(old)}
    kept = {position[b] for b in new if b in position}
    added = sum(b not in position for b in new)
    dropped = [i for i in range(n_old) if i not in kept]
    columns = [w[:, position[b]] if b in position else mean[:, 0] for b in new]
    adapted = torch.stack(columns, dim=1)
    if dropped:
        adapted = adapted + w[:, dropped].sum(dim=1, keepdim=True) / new_in_channels
    adapted = adapted * (n_old / (n_old + added))
    return adapted.to(dtype=weight.dtype, device=weight.device)
