"""keep_freed_memory: a forward pass's large buffers are reused, not mapped and faulted anew."""

from __future__ import annotations

import platform
import resource
import subprocess
import sys

import numpy as np
import pytest
import torch

from eoforge.heap_reuse import keep_freed_memory

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
CONV = torch.nn.Conv2d(4, 8, 3, padding=1)
IMAGE = torch.rand(1, 4, 1024, 1024)
OUTPUT_PAGES = 8 * 1024 * 1024 * 4 // 4096  # one 32 MiB output: above glibc's mmap threshold


def faults_per_forward(rounds: int = 5) -> float:
    """Median minor page faults of a convolution + ReLU forward pass (after a first one)."""
    faults = []
    with torch.inference_mode():
        CONV(IMAGE).relu().sum()
        for _ in range(rounds):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            CONV(IMAGE).relu().sum()
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return float(np.median(faults))


def faults_per_buffer(size: int, rounds: int = 20) -> float:
    """Median minor page faults of an allocate-fill-free of ``size`` float32 (after one)."""
    torch.ones(size).sum()
    faults = []
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        torch.ones(size).sum()
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return float(np.median(faults))


def _in_a_fresh_process(check: str) -> None:
    """Run ``check`` of this module in a new interpreter.

    What a process did before (another test's prediction, Lightning, a freed 32 MiB buffer that
    raised glibc's dynamic mmap threshold) changes where the next large buffer comes from, so
    the page-fault counts below are only meaningful in a process of their own.
    """
    code = f"import runpy; runpy.run_path({__file__!r})[{check!r}]()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def _check_reuse_inside_and_mapping_outside() -> None:
    assert faults_per_forward() > OUTPUT_PAGES  # glibc's way: each output faults its pages
    with keep_freed_memory() as active:
        assert active
        assert faults_per_forward() < 0.01 * OUTPUT_PAGES
    assert faults_per_forward() > OUTPUT_PAGES  # large buffers go back to the system again


def _check_nested_uses() -> None:
    with keep_freed_memory():
        with keep_freed_memory():
            pass
        assert faults_per_forward() < 0.01 * OUTPUT_PAGES
    assert faults_per_forward() > OUTPUT_PAGES


def _check_medium_buffers_from_the_heap() -> None:
    # glibc's fixed start-up threshold (128 KiB) would map and fault every 1 MB buffer (GDAL's
    # block I/O was 6x slower so); the settled thresholds serve them from the heap
    with keep_freed_memory():
        pass
    medium = 262_144  # 1 MB
    assert faults_per_buffer(medium) < 0.1 * medium * 4 // 4096


@glibc
def test_forward_buffers_are_reused_inside_and_mapped_anew_outside() -> None:
    _in_a_fresh_process("_check_reuse_inside_and_mapping_outside")


@glibc
def test_nested_uses_keep_the_policy_until_the_outer_one_ends() -> None:
    _in_a_fresh_process("_check_nested_uses")


@glibc
def test_after_the_block_medium_buffers_still_come_from_the_heap() -> None:
    _in_a_fresh_process("_check_medium_buffers_from_the_heap")


def test_results_are_unchanged() -> None:
    with torch.inference_mode():
        outside = CONV(IMAGE[:, :, :64, :64])
        with keep_freed_memory():
            inside = CONV(IMAGE[:, :, :64, :64])
    assert torch.equal(inside, outside)
