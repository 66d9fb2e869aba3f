"""Debian's Apache 2.4 serving a folder with its ``.htaccess`` on a free loopback port,
for tests/test_static_hosting.py.

The configuration is the test's own (a temporary ServerRoot, nothing of /etc/apache2):
the modules a static host needs for the site's ``.htaccess`` (mod_rewrite, mod_headers,
mod_mime, mod_dir) and, on the document root, the overrides the README asks of a host
(``AllowOverride FileInfo Indexes Options=Indexes,MultiViews``) and no more.
``apache2 -X`` runs one process in the foreground, stopped by its pid.
Under ``GOVSM_REQUIRE_APACHE=1`` (set by .ci/run) a missing apache2 fails the test
instead of skipping it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
APACHE_REQUIRED = os.environ.get("GOVSM_REQUIRE_APACHE") == "1"
NEEDED_MODULES = {
    "mpm_event_module": "mod_mpm_event.so",
    "authz_core_module": "mod_authz_core.so",
    "mime_module": "mod_mime.so",
    "dir_module": "mod_dir.so",
    "rewrite_module": "mod_rewrite.so",
    "headers_module": "mod_headers.so",
}


def apache_missing() -> str | None:
    """Why Apache cannot run here (None when it can)."""
    if not APACHE.is_file():
        return f"{APACHE} not found (apt-get install apache2-bin)"
    for so in NEEDED_MODULES.values():
        if not (MODULES / so).is_file():
            return f"{MODULES / so} not found"
    return None


def require_apache() -> None:
    """Skip (or, under GOVSM_REQUIRE_APACHE=1, fail) when Apache is not installed."""
    reason = apache_missing()
    if reason is None:
        return
    if APACHE_REQUIRED:
        pytest.fail(f"GOVSM_REQUIRE_APACHE=1 but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A loopback port nobody listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(root: Path, docroot: Path, port: int) -> str:
    """A minimal httpd.conf serving ``docroot`` on 127.0.0.1:``port``."""
    modules = "\n".join(f"LoadModule {name} {MODULES / so}" for name, so in NEEDED_MODULES.items())
    return f"""ServerRoot "{root}"
PidFile "{root}/httpd.pid"
Mutex file:{root} default
Listen 127.0.0.1:{port}
ServerName 127.0.0.1:{port}
{modules}
TypesConfig /dev/null
ErrorLog "{root}/error.log"
LogLevel warn
TraceEnable Off
DocumentRoot "{docroot}"
<Directory />
  AllowOverride None
  Require all denied
</Directory>
<Directory "{docroot}">
  AllowOverride FileInfo Indexes Options=Indexes,MultiViews
  Require all granted
</Directory>
"""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@contextmanager
def apache_serving(docroot: Path, workdir: Path, seconds: float = 20) -> Iterator[str]:
    """Apache serving ``docroot`` (its .htaccess included); yields the base URL
    (``http://127.0.0.1:PORT/``) once it answers, and stops it afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "httpd.conf"
    conf.write_text(config(workdir, docroot.resolve(), port), encoding="utf-8")
    log = (workdir / "stderr.log").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [str(APACHE), "-X", "-f", str(conf)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + seconds
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                errors = (workdir / "stderr.log").read_text() + _read(workdir / "error.log")
                raise AssertionError(f"apache2 did not start on port {port}:\n{errors}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def error_log(workdir: Path) -> str:
    """Apache's error log (for assertion messages)."""
    return _read(workdir / "error.log")
