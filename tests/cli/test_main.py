from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

import eoforge
from eoforge.cli import main as cli
from eoforge.errors import NoFilesError


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"eoforge {eoforge.__version__}"


def _failing(args: argparse.Namespace) -> int:
    raise NoFilesError("no files match 'x/*.tif';\n check the path")


def test_errors_print_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser.set_defaults(handler=_failing)
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err == "error: no files match 'x/*.tif'; check the path\n"
    with pytest.raises(NoFilesError):
        cli.main(["--debug"])


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_python_dash_m_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "eoforge", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("eoforge ")
