"""The error for a name eoforge does not know, with the valid names and a "did you mean".

Example:
    >>> print(unknown_name_error("decoder", "unte", ["fpn", "unet"]))
    unknown decoder 'unte' (did you mean 'unet'?). Valid decoders: 'fpn', 'unet'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from eoforge.errors import UnknownNameError

__all__ = ["unknown_name_error"]


def unknown_name_error(
    kind: str,
    name: str,
    valid: Iterable[str],
    *,
    candidates: Iterable[str] | None = None,
    hint: str = "",
) -> UnknownNameError:
    """An :class:`~eoforge.errors.UnknownNameError` naming ``name`` and what would have worked.

    Args:
        kind: What the name names, singular (``"task"``, ``"backbone"``, ``"option"``).
        name: The name that was given.
        valid: The names to list in the message.
        candidates: Where to look for a close match when that is larger than ``valid`` (all timm
            model names, say); ``valid`` by default.
        hint: A sentence appended to the message (how to find more names).

    Returns:
        The error, to be raised by the caller.

    Example:
        >>> err = unknown_name_error("task", "segmentaton", ["classification", "segmentation"])
        >>> "did you mean 'segmentation'?" in str(err)
        True
    """
    listed = sorted(set(valid))
    pool = sorted(set(candidates)) if candidates is not None else listed
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    message = f"unknown {kind} {name!r}"
    if close:
        message += f" (did you mean {close[0]!r}?)"
    if listed:
        message += f". Valid {kind}s: " + ", ".join(repr(v) for v in listed)
    else:
        message += f". No {kind}s are accepted here"
    if hint:
        message += f". {hint}"
    return UnknownNameError(message)
