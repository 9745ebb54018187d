"""``ChipDataset``: split and band validation, finding / downloading / verifying / extracting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from http_file_server import FileServer
from tiny_chips import (
    BANDS,
    SPLIT_SIZES,
    TinyBase,
    archive_bytes,
    chips,
    md5,
    tiny_class,
    tiny_remote,
    unpacked,
)

from eoforge.data.bands import band_info
from eoforge.datasets import ChipDataset, RemoteFile
from eoforge.errors import (
    BandNotFoundError,
    ChecksumError,
    DatasetNotFoundError,
    EoforgeError,
    UnknownNameError,
)

URL = "https://example.org/tiny.zip"
DATA = archive_bytes()


@pytest.fixture
def present(tmp_path: Path) -> Path:
    """A root with the dataset extracted and its marker written (as after a download)."""
    unpacked(tmp_path)
    tiny_remote(URL, DATA).marker(tmp_path).touch()
    return tmp_path


def test_samples_hold_the_asked_bands_in_order(present: Path) -> None:
    ds = tiny_class((tiny_remote(URL, DATA),))(present, split="train", bands=["B08", "b02"])
    assert len(ds) == SPLIT_SIZES["train"] and ds.bands == ["B08", "B02"]
    sample = ds[3]
    raw, label = chips()[sample["id"]]
    assert sample["image"].dtype == torch.float32 and sample["image"].shape == (2, 8, 8)
    np.testing.assert_array_equal(sample["image"].numpy(), raw[[3, 0]].astype("float32"))
    assert sample["label"].dtype == torch.int64 and sample["label"].ndim == 0
    assert int(sample["label"]) == label and sample["bands"] == ["B08", "B02"]


def test_every_split_and_the_default_bands(present: Path) -> None:
    cls = tiny_class((tiny_remote(URL, DATA),))
    for split, size in SPLIT_SIZES.items():
        ds = cls(present, split=split)
        assert len(ds) == size and ds.bands == list(BANDS)
    assert "split='val'" in repr(cls(present, split="val"))


def test_a_wrong_split_lists_the_valid_ones_before_any_download(
    file_server: FileServer, tmp_path: Path
) -> None:
    cls = tiny_class((tiny_remote(file_server.url("tiny.zip"), DATA),))
    with pytest.raises(UnknownNameError) as err:
        cls(tmp_path, split="tset", download=True)
    assert "did you mean 'test'" in str(err.value) and "'train', 'val', 'test'" in str(err.value)
    assert file_server.requests == []


def test_a_wrong_band_names_it_and_the_dataset_bands(tmp_path: Path) -> None:
    with pytest.raises(BandNotFoundError) as err:
        tiny_class(())(tmp_path, bands=["B04", "B99", "VV"])
    message = str(err.value)
    assert "'B99', 'VV'" in message and "B02, B03, B04, B08" in message
    with pytest.raises(EoforgeError, match="more than once"):
        tiny_class(())(tmp_path, bands=["B04", "b04"])


def test_missing_data_says_what_to_download_where(tmp_path: Path) -> None:
    root = tmp_path / "data" / "tiny"
    with pytest.raises(DatasetNotFoundError) as err:
        tiny_class((tiny_remote(URL, DATA),))(root)
    message = str(err.value)
    assert f"Download {URL} (" in message and f"into {root}/" in message
    assert "tiny.zip" in message and "download=True" in message
    assert f"eoforge datasets download test_tiny --root {root}" in message
    assert isinstance(err.value, FileNotFoundError)


def test_download_verifies_extracts_and_is_not_repeated(
    file_server: FileServer, tmp_path: Path
) -> None:
    file_server.files["tiny.zip"] = DATA
    cls = tiny_class((tiny_remote(file_server.url("tiny.zip"), DATA),))
    ds = cls(tmp_path, split="val", download=True)
    assert len(ds) == 2 and (tmp_path / "tiny.zip").read_bytes() == DATA
    assert (tmp_path / ".tiny.zip.extracted").is_file()
    assert len(file_server.requests) == 1
    assert len(cls(tmp_path, split="test", download=True, checksum=True)) == 2
    assert len(file_server.requests) == 1  # present and verified: nothing fetched again


def test_a_wrong_checksum_fails_the_download(file_server: FileServer, tmp_path: Path) -> None:
    file_server.files["tiny.zip"] = DATA
    remote = RemoteFile(file_server.url("tiny.zip"), "tiny.zip", md5="0" * 32, extract=True)
    with pytest.raises(ChecksumError, match=r"tiny\.zip"):
        tiny_class((remote,))(tmp_path, download=True)
    assert not (tmp_path / "tiny.zip").exists() and not (tmp_path / "tiny").exists()


def test_checksum_true_verifies_files_already_present(present: Path) -> None:
    remote = tiny_remote(URL, DATA)
    (present / "tiny.zip").write_bytes(DATA[:-1] + b"?")  # an altered archive
    tiny_class((remote,))(present)  # not checked by default
    with pytest.raises(ChecksumError, match="download again"):
        tiny_class((remote,))(present, checksum=True)


def test_an_archive_on_disk_is_extracted_without_downloading(tmp_path: Path) -> None:
    (tmp_path / "tiny.zip").write_bytes(DATA)  # downloaded by hand, say
    ds = tiny_class((tiny_remote("http://127.0.0.1:9/never", DATA),))(tmp_path, split="test")
    assert len(ds) == 2


def test_split_archives_are_downloaded_joined_and_extracted(
    file_server: FileServer, tmp_path: Path
) -> None:
    cut = len(DATA) // 3
    pieces = {"tiny.zipaa": DATA[:cut], "tiny.zipab": DATA[cut:]}
    file_server.files.update(pieces)
    parts = tuple(
        RemoteFile(file_server.url(name), name, md5=md5(data)) for name, data in pieces.items()
    )
    remote = RemoteFile("https://example.org/tiny", "tiny.zip", md5=md5(DATA), extract=True,
                        parts=parts)  # fmt: skip
    ds = tiny_class((remote,))(tmp_path, download=True)
    assert len(ds) == SPLIT_SIZES["train"]
    assert [r[0] for r in file_server.requests] == ["tiny.zipaa", "tiny.zipab"]
    assert (tmp_path / "tiny.zip").read_bytes() == DATA
    assert not (tmp_path / "tiny.zipaa").exists()  # parts are removed once joined and verified


def test_parts_put_there_by_hand_are_joined_without_downloading(tmp_path: Path) -> None:
    cut = len(DATA) // 2
    (tmp_path / "tiny.zipaa").write_bytes(DATA[:cut])
    (tmp_path / "tiny.zipab").write_bytes(DATA[cut:])
    parts = tuple(RemoteFile(f"http://127.0.0.1:9/{n}", n) for n in ("tiny.zipaa", "tiny.zipab"))
    remote = RemoteFile("https://example.org/tiny", "tiny.zip", md5=md5(DATA), extract=True,
                        parts=parts)  # fmt: skip
    assert len(tiny_class((remote,))(tmp_path, split="val")) == 2


def test_missing_parts_are_named_in_the_message(tmp_path: Path) -> None:
    parts = (RemoteFile("https://x.org/t.zipaa", "t.zipaa"), RemoteFile("https://x.org/t.zipab",
             "t.zipab"))  # fmt: skip
    remote = RemoteFile("https://x.org/t", "t.zip", extract=True, parts=parts)
    with pytest.raises(DatasetNotFoundError) as err:
        tiny_class((remote,))(tmp_path)
    assert "https://x.org/t.zipaa, https://x.org/t.zipab" in str(err.value)


def test_transforms_see_the_finished_sample(present: Path) -> None:
    def double(sample: dict[str, Any]) -> dict[str, Any]:
        return {**sample, "image": sample["image"] * 2}

    cls = tiny_class((tiny_remote(URL, DATA),))
    plain, doubled = cls(present), cls(present, transforms=double)
    torch.testing.assert_close(doubled[0]["image"], plain[0]["image"] * 2)


def test_info_describes_bands_files_and_sizes() -> None:
    info = tiny_class((tiny_remote(URL, DATA),)).info()
    assert info["name"] == "test_tiny" and info["num_classes"] == 3
    assert [b["name"] for b in info["bands"]] == list(BANDS)
    assert info["bands"][2]["wavelength_nm"] == band_info("B04").wavelength_nm
    assert info["bands"][3]["resolution_m"] == band_info("B08").resolution_m
    assert info["files"][0]["urls"] == [URL] and info["size"] == len(DATA)
    assert info["license"] == "CC-BY-4.0" and info["splits"] == ["train", "val", "test"]


def test_inconsistent_class_attributes_fail_at_definition() -> None:
    with pytest.raises(EoforgeError) as err:

        class Bad(TinyBase):
            name = "Bad-Name"
            colors = ((0, 0, 0),)
            rgb_bands = ("B04", "B03", "B01")  # type: ignore[assignment]

    message = str(err.value)
    assert "name 'Bad-Name'" in message and "1 colors for 3 classes" in message
    assert "rgb_bands" in message


class _Broken(TinyBase):
    name = "test_broken"

    def _is_present(self) -> bool:
        return True

    def _load_index(self) -> list[int]:
        return [0]

    def _load_sample(self, record: Any) -> dict[str, Any]:
        return {"image": np.zeros((4, 2, 2)), "label": 0}  # all bands, whatever was asked


def test_a_sample_with_the_wrong_channels_is_reported(tmp_path: Path) -> None:
    ds = _Broken(tmp_path, bands=["B04"])
    with pytest.raises(EoforgeError, match=r"shape \(4, 2, 2\) for the 1 bands \['B04'\]"):
        ds[0]


class _Labels(ChipDataset):
    name, task = "test_multilabel", "multilabel"
    classes, all_bands = ("a", "b", "c"), ("VV", "VH")

    def _is_present(self) -> bool:
        return True

    def _load_index(self) -> list[list[int]]:
        return [[0, 2], [], [5]]

    def _load_sample(self, record: Any) -> dict[str, Any]:
        return {"image": np.zeros((2, 2, 2)), "label": self.multi_hot(record)}


def test_multilabel_labels_are_multi_hot_vectors(tmp_path: Path) -> None:
    ds = _Labels(tmp_path)
    assert ds[0]["label"].tolist() == [1, 0, 1] and ds[0]["label"].dtype == torch.int64
    assert ds[1]["label"].tolist() == [0, 0, 0]
    with pytest.raises(EoforgeError, match=r"not all in 0\.\.2"):
        ds[2]


def test_only_the_required_files_are_downloaded(file_server: FileServer, tmp_path: Path) -> None:
    file_server.files.update({"tiny.zip": DATA, "extra.bin": b"x" * 10})

    class Selective(TinyBase):
        name = "test_selective"
        files = (
            tiny_remote(file_server.url("tiny.zip"), DATA),
            RemoteFile(file_server.url("extra.bin"), "extra.bin"),
        )

        def _required_files(self) -> tuple[RemoteFile, ...]:
            return self.files if "B08" in self.bands else self.files[:1]

    assert len(Selective(tmp_path, bands=["B04"], download=True)) == SPLIT_SIZES["train"]
    assert [r[0] for r in file_server.requests] == ["tiny.zip"]
    with pytest.raises(DatasetNotFoundError, match=r"missing: extra\.bin\)"):
        Selective(tmp_path, bands=["B08"])
    assert len(Selective.download_to(tmp_path, progress=False)) == 2  # the CLI gets every file
    assert (tmp_path / "extra.bin").is_file()
