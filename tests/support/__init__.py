"""Shared test scaffolding (no tests here): builds of the review's data, a live uvicorn
server in a thread or ``govsm serve`` in a subprocess, SPARQL services, a loopback
listener that counts connections, and headless Chromium (the ``browser`` fixture in
conftest.py drives it).

Under ``GOVSM_REQUIRE_BROWSER=1`` (set by .ci/run) a missing Chromium, chromedriver or
selenium fails the browser tests instead of skipping them.

The server and endpoint modules are imported where they are used, so that conftest.py
(which imports this module) does not make every test depend on them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from kg.prefixes import DEFAULT_BASE

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from kg.web.endpoint.service import SparqlService
    from kg.web.server import SiteServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots (git-ignored)
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BROWSER_REQUIRED = os.environ.get("GOVSM_REQUIRE_BROWSER") == "1"

# --- builds -------------------------------------------------------------------------------


def govsm_build(out: Path, base: str = DEFAULT_BASE) -> Path:
    """Run ``govsm build --no-reason --base BASE --out OUT`` (a subprocess); ``out``."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "build",
            "--no-reason",
            "--base",
            base,
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


def site_of(dist: Path) -> Path:
    """``dist``'s static site; the test fails if the build wrote none (every build of
    the review writes one)."""
    site = dist / "site"
    assert (site / "index.html").is_file(), f"govsm build wrote no {site}/index.html"
    return site


def build_site(out: Path, base: str = DEFAULT_BASE) -> Path:
    """``govsm build`` into ``out``; its site (the test fails if it writes none)."""
    return site_of(govsm_build(out, base))


_BUILT: dict[str, Path] = {}


def built_dist(factory: pytest.TempPathFactory) -> Path:
    """``govsm build`` of the review's data (default base) into a temporary folder, once
    per session; the tests that use it only read it."""
    if "dist" not in _BUILT:
        out = govsm_build(factory.mktemp("review") / "dist")
        assert (out / "govsm.nq").is_file(), "govsm build wrote no govsm.nq"
        _BUILT["dist"] = out
    return _BUILT["dist"]


# --- live servers -------------------------------------------------------------------------


class LiveServer:
    """A SiteServer serving in a background thread (started when constructed)."""

    def __init__(self, server: SiteServer, seconds: float = 20) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + seconds
        while not server.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.server.started:
            self.stop()  # free the socket (and the service's workers) before failing
            raise AssertionError(f"uvicorn did not start within {seconds} s")

    @property
    def url(self) -> str:
        """The server's base URL (``http://127.0.0.1:PORT/``)."""
        return self.server.url

    def stop(self) -> None:
        """Stop serving and close the socket (and the SPARQL service, if any)."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@contextmanager
def started(server: SiteServer) -> Iterator[LiveServer]:
    """``server`` serving in a thread for the duration of the block."""
    live = LiveServer(server)
    try:
        yield live
    finally:
        live.stop()


@contextmanager
def site_on_its_own_base(dist: Path) -> Iterator[LiveServer]:
    """``govsm build --base http://127.0.0.1:PORT/`` into ``dist``, served on that port
    (bound first, so the build can name it): every IRI of the build is on this server."""
    from kg.web.server import SiteServer

    server = SiteServer(dist / "site", "127.0.0.1", 0)
    try:
        build_site(dist, server.url)
    except BaseException:
        server.server_close()
        raise
    with started(server) as live:
        yield live


@contextmanager
def service_over(dist: Path, **limits: float) -> Iterator[SparqlService]:
    """A SparqlService over ``dist`` with the given limits, closed afterwards."""
    from kg.web.endpoint.limits import Limits
    from kg.web.endpoint.service import SparqlService

    service = SparqlService(dist, Limits(**limits))
    try:
        yield service
    finally:
        service.close()


@contextmanager
def live_server(dist: Path, **limits: float) -> Iterator[tuple[LiveServer, SparqlService]]:
    """uvicorn on a free loopback port serving ``dist`` with a SPARQL service (its
    default base) under the given limits."""
    from kg.web.endpoint.limits import Limits
    from kg.web.endpoint.service import SparqlService
    from kg.web.server import make_server

    service = SparqlService(dist, Limits(**limits))
    try:
        server = make_server(dist / "site", "127.0.0.1", 0, service=service)
    except BaseException:
        service.close()
        raise
    with started(server) as live:  # stopping the server closes the service too
        yield live, service


def start_serve(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``govsm serve --port 0 ARGS`` started in a subprocess (``env``: its environment),
    and its base URL once it says it is serving (the process is killed if it does not)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        for _ in range(10):  # notes before it (the store made from the dump...)
            if "serving" in line or not line:
                break
            line = proc.stdout.readline()
        assert "serving" in line and "http://127.0.0.1:" in line, line
    except BaseException:
        proc.kill()
        proc.wait(20)
        raise
    return proc, "http://" + line.split("http://", 1)[1].split("/", 1)[0] + "/"


@contextmanager
def serve_command(*args: str, seconds: float = 30) -> Iterator[str]:
    """``govsm serve --port 0 ARGS`` in a subprocess; yields its base URL once it answers
    HTTP, and terminates it afterwards."""
    proc, url = start_serve(*args)
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                httpx.get(url, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


# --- a counting listener ------------------------------------------------------------------


class Listener:
    """A TCP listener on a free loopback port that counts accepted connections (and
    answers nothing): proof that nobody connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        """Stop accepting and close the socket."""
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


@contextmanager
def listener() -> Iterator[Listener]:
    """A counting loopback listener for the duration of a test."""
    counting = Listener()
    try:
        yield counting
    finally:
        counting.close()


# --- headless Chromium --------------------------------------------------------------------


def browser_missing() -> str | None:
    """What the browser tests lack (Chromium, chromedriver, selenium), or None."""
    if not CHROMIUM.exists():
        return "Debian package chromium is not installed (apt-get install chromium)"
    if not CHROMEDRIVER.exists():
        return "Debian package chromium-driver is not installed (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "PyPI package selenium is not installed (pip install -e '.[dev]')"
    return None


def require_browser(reason: str | None) -> None:
    """Skip for a missing piece (``reason``), or fail when GOVSM_REQUIRE_BROWSER=1."""
    if reason is None:
        return
    if BROWSER_REQUIRED:
        pytest.fail(f"GOVSM_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@contextmanager
def chromium(downloads: Path) -> Iterator[WebDriver]:
    """Headless Chromium (a fresh profile, no background traffic) through chromedriver;
    downloads go to ``downloads``, console messages are kept for ``get_log``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="govsm-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(browser: WebDriver, name: str) -> Path:
    """Save the page as tests/artifacts/NAME (an older copy removed first, so a check of
    the file sees this run's picture)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    browser.save_screenshot(str(path))
    return path


class Links(HTMLParser):
    """Every href / src / xlink:href in a page (HTML and inline SVG), and its ids."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "xlink:href") and value:
                self.links.append(value.strip())
            if name == "id" and value:
                self.ids.add(value)
