"""File digests (MD5, SHA-256) and their verification against the expected values.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = path.write_bytes(b"abc")
    >>> file_digest(path, "md5")
    '900150983cd24fb0d6963f7d28e17f72'
    >>> verify_checksum(path, md5="900150983cd24fb0d6963f7d28e17f72")
    True
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from eoforge.errors import ChecksumError

__all__ = ["file_digest", "verify_checksum"]

_CHUNK = 1 << 20


def file_digest(path: Path | str, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes, read in 1 MiB chunks.

    Args:
        path: the file.
        algorithm: any :mod:`hashlib` algorithm name (``"md5"``, ``"sha256"``…).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
        >>> _ = path.write_bytes(b"")
        >>> file_digest(path)[:16]
        'e3b0c44298fc1c14'
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(
    path: Path | str,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    remove_on_mismatch: bool = False,
) -> bool:
    """Check a file against its expected digest (SHA-256 when given, else MD5).

    Args:
        path: the file.
        md5: the expected MD5 hex digest.
        sha256: the expected SHA-256 hex digest.
        remove_on_mismatch: delete the file when its digest is wrong (a bad download).

    Returns:
        ``True`` when a digest was checked and matched, ``False`` when none was given.

    Raises:
        ChecksumError: the digest differs (the message names the file, both digests and the fix).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
        >>> _ = path.write_bytes(b"abc")
        >>> verify_checksum(path, md5="0" * 32)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.ChecksumError: ...a.txt has MD5 9001509...f72, expected 000...0: ...
    """
    if sha256 is not None:
        algorithm, expected = "sha256", sha256
    elif md5 is not None:
        algorithm, expected = "md5", md5
    else:
        return False
    actual = file_digest(path, algorithm)
    if actual == expected.lower():
        return True
    fix = "it was removed: download it again" if remove_on_mismatch else "delete it, download again"
    if remove_on_mismatch:
        Path(path).unlink(missing_ok=True)
    raise ChecksumError(
        f"{path} has {algorithm.upper()} {actual}, expected {expected.lower()}: the file is "
        f"corrupt or incomplete; {fix} (or, if the source changed, update the expected checksum)"
    )
