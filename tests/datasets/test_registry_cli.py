"""The dataset registry and ``eoforge datasets list|info|download``: output, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from http_file_server import FileServer
from tiny_chips import TinyBase, archive_bytes, tiny_class, tiny_remote

from eoforge.cli.main import main
from eoforge.data.bands import band_info
from eoforge.datasets import get_dataset, list_datasets, register_dataset
from eoforge.datasets.registry import BUILTIN_DATASETS
from eoforge.errors import EoforgeError, UnknownNameError

DATA = archive_bytes()


@pytest.fixture
def registered(file_server: FileServer) -> type[TinyBase]:
    file_server.files["tiny.zip"] = DATA
    return register_dataset(tiny_class((tiny_remote(file_server.url("tiny.zip"), DATA),),
                                       name="test_cli_tiny"))  # fmt: skip


def test_registered_datasets_are_found_by_name(registered: type[TinyBase]) -> None:
    assert get_dataset("test_cli_tiny") is registered
    assert get_dataset("TEST_CLI_TINY") is registered
    assert "test_cli_tiny" in list_datasets()
    assert set(BUILTIN_DATASETS) <= set(list_datasets())


def test_an_unknown_name_suggests_the_closest(registered: type[TinyBase]) -> None:
    with pytest.raises(UnknownNameError) as err:
        get_dataset("test_cli_tiyn")
    assert "did you mean 'test_cli_tiny'?" in str(err.value)
    assert "eoforge datasets list" in str(err.value)


def test_registration_needs_a_free_name(registered: type[TinyBase]) -> None:
    class Other(TinyBase):
        name = "test_cli_tiny"

    with pytest.raises(EoforgeError, match="is taken by"):
        register_dataset(Other)
    with pytest.raises(EoforgeError, match="has no name"):
        register_dataset(TinyBase)


def test_list_prints_a_table(
    registered: type[TinyBase], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "test_cli_tiny" in line)
    for cell in ("classification", "3", "B02,B03,B04,B08", "8.1 KB", "CC-BY-4.0"):
        assert cell in row


def test_info_is_readable_and_json(
    registered: type[TinyBase], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["datasets", "info", "test_cli_tiny"]) == 0
    out = capsys.readouterr().out
    assert "sea, land, cloud" in out and "tiny.zip" in out and "CC-BY-4.0" in out
    assert f"{band_info('B08').wavelength_nm:g}" in out
    assert main(["datasets", "info", "test_cli_tiny", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == registered.info()


def test_download_fetches_and_extracts(
    registered: type[TinyBase], file_server: FileServer, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    root = tmp_path / "tiny"
    assert main(["datasets", "download", "test_cli_tiny", "--root", str(root), "--checksum"]) == 0
    assert "ready" in capsys.readouterr().out
    assert len(registered(root, split="val")) == 2
    assert len(file_server.requests) == 1


def test_a_failed_download_is_one_line(
    file_server: FileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register_dataset(tiny_class((tiny_remote(file_server.url("gone.zip"), DATA),),
                                name="test_cli_gone"))  # fmt: skip
    assert main(["datasets", "download", "test_cli_gone", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "HTTP 404" in err


@pytest.mark.parametrize("command", [["info", "test_cli_tinny"], ["download", "no_such_set"]])
def test_unknown_names_are_one_line_errors(
    registered: type[TinyBase], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["datasets", *command]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown dataset") and err.count("\n") == 1


def test_a_dataset_without_files_cannot_be_downloaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register_dataset(tiny_class((), name="test_cli_manual"))
    assert main(["datasets", "download", "test_cli_manual", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "cannot be downloaded automatically" in err and "https://example.org/tiny" in err


def test_the_group_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets"]) == 2
    assert "download" in capsys.readouterr().out
