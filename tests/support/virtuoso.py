"""A throwaway local Virtuoso Open Source server, for tests, benchmarks and trying ``govsm push``.

Starts Debian's ``virtuoso-t`` (package ``virtuoso-opensource-7-bin``) in the foreground
with the configuration template ``deploy/virtuoso/virtuoso.ini`` filled in for a fresh
database folder and two ports of 127.0.0.1 (0 picks free ones), waits until the SPARQL
endpoint answers, and can create a user with the rights the Graph Store Protocol needs
(the ``SPARQL_UPDATE`` role and write permission on graphs). ``stop()`` ends the process.

    with LocalVirtuoso.start(Path("/tmp/virtuoso-db")) as server:
        server.create_writer("govsm", "secret")
        print(server.endpoint, server.graph_store)

Run ``python -m tests.support.virtuoso DBDIR`` to keep one running in the terminal (Ctrl-C stops).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import TracebackType

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "virtuoso" / "virtuoso.ini"
PACKAGE = "virtuoso-opensource-7-bin"
TOOLS = ("virtuoso-t", "isql-vt")


class VirtuosoError(RuntimeError):
    """Virtuoso is missing, did not start, or refused an administrative command."""


def missing_tools() -> list[str]:
    """The Virtuoso programs not found on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def free_port() -> int:
    """A port of 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(endpoint: str) -> bool:
    url = endpoint + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class LocalVirtuoso:
    """A running local Virtuoso and its endpoints."""

    dbdir: Path
    http_port: int
    isql_port: int
    process: subprocess.Popen[bytes]
    writers: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def graph_store(self) -> str:
        """The Graph Store endpoint that takes digest credentials."""
        return f"http://127.0.0.1:{self.http_port}/sparql-graph-crud-auth"

    @classmethod
    def start(
        cls, dbdir: Path, http_port: int = 0, isql_port: int = 0, wait: float = 120.0
    ) -> LocalVirtuoso:
        """Write the configuration into ``dbdir`` and start the server; wait until it answers."""
        missing = missing_tools()
        if missing:
            raise VirtuosoError(
                f"{', '.join(missing)} not found: apt-get install {PACKAGE} (.ci/run installs it)"
            )
        dbdir.mkdir(parents=True, exist_ok=True)
        http_port, isql_port = http_port or free_port(), isql_port or free_port()
        ini = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
            dbdir=str(dbdir.resolve()), http_port=http_port, isql_port=isql_port
        )
        config = dbdir / "virtuoso.ini"
        config.write_text(ini, encoding="utf-8")
        with (dbdir / "server.out").open("wb") as log:
            process = subprocess.Popen(
                ["virtuoso-t", "+foreground", "+configfile", str(config.resolve())],
                cwd=dbdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = cls(dbdir, http_port, isql_port, process)
        deadline = time.monotonic() + wait
        while not _answers(server.endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                tail = (dbdir / "server.out").read_text(errors="replace")[-2000:]
                raise VirtuosoError(f"Virtuoso did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.5)
        return server

    def isql(self, sql: str, timeout: float = 600.0) -> str:
        """Run SQL as the ``dba`` administrator (local server only); its output."""
        done = subprocess.run(
            ["isql-vt", f"127.0.0.1:{self.isql_port}", "dba", "dba", f"exec={sql}"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise VirtuosoError(f"isql failed: {sql}\n{output}")
        return output

    def create_writer(self, user: str, password: str) -> None:
        """A user who may write graphs through the Graph Store Protocol (and SPARQL Update)."""
        for value in (user, password):
            if not value.replace("-", "").replace("_", "").isalnum():
                raise VirtuosoError("user and password: letters, digits, '-' and '_' only")
        self.isql(
            f"DB.DBA.USER_CREATE('{user}', '{password}'); "
            f'GRANT SPARQL_UPDATE TO "{user}"; '
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{user}', 3);"
        )
        self.writers[user] = password

    def stop(self, timeout: float = 60.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after ``timeout`` seconds)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> LocalVirtuoso:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """``python -m tests.support.virtuoso DBDIR [HTTP_PORT]``: run until Ctrl-C."""
    if not argv:
        print("usage: python -m tests.support.virtuoso DBDIR [HTTP_PORT]", file=sys.stderr)
        return 2
    port = int(argv[1]) if len(argv) > 1 else 0
    try:
        server = LocalVirtuoso.start(Path(argv[0]), http_port=port)
    except VirtuosoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with server:
        print(f"SPARQL endpoint: {server.endpoint}")
        print(f"Graph Store:     {server.graph_store} (digest auth; isql port {server.isql_port})")
        print(f"administration: isql-vt 127.0.0.1:{server.isql_port} dba dba")
        with contextlib.suppress(KeyboardInterrupt):
            server.process.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
