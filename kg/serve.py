"""Serve: a read-only HTTP server over dist/ (a placeholder until the linked-data server).

GET and HEAD only; every other method gets 405 with ``Allow: GET, HEAD``. Binds to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class ReadOnlyHandler(SimpleHTTPRequestHandler):
    """Static files from dist/, GET and HEAD only."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".nq": "application/n-quads",
        ".ttl": "text/turtle",
        ".md": "text/markdown; charset=utf-8",
    }

    def _refuse(self) -> None:
        self.send_response(405, "Method Not Allowed")
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def make_server(dist: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``dist`` (not yet serving; call ``serve_forever``)."""
    if not (dist / "index.html").is_file():
        raise FileNotFoundError(f"{dist}/index.html not found: run `govsm build` first")
    handler = functools.partial(ReadOnlyHandler, directory=str(dist))
    return ThreadingHTTPServer((host, port), handler)
