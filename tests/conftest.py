"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real sample files in ../shared/data; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present beside the project")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """PyTorch on one thread per test process.

    The suite runs on two processes (``pytest -n 2``) on two cores; tiny forward passes on
    PyTorch's default of one OpenMP thread per core spin-wait for cores the other process holds
    and run several times slower (measured for the model tests on 2 busy cores: 132 s with 2
    threads, 20 s with 1). The setting is restored after each test.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
