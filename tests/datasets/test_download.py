"""``download_url`` against a local HTTP server: full, resumed, retried, verified, refused."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import numpy as np
import pytest
from http_file_server import FileServer

from eoforge.datasets import download_url
from eoforge.datasets.checksums import file_digest
from eoforge.errors import ChecksumError, DownloadError

DATA = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
MD5 = hashlib.md5(DATA).hexdigest()
SHA256 = hashlib.sha256(DATA).hexdigest()


def _get(server: FileServer, tmp_path: Path, **kwargs: object) -> Path:
    return download_url(
        server.url("data.bin"), tmp_path / "data.bin", progress=False, backoff=0, **kwargs
    )


def test_full_download_is_atomic_and_verified(file_server: FileServer, tmp_path: Path) -> None:
    file_server.files["data.bin"] = DATA
    path = _get(file_server, tmp_path, md5=MD5, sha256=SHA256)
    assert path.read_bytes() == DATA
    assert not (tmp_path / "data.bin.part").exists()
    assert file_server.requests == [("data.bin", None)]


def test_resumes_a_partial_file_with_a_range_request(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["data.bin"] = DATA
    (tmp_path / "data.bin.part").write_bytes(DATA[:100_000])
    path = _get(file_server, tmp_path, md5=MD5)
    assert path.read_bytes() == DATA
    assert file_server.requests == [("data.bin", "bytes=100000-")]
    assert file_server.bytes_sent == len(DATA) - 100_000  # only the rest travelled


def test_a_server_without_range_support_sends_the_whole_file(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["data.bin"] = DATA
    file_server.ranges = False
    (tmp_path / "data.bin.part").write_bytes(b"x" * 5000)  # not even the right bytes
    path = _get(file_server, tmp_path, sha256=SHA256)
    assert path.read_bytes() == DATA
    assert file_server.bytes_sent == len(DATA)


def test_an_interrupted_transfer_is_retried_from_where_it_stopped(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["data.bin"] = DATA
    file_server.drop_after["data.bin"] = 70_000
    path = _get(file_server, tmp_path, md5=MD5)
    assert path.read_bytes() == DATA
    assert file_server.requests == [("data.bin", None), ("data.bin", "bytes=70000-")]


def test_a_whole_part_answered_416_is_downloaded_again(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["data.bin"] = DATA
    (tmp_path / "data.bin.part").write_bytes(DATA)
    assert _get(file_server, tmp_path, md5=MD5).read_bytes() == DATA
    assert [r[1] for r in file_server.requests] == [f"bytes={len(DATA)}-", None]


def test_server_errors_are_retried(file_server: FileServer, tmp_path: Path) -> None:
    file_server.files["data.bin"] = DATA
    file_server.statuses["data.bin"] = [503, 500]
    assert _get(file_server, tmp_path).read_bytes() == DATA
    assert len(file_server.requests) == 3


def test_a_persistent_server_error_fails_after_the_retries(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["data.bin"] = DATA
    file_server.statuses["data.bin"] = [500] * 10
    with pytest.raises(DownloadError, match="after 3 attempts"):
        _get(file_server, tmp_path, retries=2)
    assert len(file_server.requests) == 3
    assert not (tmp_path / "data.bin").exists()


def test_checksum_mismatch_removes_the_file_and_says_why(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["data.bin"] = DATA
    wrong = "0" * 32
    with pytest.raises(ChecksumError) as err:
        _get(file_server, tmp_path, md5=wrong)
    message = str(err.value)
    assert "data.bin" in message and MD5 in message and wrong in message
    assert "download it again" in message
    assert not (tmp_path / "data.bin").exists() and not (tmp_path / "data.bin.part").exists()


def test_404_is_a_clear_error_without_retries(file_server: FileServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as err:
        _get(file_server, tmp_path)
    assert "HTTP 404" in str(err.value) and file_server.url("data.bin") in str(err.value)
    assert len(file_server.requests) == 1
    assert not list(tmp_path.iterdir())


def test_a_complete_file_is_not_downloaded_again(file_server: FileServer, tmp_path: Path) -> None:
    file_server.files["data.bin"] = DATA
    (tmp_path / "data.bin").write_bytes(DATA)
    _get(file_server, tmp_path, md5=MD5)
    assert file_server.requests == []
    (tmp_path / "data.bin").write_bytes(DATA[:-1] + b"!")  # changed: checksum differs
    assert _get(file_server, tmp_path, md5=MD5).read_bytes() == DATA
    assert len(file_server.requests) == 1


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.bin"
    with pytest.raises(DownloadError, match="after 2 attempts") as err:
        download_url(url, tmp_path / "x.bin", progress=False, retries=1, backoff=0, timeout=5)
    assert url in str(err.value)


def test_file_urls_are_copied_and_verified(tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    path = download_url(source.as_uri(), tmp_path / "out" / "copy.bin", progress=False, md5=MD5)
    assert file_digest(path, "sha256") == SHA256
