"""``eoforge data convert``: a dataset class by dotted path → a chip store; one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from eoforge.cli.main import main
from eoforge.data import ChipStore

DATASETS = Path(__file__).resolve().parents[1] / "data"  # holds chip_store_dataset.py
TINY = "chip_store_dataset.TinyChips"


@pytest.fixture(autouse=True)
def _importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(DATASETS))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    return tmp_path / "root"


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_convert_writes_the_dataset_split_and_bands(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chip_store_dataset import TinyChips

    out = tmp_path / "chips"
    argv = ["data", "convert", TINY, "--root", str(root), "--out", str(out)]
    assert main([*argv, "--split", "val", "--bands", "B08", "B04", "--workers", "2"]) == 0
    assert "7 samples (7 written, 0 already there" in capsys.readouterr().out
    store = ChipStore(out)
    source = TinyChips(root, split="val", bands=["B08", "B04"])
    assert store.keys == [f"val_{i:03d}" for i in range(7)] and store.split == "val"
    assert store.bands == ["B08", "B04"]
    for i in range(len(source)):
        expected, got = source[i], store[i]
        assert expected["image"].numpy().tobytes() == got["image"].numpy().tobytes()
        assert expected["grid"] == got["grid"] and expected["path"] == got["path"]
    assert main([*argv, "--split", "val", "--bands", "B08", "B04"]) == 0  # resumes: nothing left
    assert "(0 written, 7 already there, skipped)" in capsys.readouterr().out


def test_the_default_split_is_the_dataset_default(root: Path, tmp_path: Path) -> None:
    assert main(["data", "convert", TINY, "--root", str(root), "--out", str(tmp_path / "s")]) == 0
    assert len(ChipStore(tmp_path / "s")) == 23


def test_an_existing_store_needs_overwrite_without_resume(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["data", "convert", TINY, "--root", str(root), "--out", str(tmp_path / "s")]
    assert main(argv) == 0
    capsys.readouterr()
    assert main([*argv, "--no-resume"]) == 1
    assert "already holds a complete chip store; pass overwrite=True (--overwrite)" in (
        _one_line_error(capsys)
    )
    assert main([*argv, "--no-resume", "--overwrite", "--split", "val"]) == 0
    assert len(ChipStore(tmp_path / "s")) == 7


@pytest.mark.parametrize(
    ("name", "extra", "words"),
    [
        ("chip_store_dataset.Missing", [], "cannot be imported"),
        ("no_such_module.Chips", [], "cannot be imported"),
        ("no_such_dataset_name", [], "unknown dataset 'no_such_dataset_name'"),
        ("fractions.Fraction", ["--split", "val"], "cannot be opened as Fraction(root, split=…)"),
        ("chip_store_dataset.Unkeepable", [], "sample 4 ('train_004'): sample value 'tags'"),
    ],
)
def test_errors_are_one_line_with_exit_status_1(
    name: str,
    extra: list[str],
    words: str,
    root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["data", "convert", name, "--root", str(root), "--out", str(tmp_path / "s"), *extra]
    assert main(argv) == 1
    assert words in _one_line_error(capsys)


def test_a_missing_root_is_the_dataset_s_own_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["data", "convert", TINY, "--root", str(tmp_path / "nope"), "--out", str(tmp_path / "s")]
    assert main(argv) == 1
    assert "no TinyChips data in" in _one_line_error(capsys)
    assert not (tmp_path / "s").exists()


def test_a_bad_workers_count_is_an_argparse_error(root: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "data",
                "convert",
                TINY,
                "--root",
                str(root),
                "--out",
                str(tmp_path),
                "--workers",
                "-1",
            ]
        )
    assert exit_.value.code == 2
