"""match_keys: the prefix change under which checkpoint keys name model keys."""

from __future__ import annotations

from eoforge.models import match_keys

MODEL = ["net.encoder.conv1.weight", "net.encoder.bn1.running_mean", "net.head.weight"]


def test_identical_keys_match_as_they_are() -> None:
    match = match_keys(MODEL, MODEL)
    assert (match.strip, match.add, match.foreign) == ("", "", ())
    assert match.renamed == {k: k for k in MODEL}


def test_a_lightning_prefix_is_stripped_and_other_parts_set_aside() -> None:
    ckpt = [f"model.{k}" for k in MODEL] + ["loss_fn.weight", "ema.net.head.weight"]
    match = match_keys(ckpt, MODEL)
    assert (match.strip, match.add) == ("model.", "")
    assert set(match.renamed.values()) == set(MODEL)
    assert set(match.foreign) == {"loss_fn.weight", "ema.net.head.weight"}


def test_a_missing_wrapper_prefix_is_added() -> None:
    bare = [k.removeprefix("net.") for k in MODEL]
    match = match_keys(bare, MODEL)
    assert (match.strip, match.add) == ("", "net.")


def test_strip_and_add_together() -> None:
    ckpt = [k.replace("net.", "model.model.", 1) for k in MODEL]
    match = match_keys(ckpt, MODEL)
    assert (match.strip, match.add) == ("model.model.", "net.")
    assert sorted(match.renamed.values()) == sorted(MODEL)


def test_the_best_prefix_wins_over_a_partial_one() -> None:
    # three keys match after stripping "model.", one key matches as it is
    ckpt = [f"model.{k}" for k in MODEL] + ["net.head.weight"]
    match = match_keys(ckpt, MODEL)
    assert match.strip == "model." and match.foreign == ("net.head.weight",)


def test_no_common_key_is_the_identity() -> None:
    match = match_keys(["a.b", "c.d"], MODEL)
    assert (match.strip, match.add) == ("", "")
    assert match.renamed == {"a.b": "a.b", "c.d": "c.d"}
