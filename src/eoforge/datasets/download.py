"""``download_url``: a resumable, verified, atomic HTTP(S) or ``file://`` download.

The bytes go to ``<path>.part`` and the file is renamed to ``<path>`` only once complete, so a
file at ``path`` is always whole. An interrupted download resumes: when ``<path>.part`` exists the
request asks for the remaining bytes (``Range: bytes=N-``); a server that answers ``206 Partial
Content`` continues the file, one that answers ``200`` sends it whole again. Connection errors
and server errors (5xx) are retried with exponential back-off. When a checksum is given it is
verified once the file is complete; a wrong digest removes the file and raises
:class:`~eoforge.errors.ChecksumError`. Uses only the standard library (``urllib``).

Example:
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "src.bin").write_bytes(b"abc")
    >>> out = download_url((tmp / "src.bin").as_uri(), tmp / "copy.bin", progress=False,
    ...                    md5="900150983cd24fb0d6963f7d28e17f72")
    >>> out.read_bytes()
    b'abc'
"""

from __future__ import annotations

import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

import eoforge
from eoforge.datasets.checksums import verify_checksum
from eoforge.errors import ChecksumError, DownloadError

__all__ = ["download_url"]

_CHUNK = 1 << 20
_RETRIED = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
)
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class _RestartError(Exception):
    """The partial file cannot be continued (the server's range does not fit): start over."""


def _progress(enabled: bool) -> Progress:
    console = Console(stderr=True)
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not (enabled and console.is_terminal),
    )


def _copy_local(url: str, part: Path, advance: Callable[[int, int | None], None]) -> None:
    source = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    if not source.is_file():
        raise DownloadError(f"{url} does not exist (no file {source}); check the path")
    advance(0, source.stat().st_size)
    with open(source, "rb") as src, open(part, "wb") as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
            advance(len(chunk), None)


def _total_of(response: http.client.HTTPResponse, offset: int) -> int | None:
    """The full size of the file from ``Content-Range`` (206) or ``Content-Length`` (200)."""
    if response.status == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != offset:
            raise _RestartError
        return None if match.group(3) == "*" else int(match.group(3))
    length = response.headers.get("Content-Length")
    return int(length) if length is not None and length.isdigit() else None


def _transfer(
    url: str, part: Path, timeout: float, advance: Callable[[int, int | None], None]
) -> None:
    """One request: continue ``part`` from its size (206) or rewrite it (200)."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": f"eoforge/{eoforge.__version__}"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status != 206:
            offset = 0  # the server sends the whole file: start over
        total = _total_of(response, offset)
        advance(-1, None)  # reset the bar to the bytes already on disk
        advance(offset, total)
        with open(part, "ab" if offset else "wb") as out:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                advance(len(chunk), None)
    if total is not None and part.stat().st_size != total:
        raise http.client.IncompleteRead(b"", total - part.stat().st_size)


def _fetch(
    url: str, part: Path, timeout: float, retries: int, backoff: float, bar: Progress
) -> None:
    task = bar.add_task(Path(part.name).stem, total=None)

    def advance(nbytes: int, total: int | None) -> None:
        if nbytes < 0:
            bar.reset(task)
            return
        if total is not None:
            bar.update(task, total=total)
        bar.advance(task, nbytes)

    if urllib.parse.urlparse(url).scheme == "file":
        _copy_local(url, part, advance)
        return
    last: BaseException | None = None
    for attempt in range(retries + 1):
        try:
            _transfer(url, part, timeout, advance)
            return
        except _RestartError:
            part.unlink(missing_ok=True)
            last = DownloadError("the server answered with another byte range than requested")
            continue
        except urllib.error.HTTPError as err:
            if err.code == 416:  # the part cannot be continued (e.g. it is already whole)
                part.unlink(missing_ok=True)
                last = err
                continue
            if err.code < 500 and err.code not in (408, 429):
                raise DownloadError(
                    f"{url} cannot be downloaded (HTTP {err.code} {err.reason}); check the URL, "
                    "or download the file by hand from the dataset's homepage"
                ) from err
            last = err
        except _RETRIED as err:
            last = err
        if attempt < retries:
            time.sleep(backoff * 2**attempt)
    kept = f"; the partial file {part} is kept: run again to resume" if part.is_file() else ""
    raise DownloadError(
        f"{url} could not be downloaded after {retries + 1} attempts ({last}){kept}; check the "
        "network connection"
    )


def download_url(
    url: str,
    path: Path | str,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
    timeout: float = 60,
    retries: int = 3,
    backoff: float = 1.0,
) -> Path:
    """Download ``url`` to ``path``: resumable, retried, atomic, checksum-verified.

    Args:
        url: an ``https://``, ``http://`` or ``file://`` URL.
        path: the file to write (its folder is created). An existing ``path`` is kept when it
            matches the checksum (or when no checksum is given) and downloaded again otherwise.
        md5: the expected MD5 hex digest.
        sha256: the expected SHA-256 hex digest (checked in preference to MD5).
        progress: show a progress bar (on a terminal only).
        timeout: seconds to wait for the server on connecting and on each read.
        retries: further attempts after a connection error or a server error (5xx); each
            attempt resumes from the bytes already received.
        backoff: seconds before the first retry, doubled for each following one.

    Returns:
        ``path``.

    Raises:
        DownloadError: the server refuses the file (404 and other 4xx), or every attempt failed
            (the partial file is kept for the next run to resume).
        ChecksumError: the downloaded file has another digest (it is removed).

    Example:
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp())
        >>> download_url((tmp / "missing").as_uri(), tmp / "x", progress=False)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        eoforge.errors.DownloadError: file://... does not exist (no file ...missing); check the path
    """
    target = Path(path)
    if target.is_file():
        try:
            verify_checksum(target, md5=md5, sha256=sha256)
            return target
        except ChecksumError:
            target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    with _progress(progress) as bar:
        _fetch(url, part, timeout, retries, backoff, bar)
    os.replace(part, target)
    verify_checksum(target, md5=md5, sha256=sha256, remove_on_mismatch=True)
    return target
