"""Match the tensor names of a checkpoint to a model's: strip and add key prefixes.

A model saved inside something else carries that wrapper's attribute names as key prefixes: a
Lightning module storing the network as ``self.model`` saves ``model.net.encoder...``, a bare
smp network saved outside eoforge's :class:`~eoforge.models.stride_padding.StridePadded` lacks
the ``net.`` prefix. :func:`match_keys` tries every pair (prefix stripped from checkpoint keys,
prefix added to them), each prefix made of up to :data:`MAX_PREFIX_PARTS` dotted parts of an
existing key, and keeps the pair under which the most checkpoint keys name a model key (the
shortest prefixes on a tie, so identical key sets match as they are). Checkpoint keys without the
stripped prefix belong to other parts of the saved object (a loss's buffers, an EMA copy) and are
set aside as *foreign*, not reported as unexpected.

Example:
    >>> m = match_keys(["model.net.conv.weight", "loss.weight"], ["net.conv.weight"])
    >>> m.strip, m.add, m.renamed, m.foreign
    ('model.', '', {'model.net.conv.weight': 'net.conv.weight'}, ('loss.weight',))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_PREFIX_PARTS", "KeyMatch", "match_keys"]

MAX_PREFIX_PARTS: Final = 3
"""Longest prefix tried, in dotted parts (``"model.net.encoder."`` has 3)."""


@dataclass(frozen=True)
class KeyMatch:
    """How checkpoint keys map onto model keys.

    Attributes:
        strip: Prefix removed from checkpoint keys (``""`` for none).
        add: Prefix then put in front of them (``""`` for none).
        renamed: Checkpoint key -> model key, for every checkpoint key carrying ``strip``.
        foreign: Checkpoint keys without ``strip``, left out.

    Example:
        >>> match_keys(["a.w"], ["a.w"]).renamed
        {'a.w': 'a.w'}
    """

    strip: str
    add: str
    renamed: dict[str, str]
    foreign: tuple[str, ...]


def _prefixes(keys: Iterable[str]) -> set[str]:
    found = {""}
    for key in keys:
        parts = key.split(".")[:-1]
        for n in range(1, min(len(parts), MAX_PREFIX_PARTS) + 1):
            found.add(".".join(parts[:n]) + ".")
    return found


def match_keys(checkpoint_keys: Iterable[str], model_keys: Iterable[str]) -> KeyMatch:
    """The prefix change under which the most checkpoint keys name model keys.

    Args:
        checkpoint_keys: Tensor names in the weights file.
        model_keys: Tensor names of ``model.state_dict()``.

    Returns:
        The :class:`KeyMatch`; with no key in common under any prefix change, the identity.

    Example:
        >>> match_keys(["conv.weight"], ["net.conv.weight"]).add
        'net.'
    """
    ckpt = list(checkpoint_keys)
    model = set(model_keys)
    remainders = {a: {k[len(a) :] for k in model if k.startswith(a)} for a in _prefixes(model)}
    stripped = {s: {k[len(s) :] for k in ckpt if k.startswith(s)} for s in _prefixes(ckpt)}
    best = ("", "")
    best_rank = (len(stripped[""] & remainders[""]), 0)
    for strip, rest in stripped.items():
        for add, targets in remainders.items():
            rank = (len(rest & targets), -len(strip) - len(add))
            if rank > best_rank:
                best, best_rank = (strip, add), rank
    strip, add = best
    renamed = {k: add + k[len(strip) :] for k in ckpt if k.startswith(strip)}
    foreign = tuple(k for k in ckpt if not k.startswith(strip))
    return KeyMatch(strip=strip, add=add, renamed=renamed, foreign=foreign)
