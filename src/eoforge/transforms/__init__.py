"""Transforms of samples between the data and the models: normalisation (more to come).

- :class:`Normalize` — per-band ``(x - mean) / std`` (or a percentile range onto 0..1) as an
  ``nn.Module`` whose state dict carries its band names;
- :class:`NormalizeSample` — applies a :class:`Normalize` to a sample dict's ``image``.

Example:
    >>> import torch
    >>> from eoforge.transforms import Normalize, NormalizeSample
    >>> NormalizeSample(Normalize([1.0], [1.0]))({"image": torch.ones(1, 1, 1)})["image"].item()
    0.0
"""

from eoforge.transforms.normalize import Normalize, NormalizeSample

__all__ = ["Normalize", "NormalizeSample"]
