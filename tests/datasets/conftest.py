"""Fixtures of the dataset tests: a local HTTP file server (no test touches the internet)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_file_server import FileServer, serve_files


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    """A ``FileServer`` on 127.0.0.1 with ``Range`` support, running for the test."""
    with serve_files() as server:
        yield server
