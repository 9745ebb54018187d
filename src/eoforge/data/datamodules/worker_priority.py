"""DataLoader workers that yield the CPU to training when the model trains on the CPU.

When a model trains on the CPU, its threads and the DataLoader workers share the same cores; a
worker that preempts a training thread stalls every other thread of the step at the next barrier.
Workers started with a lower scheduling priority (``nice`` + 10) run when a core is idle — between
parallel regions, during the optimiser step — and fill their prefetch queue there, so loading
overlaps training instead of competing with it. With an accelerator (GPU, …) workers keep their
normal priority: then they, not the host's threads, must keep the device busy.

Example:
    >>> worker_init_for(None) is None
    True
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

__all__ = ["NICE_INCREMENT", "lower_priority", "worker_init_for"]

NICE_INCREMENT = 10
"""How much lower the workers' priority is (``os.nice``)."""


def lower_priority(worker_id: int) -> None:
    """A ``worker_init_fn``: lower this worker process's scheduling priority.

    Example:
        >>> callable(lower_priority)
        True
    """
    with contextlib.suppress(OSError):  # platforms without nice
        os.nice(NICE_INCREMENT)


def worker_init_for(trainer: Any) -> Callable[[int], None] | None:
    """:func:`lower_priority` when ``trainer`` trains on the CPU, else ``None``."""
    if trainer is None:
        return None
    from lightning.pytorch.accelerators import CPUAccelerator

    return lower_priority if isinstance(trainer.accelerator, CPUAccelerator) else None
