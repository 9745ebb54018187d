"""``eoforge datasets``: the benchmark datasets — ``list``, ``info NAME``, ``download NAME``.

``eoforge datasets list`` prints a table of the registered datasets (task, classes, bands, download
size, licence); ``eoforge datasets info NAME`` describes one (classes, bands with their centre
wavelength and resolution, splits, files and URLs, licence, citation; ``--json`` for the raw
dict); ``eoforge datasets download NAME --root DIR`` downloads, verifies (``--checksum``: the
files already present too) and extracts its files into ``DIR``, resuming an interrupted download.

Example:
    $ eoforge datasets list
    $ eoforge datasets info eurosat
    $ eoforge datasets download eurosat --root data/eurosat --checksum
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["datasets_table", "register", "run_download", "run_info", "run_list"]


def register(sub: Any) -> None:
    """Add the ``datasets`` subcommand group (``list``, ``info``, ``download``) to the CLI."""
    group = sub.add_parser("datasets", help="benchmark datasets: list, describe, download")
    group.set_defaults(handler=lambda args: _help(group))
    commands = group.add_subparsers(dest="datasets_command", metavar="COMMAND")
    p = commands.add_parser("list", help="the registered datasets, one per line")
    p.set_defaults(handler=lambda args: run_list())
    p = commands.add_parser("info", help="describe one dataset: classes, bands, files, licence")
    p.add_argument("name", help="the dataset's name (see `eoforge datasets list`)")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    p.set_defaults(handler=_handle_info)
    p = commands.add_parser(
        "download",
        help="download, verify and extract a dataset's files",
        description="Download what is missing (resuming partial files), verify and extract.",
    )
    p.add_argument("name", help="the dataset's name (see `eoforge datasets list`)")
    p.add_argument("--root", type=Path, default=Path("data"), help="the dataset's folder")
    p.add_argument("--checksum", action="store_true", help="verify files already present too")
    p.set_defaults(handler=_handle_download)


def _console() -> Console:
    """A console for stdout; not on a terminal, wide enough that table rows do not fold."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _handle_info(args: argparse.Namespace) -> int:
    run_info(args.name, as_json=args.json)
    return 0


def _handle_download(args: argparse.Namespace) -> int:
    run_download(args.name, args.root, args.checksum)
    return 0


def _size(size: int | None) -> str:
    from eoforge.datasets.remote_file import format_size

    return format_size(size)


def datasets_table(names: list[str]) -> Table:
    """A rich table of datasets: name, task, classes, bands, size, licence.

    Example:
        >>> datasets_table([]).row_count
        0
    """
    from eoforge.datasets import get_dataset

    table = Table(title="eoforge datasets")
    for column in ("name", "task", "classes", "bands", "size", "license"):
        right = column in ("classes", "size")
        table.add_column(column, justify="right" if right else "left", no_wrap=column != "bands")
    for name in names:
        info = get_dataset(name).info()
        bands = [b["name"] for b in info["bands"]]
        shown = ",".join(bands) if len(bands) <= 4 else f"{len(bands)}: {bands[0]}…{bands[-1]}"
        table.add_row(
            name, info["task"], str(info["num_classes"] or "-"), shown, _size(info["size"]),
            info["license"] or "?",
        )  # fmt: skip
    return table


def run_list(console: Console | None = None) -> int:
    """Print the table of registered datasets; return the exit status (0)."""
    from eoforge.datasets import list_datasets

    console = console or _console()
    names = list_datasets()
    if not names:
        console.print("no datasets are registered")
        return 0
    console.print(datasets_table(names))
    return 0


def _print_info(info: dict[str, Any], console: Console) -> None:
    console.print(f"[bold]{info['title']}[/] ({info['name']}): {info['description']}")
    console.print(f"task: {info['task']}; splits: {', '.join(info['splits'])}")
    if info["classes"]:
        console.print(f"classes ({info['num_classes']}): {', '.join(info['classes'])}")
    if info["ignore_index"] is not None:
        console.print(f"ignore index: {info['ignore_index']}")
    bands = Table(title="bands")
    for column in ("band", "description", "wavelength (nm)", "resolution (m)"):
        bands.add_column(column)
    for band in info["bands"]:
        wavelength, resolution = band["wavelength_nm"], band["resolution_m"]
        bands.add_row(
            band["name"], band["description"], "-" if wavelength is None else f"{wavelength:g}",
            "-" if resolution is None else f"{resolution:g}",
        )  # fmt: skip
    console.print(bands)
    console.print(f"default bands: {', '.join(info['default_bands'])}")
    if info["files"]:
        files = Table(title=f"files ({_size(info['size'])})")
        for column in ("file", "size", "url"):
            files.add_column(column, overflow="fold")
        for entry in info["files"]:
            files.add_row(entry["filename"], _size(entry["size"]), "\n".join(entry["urls"]))
        console.print(files)
    else:
        console.print("files: none to download automatically")
    for key in ("license", "homepage"):
        console.print(f"{key}: {info[key] or '?'}")
    if info["citation"]:
        console.print("citation:")
        console.print(info["citation"], markup=False, highlight=False)


def run_info(name: str, *, as_json: bool = False, console: Console | None = None) -> dict[str, Any]:
    """Print the description of one dataset (readable, or JSON) and return it.

    Raises:
        UnknownNameError: no dataset has that name.
    """
    from eoforge.datasets import get_dataset

    console = console or _console()
    info = get_dataset(name).info()
    if as_json:
        console.print_json(json.dumps(info))
    else:
        _print_info(info, console)
    return info


def run_download(
    name: str, root: Path, checksum: bool = False, console: Console | None = None
) -> list[Path]:
    """Download, verify and extract a dataset's files into ``root``; return the files.

    Raises:
        UnknownNameError: no dataset has that name.
        DatasetNotFoundError: the dataset cannot be downloaded automatically.
        DownloadError, ChecksumError, ArchiveError: a download or an extraction failed.
    """
    from eoforge.datasets import get_dataset

    console = console or _console()
    dataset = get_dataset(name)
    console.print(f"downloading {dataset.__name__} into {root}")
    paths = dataset.download_to(root, checksum=checksum, progress=console.is_terminal)
    console.print(f"{dataset.__name__} is ready in {root} ({len(paths)} files)")
    return paths
