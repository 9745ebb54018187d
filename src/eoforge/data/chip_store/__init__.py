"""The chip store: pre-cut samples in one LMDB environment of safetensors records.

Reading thousands of small files per epoch (e.g. BigEarthNet's twelve band files per patch) is
slow; reading one LMDB record per sample is fast. :func:`write_chip_store` converts any dataset
of sample dicts once, in parallel and resumably; :class:`ChipStore` reads the very same sample
dicts back. The format (one key per sample, safetensors values, a ``__meta__`` record) is
described in ``docs/chip-store.md`` so that other tools can read it.

- :mod:`~eoforge.data.chip_store.record` — a sample dict ⇄ safetensors bytes;
- :mod:`~eoforge.data.chip_store.environment` — the LMDB environment and its reserved records;
- :mod:`~eoforge.data.chip_store.conversion_plan` — sample keys and the dataset's description;
- :mod:`~eoforge.data.chip_store.writer` — :func:`write_chip_store`;
- :mod:`~eoforge.data.chip_store.store` — :class:`ChipStore`;
- :class:`QueriedDataset` — a query-indexed dataset with fixed queries, for conversion.

Example:
    >>> import tempfile, torch
    >>> samples = [{"image": torch.rand(3, 8, 8), "bands": ["B02", "B03", "B04"]}] * 2
    >>> store = ChipStore(write_chip_store(samples, tempfile.mkdtemp() + "/s", progress=False))
    >>> store[1]["image"].equal(samples[1]["image"]), store.bands
    (True, ['B02', 'B03', 'B04'])
"""

from eoforge.data.chip_store.queried_dataset import QueriedDataset
from eoforge.data.chip_store.record import decode_sample, encode_sample
from eoforge.data.chip_store.store import ChipStore
from eoforge.data.chip_store.writer import write_chip_store

__all__ = ["ChipStore", "QueriedDataset", "decode_sample", "encode_sample", "write_chip_store"]
