"""Get a dataset's :class:`~eoforge.datasets.RemoteFile` list into its root folder, and say how.

:func:`fetch_files` downloads what is missing (resumable, see
:func:`~eoforge.datasets.download_url`), joins split archives, verifies checksums and extracts
archives, skipping every step already done; :func:`missing_files_message` is the text of the
error raised when the files are absent and downloading was not asked for.

Example:
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "labels.csv").write_text("id,label")
    >>> files = (RemoteFile((tmp / "labels.csv").as_uri(), "labels.csv"),)
    >>> [p.name for p in fetch_files(files, tmp / "root", progress=False)]
    ['labels.csv']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eoforge.datasets.archives import concatenate_parts, extract_archive
from eoforge.datasets.checksums import verify_checksum
from eoforge.datasets.download import download_url
from eoforge.datasets.remote_file import RemoteFile, format_size

__all__ = ["fetch_files", "missing_files_message"]


def _download(remote: RemoteFile, root: Path, checksum: bool, progress: bool) -> Path:
    """The file under ``root``: kept when present (and, with ``checksum``, verified)."""
    path = remote.path(root)
    if path.is_file() and not checksum:
        return path
    return download_url(remote.url, path, md5=remote.md5, sha256=remote.sha256, progress=progress)


def _assemble(remote: RemoteFile, root: Path, checksum: bool, progress: bool) -> Path:
    """Download the parts of ``remote``, join them, verify the whole, delete the parts."""
    path = remote.path(root)
    if path.is_file():
        if checksum:
            verify_checksum(path, md5=remote.md5, sha256=remote.sha256)
        return path
    pieces = [_download(p, root, checksum, progress) for p in remote.parts]
    concatenate_parts(pieces, path)
    verify_checksum(path, md5=remote.md5, sha256=remote.sha256, remove_on_mismatch=True)
    for piece in pieces:
        piece.unlink()
    return path


def fetch_files(
    files: Sequence[RemoteFile],
    root: Path | str,
    *,
    checksum: bool = False,
    progress: bool = True,
) -> list[Path]:
    """Make every file ready under ``root``: downloaded (or joined), verified, extracted.

    A file already complete is not downloaded again; an archive already extracted (its marker
    or ``extracts_to`` exists) is not extracted again. Checksums are verified after every fresh
    download, and for the files already present too when ``checksum`` is set (a file that fails
    is downloaded again).

    Args:
        files: the dataset's files.
        root: the dataset's root folder (created).
        checksum: verify the files already present as well.
        progress: show progress bars (on a terminal only).

    Returns:
        The path of each file (the archive, for archives), in the order of ``files``.

    Raises:
        DownloadError: a file cannot be downloaded.
        ChecksumError: a fresh download has the wrong digest.
        ArchiveError: an archive is corrupt or unsafe.

    Example:
        >>> fetch_files([], "nowhere")
        []
    """
    base = Path(root)
    paths: list[Path] = []
    for remote in files:
        if remote.is_ready(base) and not (checksum and remote.is_fetched(base)):
            paths.append(remote.path(base))
            continue
        base.mkdir(parents=True, exist_ok=True)
        if remote.parts:
            path = _assemble(remote, base, checksum, progress)
        else:
            path = _download(remote, base, checksum, progress)
        if remote.extract and not remote.is_ready(base):
            extract_archive(path, path.parent)
            remote.marker(base).touch()
        paths.append(path)
    return paths


def _how_to_get(remote: RemoteFile, root: Path) -> str:
    size = remote.total_size
    sized = f" ({format_size(size)})" if size is not None else ""
    if remote.parts:
        urls = ", ".join(remote.download_urls)
        return f"{urls}{sized} into {root}/ (eoforge joins the parts into {remote.filename})"
    extracted = " (eoforge extracts it)" if remote.extract else ""
    return f"{remote.url}{sized} into {root}/{extracted}"


def missing_files_message(
    title: str, name: str, files: Sequence[RemoteFile], root: Path | str, homepage: str = ""
) -> str:
    """The message of a missing dataset: which files to download from where into which folder.

    Args:
        title: the dataset's display name (its class name).
        name: its registry name, for the ``eoforge datasets download`` hint.
        files: its files.
        root: the root folder that was searched.
        homepage: where a dataset without downloadable files can be obtained.

    Example:
        >>> print(missing_files_message("Tiny", "tiny",
        ...       [RemoteFile("https://x.org/t.zip", "t.zip", extract=True)], "data"))
        ... # doctest: +NORMALIZE_WHITESPACE
        Tiny is not in data (missing: t.zip). Download https://x.org/t.zip into data/ (eoforge
        extracts it); or pass download=True, or run: eoforge datasets download tiny --root data
    """
    base = Path(root)
    if not files:
        where = f" from {homepage}" if homepage else ""
        return (
            f"{title} is not in {base} and cannot be downloaded automatically; get it{where} and "
            f"put it into {base}/"
        )
    missing = [f.filename for f in files if not f.is_ready(base)] or [f.filename for f in files]
    steps = " and ".join(_how_to_get(f, base) for f in files if f.filename in missing)
    return (
        f"{title} is not in {base} (missing: {', '.join(missing)}). Download {steps}; or pass "
        f"download=True, or run: eoforge datasets download {name} --root {base}"
    )
