"""Model tests run PyTorch on one thread.

The forward passes here are tiny; on a machine shared with other jobs PyTorch's OpenMP threads
spin-wait for busy cores and make them several times slower (measured on 2 busy cores: 132 s with
the default 2 threads, 20 s with 1). The setting is restored after each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
