"""Fixtures of the task tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lightning.pytorch import Trainer


@pytest.fixture
def trainer_factory(tmp_path: Any) -> Callable[..., Trainer]:
    def make(**kwargs: Any) -> Trainer:
        options: dict[str, Any] = dict(
            accelerator="cpu",
            deterministic=True,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=str(tmp_path),
        )
        options.update(kwargs)
        return Trainer(**options)

    return make
