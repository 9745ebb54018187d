"""``extract_archive`` for every archive kind; path traversal refused; corrupt archives reported."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import zstandard

from eoforge.datasets import extract_archive
from eoforge.datasets.archives import archive_kind, concatenate_parts
from eoforge.errors import ArchiveError

CONTENT = {
    "eurosat/Forest/Forest_1.tif": np.random.default_rng(1).bytes(5000),
    "eurosat/labels.csv": b"file,label\nForest_1.tif,Forest\n",
    "README.txt": b"tiny",
}


def _tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    """Write ``members`` into an archive of the kind ``path``'s name says."""
    name = path.name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for member, data in members.items():
                zf.writestr(member, data)
    elif name.endswith(".tar.zst"):
        path.write_bytes(zstandard.ZstdCompressor().compress(_tar_bytes(members)))
    else:
        mode = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2"}
        suffix = next(s for s in mode if name.endswith(s))
        path.write_bytes(_tar_bytes(members, mode[suffix]))
    return path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", ["a.zip", "a.tar", "a.tar.gz", "a.tgz", "a.tar.bz2", "a.tar.zst"])
def test_every_archive_kind_extracts_its_files(tmp_path: Path, name: str) -> None:
    archive = write_archive(tmp_path / name, CONTENT)
    written = extract_archive(archive, tmp_path / "out")
    assert _tree(tmp_path / "out") == CONTENT
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == sorted(CONTENT)


def test_a_streamed_zstd_tar_needs_no_content_size(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(raw, closefd=False) as writer:  # no frame size
        writer.write(_tar_bytes(CONTENT))
    (tmp_path / "s.tar.zst").write_bytes(raw.getvalue())
    extract_archive(tmp_path / "s.tar.zst", tmp_path / "out")
    assert _tree(tmp_path / "out") == CONTENT


@pytest.mark.parametrize("name", ["evil.zip", "evil.tar", "evil.tar.zst"])
@pytest.mark.parametrize("member", ["../escaped.txt", "ok/../../escaped.txt"])
def test_members_escaping_the_destination_are_refused(
    tmp_path: Path, name: str, member: str
) -> None:
    archive = write_archive(tmp_path / name, {"fine.txt": b"ok", member: b"evil"})
    dest = tmp_path / "a" / "out"
    with pytest.raises(ArchiveError, match="outside") as err:
        extract_archive(archive, dest)
    assert member in str(err.value) and str(archive) in str(err.value)
    assert not (tmp_path / "a" / "escaped.txt").exists()
    assert not (tmp_path / "escaped.txt").exists()


def test_absolute_members_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "absolute.txt"
    archive = write_archive(tmp_path / "abs.tar", {str(target): b"evil"})
    with pytest.raises(ArchiveError, match="outside"):
        extract_archive(archive, tmp_path / "out")
    assert not target.exists()


def test_a_link_pointing_outside_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        link = tarfile.TarInfo("data/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../../etc/passwd"
        tar.addfile(link)
    (tmp_path / "link.tar").write_bytes(buffer.getvalue())
    with pytest.raises(ArchiveError, match="outside"):
        extract_archive(tmp_path / "link.tar", tmp_path / "out")
    assert not (tmp_path / "out" / "data" / "passwd").is_symlink()


@pytest.mark.parametrize("name", ["bad.zip", "bad.tar.gz", "bad.tar.zst", "bad.tar"])
def test_a_truncated_archive_is_a_clear_error(tmp_path: Path, name: str) -> None:
    whole = write_archive(tmp_path / f"whole_{name}", CONTENT).read_bytes()
    (tmp_path / name).write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ArchiveError) as err:
        extract_archive(tmp_path / name, tmp_path / "out")
    assert str(tmp_path / name) in str(err.value)
    assert "delete it and download it again" in str(err.value)


def test_garbage_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.tar.zst").write_bytes(b"this is not zstandard data at all")
    with pytest.raises(ArchiveError, match="corrupt"):
        extract_archive(tmp_path / "x.tar.zst", tmp_path / "out")


def test_unknown_kinds_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="supported endings"):
        archive_kind("data.rar")
    with pytest.raises(ArchiveError, match="download it first"):
        extract_archive(tmp_path / "missing.zip", tmp_path)


def test_parts_are_joined_in_order(tmp_path: Path) -> None:
    data = np.random.default_rng(2).bytes(10_000)
    parts = []
    for i, start in enumerate(range(0, len(data), 3000)):
        parts.append(tmp_path / f"x.tar.zsta{'abcd'[i]}")
        parts[-1].write_bytes(data[start : start + 3000])
    assert concatenate_parts(parts, tmp_path / "x.tar.zst").read_bytes() == data
    assert not (tmp_path / "x.tar.zst.joining").exists()
    with pytest.raises(ArchiveError, match="missing"):
        concatenate_parts([*parts, tmp_path / "x.tar.zstaz"], tmp_path / "y")
