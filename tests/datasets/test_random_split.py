"""``stratified_split``: a partition, the shares of every class, seeded, stable per class."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eoforge.datasets.random_split import as_split_fractions, stratified_split
from eoforge.errors import InvalidGridError

shares = st.tuples(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10)).filter(
    lambda t: sum(t) > 0
)


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.integers(0, 4), max_size=80), weights=shares, seed=st.integers(0, 99))
def test_a_partition_with_each_class_split_by_the_shares(
    labels: list[int], weights: tuple[int, int, int], seed: int
) -> None:
    fractions = tuple(w / sum(weights) for w in weights)
    parts = stratified_split(labels, fractions, seed)
    together = sorted(i for part in parts.values() for i in part)
    assert together == list(range(len(labels)))  # every sample once
    for value, size in Counter(labels).items():
        for (_, part), share in zip(parts.items(), fractions, strict=True):
            in_part = sum(1 for i in part if labels[i] == value)
            assert abs(in_part - share * size) < 1  # largest-remainder rounding
    assert stratified_split(labels, fractions, seed) == parts


def test_adding_files_of_one_class_leaves_the_others_alone() -> None:
    labels = [0] * 10 + [1] * 10
    before = stratified_split(labels, (0.6, 0.2, 0.2), seed=3)
    after = stratified_split([*labels, 1, 1, 1], (0.6, 0.2, 0.2), seed=3)
    for name in before:
        assert [i for i in before[name] if i < 10] == [i for i in after[name] if i < 10]


def test_other_seeds_give_other_splits() -> None:
    labels = [0] * 20
    splits = {tuple(stratified_split(labels, (0.5, 0.25, 0.25), seed=s)["val"]) for s in range(5)}
    assert len(splits) > 1


def test_bad_fractions_are_refused() -> None:
    with pytest.raises(InvalidGridError, match="sum to"):
        as_split_fractions((0.8, 0.3, 0.1))
    with pytest.raises(InvalidGridError, match="three shares"):
        as_split_fractions((0.5, 0.5))
    assert as_split_fractions({"train": 0.5, "test": 0.5}) == {"train": 0.5, "test": 0.5}
