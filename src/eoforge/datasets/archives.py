"""Extract dataset archives (zip, tar, tar.gz/tgz, tar.bz2, tar.xz, tar.zst) safely; join parts.

Every member is checked before it is written: a member whose path would land outside the
destination (``../x``, ``/etc/x``, or a link pointing out) stops the extraction with an
:class:`~eoforge.errors.ArchiveError`. Tar archives are read as a stream (one pass, no seeking), so
a zstandard-compressed tar of many gigabytes is never decompressed to disk first.

Example:
    >>> import tempfile, zipfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(tmp / "a.zip", "w") as z:
    ...     z.writestr("chips/1.txt", "one")
    >>> [p.name for p in extract_archive(tmp / "a.zip", tmp / "out")]
    ['1.txt']
    >>> (tmp / "out" / "chips" / "1.txt").read_text()
    'one'
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from eoforge.errors import ArchiveError

__all__ = ["ARCHIVE_SUFFIXES", "archive_kind", "concatenate_parts", "extract_archive"]

ARCHIVE_SUFFIXES: dict[str, str] = {
    ".zip": "zip",
    ".tar": "tar",
    ".tar.gz": "tar",
    ".tgz": "tar",
    ".tar.bz2": "tar",
    ".tbz2": "tar",
    ".tar.xz": "tar",
    ".txz": "tar",
    ".tar.zst": "tar.zst",
    ".tar.zstd": "tar.zst",
    ".tzst": "tar.zst",
}
"""File name endings eoforge extracts, and the reader of each."""

_CHUNK = 1 << 20


def archive_kind(path: Path | str) -> str:
    """``"zip"``, ``"tar"`` or ``"tar.zst"``: the reader of an archive, from its file name.

    Raises:
        ArchiveError: the name ends with none of :data:`ARCHIVE_SUFFIXES`.

    Example:
        >>> archive_kind("S2.tar.zst"), archive_kind("EuroSAT.ZIP"), archive_kind("a.tgz")
        ('tar.zst', 'zip', 'tar')
    """
    name = Path(path).name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return ARCHIVE_SUFFIXES[suffix]
    raise ArchiveError(
        f"{path} is not an archive eoforge can extract (by its name); supported endings: "
        f"{', '.join(ARCHIVE_SUFFIXES)}. Rename it, or extract it by hand into the root folder"
    )


def _safe_target(dest: Path, name: str, archive: Path) -> Path:
    """Where member ``name`` lands under ``dest``; refuses names that leave ``dest``."""
    posix = PurePosixPath(name.replace("\\", "/"))
    target = (dest / posix).resolve()
    if posix.is_absolute() or ".." in posix.parts or not target.is_relative_to(dest.resolve()):
        raise ArchiveError(
            f"{archive} holds the member {name!r}, which would be written outside {dest}; the "
            "archive is unsafe (path traversal): nothing more was extracted. Get the archive from "
            "its official source"
        )
    return target


def _corrupt(archive: Path, err: BaseException) -> ArchiveError:
    return ArchiveError(
        f"{archive} cannot be extracted ({type(err).__name__}: {err}); it is corrupt or "
        "incomplete: delete it and download it again"
    )


def _extract_zip(archive: Path, dest: Path) -> list[Path]:
    written: list[Path] = []
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        targets = [_safe_target(dest, m.filename, archive) for m in members]
        for member, target in zip(members, targets, strict=True):
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
            written.append(target)
    return written


@contextmanager
def _tar_stream(archive: Path, kind: str) -> Iterator[IO[bytes]]:
    with open(archive, "rb") as raw:
        if kind == "tar.zst":
            import zstandard

            with zstandard.ZstdDecompressor().stream_reader(raw) as reader:
                yield reader
        else:
            yield raw


def _extract_tar(archive: Path, dest: Path, kind: str) -> list[Path]:
    written: list[Path] = []
    with _tar_stream(archive, kind) as stream, tarfile.open(fileobj=stream, mode="r|*") as tar:
        for member in tar:
            target = _safe_target(dest, member.name, archive)
            if member.issym() or member.islnk():
                link = member.linkname
                base = target.parent if member.issym() else dest
                _safe_target(dest, os.path.relpath(base / link, dest), archive)
            tar.extract(member, dest, filter="data")
            if member.isfile():
                written.append(target)
    return written


def extract_archive(path: Path | str, dest: Path | str) -> list[Path]:
    """Extract an archive into ``dest`` (created), refusing members that would leave it.

    Args:
        path: a ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz`` or
            ``.tar.zst`` file (the kind is told by the name).
        dest: the folder to extract into.

    Returns:
        The extracted files (not folders), in archive order.

    Raises:
        ArchiveError: the archive is corrupt or truncated (delete and download it again), of an
            unknown kind, or a member would be written outside ``dest``.

    Example:
        >>> import tarfile, tempfile, pathlib, io
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> with tarfile.open(tmp / "a.tar.gz", "w:gz") as tar:
        ...     info = tarfile.TarInfo("x.txt"); info.size = 2
        ...     tar.addfile(info, io.BytesIO(b"hi"))
        >>> extract_archive(tmp / "a.tar.gz", tmp)[0].read_text()
        'hi'
    """
    archive, out = Path(path), Path(dest)
    kind = archive_kind(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive} does not exist; download it first")
    out.mkdir(parents=True, exist_ok=True)
    try:
        if kind == "zip":
            return _extract_zip(archive, out)
        return _extract_tar(archive, out, kind)
    except ArchiveError:
        raise
    except tarfile.FilterError as err:
        raise _safe_target_error(archive, out, err) from err
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as err:
        raise _corrupt(archive, err) from err
    except Exception as err:  # zstandard.ZstdError and any other decoder failure
        if type(err).__module__.startswith("zstandard"):
            raise _corrupt(archive, err) from err
        raise


def _safe_target_error(archive: Path, dest: Path, err: tarfile.FilterError) -> ArchiveError:
    return ArchiveError(
        f"{archive} holds an unsafe member ({err}) that would be written outside {dest} or "
        "with unsafe permissions; nothing more was extracted. Get the archive from its official "
        "source"
    )


def concatenate_parts(parts: Sequence[Path | str], dest: Path | str) -> Path:
    """Join byte parts, in order, into ``dest`` (written to ``dest.joining``, then renamed).

    Args:
        parts: the part files (``S2.tar.zstaa``, ``S2.tar.zstab``, …) in order.
        dest: the joined file.

    Returns:
        ``dest``.

    Raises:
        ArchiveError: a part is missing.

    Example:
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (tmp / "a.aa").write_bytes(b"ab"), (tmp / "a.ab").write_bytes(b"cd")
        >>> concatenate_parts([tmp / "a.aa", tmp / "a.ab"], tmp / "a").read_bytes()
        b'abcd'
    """
    out = Path(dest)
    missing = [str(p) for p in parts if not Path(p).is_file()]
    if missing:
        raise ArchiveError(
            f"cannot assemble {out}: the parts {missing} are missing; download them first"
        )
    tmp = out.with_name(out.name + ".joining")
    with open(tmp, "wb") as joined:
        for part in parts:
            with open(part, "rb") as source:
                shutil.copyfileobj(source, joined, _CHUNK)
    os.replace(tmp, out)
    return out
