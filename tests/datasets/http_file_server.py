"""A local HTTP file server with ``Range`` support, for the download tests (no internet)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class FileServer:
    """What the server serves and what it saw.

    ``files`` maps a URL path (``"a/b.zip"``) to bytes; ``ranges=False`` makes it ignore
    ``Range`` headers (answer 200 with the whole file); ``drop_after[name] = n`` sends only
    ``n`` bytes of the next answer for ``name`` and closes the connection; ``statuses[name]`` is a
    list of error statuses answered first, one per request.
    """

    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    drop_after: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, list[int]] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # silence the test output
        pass

    def do_GET(self) -> None:
        state = self.server.state
        name = self.path.lstrip("/")
        asked = self.headers.get("Range")
        state.requests.append((name, asked))
        pending = state.statuses.get(name)
        if pending:
            self.send_error(pending.pop(0))
            return
        data = state.files.get(name)
        if data is None:
            self.send_error(404)
            return
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", asked or "")
        if match is not None and state.ranges:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        drop = state.drop_after.pop(name, None)
        sent = body if drop is None else body[:drop]
        state.bytes_sent += len(sent)  # counted first: the client may finish before write returns
        self.wfile.write(sent)


class _Server(ThreadingHTTPServer):
    state: FileServer


@contextmanager
def serve_files() -> Iterator[FileServer]:
    """Run a ``FileServer`` on 127.0.0.1 (a free port) in a thread while the block runs."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = FileServer(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
