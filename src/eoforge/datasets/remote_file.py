"""``RemoteFile``: one file of a dataset — where it is downloaded from and what it becomes.

A benchmark dataset lists its files as :class:`RemoteFile` values in its ``files`` class
attribute. Each names its URL, the file name it gets in the dataset's root folder, its checksum
when known, whether it is an archive to extract, and — for archives split into byte parts (the
BigEarthNet mirror's ``….tar.zstaa``, ``….tar.zstab``) — the parts that are concatenated into it.

Example:
    >>> from pathlib import Path
    >>> archive = RemoteFile("https://example.org/EuroSAT.zip", "EuroSAT.zip", extract=True)
    >>> archive.is_ready(Path("nowhere"))
    False
    >>> archive.marker(Path("data")).name
    '.EuroSAT.zip.extracted'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eoforge.errors import EoforgeError

__all__ = ["RemoteFile", "format_size"]


def format_size(size: int | None) -> str:
    """A byte count for people: ``"1.5 GB"``, ``"830 KB"``, ``"?"`` when unknown.

    Example:
        >>> format_size(2_000_000_000), format_size(830_000), format_size(None)
        ('2.0 GB', '830.0 KB', '?')
    """
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class RemoteFile:
    """A file of a dataset: its URL, its name under the root folder, checksums, extraction.

    Attributes:
        url: where to download it from (``https://``, ``http://`` or ``file://``). For a file
            assembled from ``parts``, the page or URL shown to people (the parts are downloaded).
        filename: its name (a path relative to the dataset's root folder).
        md5: its MD5 hex digest, when known.
        sha256: its SHA-256 hex digest, when known (checked in preference to MD5).
        extract: whether it is an archive (zip, tar, tar.gz/tgz, tar.bz2, tar.xz, tar.zst) to
            extract into the root folder.
        parts: byte parts concatenated, in order, into ``filename`` (each a :class:`RemoteFile`
            with its own URL, name and optional checksum); the parts are deleted once joined.
        size: its size in bytes, when known (shown by ``eoforge datasets list|info``).
        extracts_to: a file or folder (relative to the root) that extraction creates; when it
            exists the archive counts as extracted even without eoforge's marker (e.g. when it
            was extracted by hand).

    Example:
        >>> base = "https://huggingface.co/datasets/x/resolve/main/S2.tar.zst"
        >>> joined = RemoteFile(base, "S2.tar.zst", extract=True, parts=(
        ...     RemoteFile(base + "aa", "S2.tar.zstaa"), RemoteFile(base + "ab", "S2.tar.zstab")))
        >>> [p.filename for p in joined.parts]
        ['S2.tar.zstaa', 'S2.tar.zstab']
    """

    url: str
    filename: str
    md5: str | None = None
    sha256: str | None = None
    extract: bool = False
    parts: tuple[RemoteFile, ...] = ()
    size: int | None = None
    extracts_to: str | None = None

    def __post_init__(self) -> None:
        name = Path(self.filename)
        if not self.filename or name.is_absolute() or ".." in name.parts:
            raise EoforgeError(
                f"RemoteFile filename {self.filename!r} is not valid; give a relative path "
                "inside the dataset's root folder, e.g. 'EuroSAT_MS.zip'"
            )
        for part in self.parts:
            if part.parts or part.extract:
                raise EoforgeError(
                    f"part {part.filename!r} of {self.filename!r} has parts or extract=True; "
                    "parts are plain byte ranges: give them only url, filename and checksums"
                )

    def path(self, root: Path) -> Path:
        """Where the file lies under ``root``.

        Example:
            >>> RemoteFile("https://x.org/a.zip", "a.zip").path(Path("data")).as_posix()
            'data/a.zip'
        """
        return root / self.filename

    def marker(self, root: Path) -> Path:
        """The empty file written under ``root`` once the archive is fully extracted."""
        name = self.path(root)
        return name.with_name(f".{name.name}.extracted")

    def is_fetched(self, root: Path) -> bool:
        """Whether the file itself is complete under ``root`` (downloaded or joined).

        Example:
            >>> RemoteFile("https://x.org/a.zip", "a.zip").is_fetched(Path("nowhere"))
            False
        """
        return self.path(root).is_file()

    def is_local(self, root: Path) -> bool:
        """Whether no download is needed: the file is complete, or all its parts are.

        Example:
            >>> RemoteFile("u", "a", parts=(RemoteFile("u1", "a1"),)).is_local(Path("nowhere"))
            False
        """
        if self.is_fetched(root):
            return True
        return bool(self.parts) and all(p.is_fetched(root) for p in self.parts)

    def is_ready(self, root: Path) -> bool:
        """Whether the file is usable: present, and extracted when it is an archive.

        Example:
            >>> RemoteFile("https://x.org/a.zip", "a.zip", extract=True).is_ready(Path("x"))
            False
        """
        if not self.extract:
            return self.is_fetched(root)
        if self.extracts_to is not None and (root / self.extracts_to).exists():
            return True
        return self.marker(root).is_file()

    @property
    def download_urls(self) -> tuple[str, ...]:
        """The URLs actually downloaded: the parts' URLs, or the file's own.

        Example:
            >>> RemoteFile("https://x.org/a.zip", "a.zip").download_urls
            ('https://x.org/a.zip',)
        """
        return tuple(p.url for p in self.parts) if self.parts else (self.url,)

    @property
    def total_size(self) -> int | None:
        """The bytes to download: ``size``, else the sum of the parts' sizes when all are known.

        Example:
            >>> RemoteFile("u", "a", parts=(RemoteFile("u1", "a1", size=2),
            ...                             RemoteFile("u2", "a2", size=3))).total_size
            5
        """
        if self.size is not None:
            return self.size
        sizes = [p.size for p in self.parts]
        if sizes and all(s is not None for s in sizes):
            return sum(s for s in sizes if s is not None)
        return None
