"""govsm serve over real sockets (uvicorn): raw-path traversal, the CLI, and a fresh
build of the review's data (the negotiation matrix and a crawl of every same-origin link).

The real-build tests skip when ``govsm build`` does not write dist/site/ (the site
generator); everything else runs on tests/fixtures/site/.
"""

from __future__ import annotations

import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from starlette.testclient import TestClient
from support import (
    Links,
    LiveServer,
    built_dist,
    serve_command,
    site_of,
    site_on_its_own_base,
    started,
)
from support.conneg import (
    BUILD_FILES,
    FILES,
    MEDIA,
    NOT_FOUND,
    RESOURCES,
    Case,
    build_cases,
    check_case,
    check_file,
    check_not_found,
    client_fetch,
)
from test_serve import FIXTURE_SITE, check_matrix_cell
from typer.testing import CliRunner

from kg.cli.app import app as cli
from kg.prefixes import DEFAULT_BASE
from kg.web.server import make_app, make_server

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def raw_request(url: str, target: str, method: str = "GET") -> tuple[int, bytes]:
    """Send a request line exactly as written (no client-side normalisation)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        head = f"{method} {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
        s.sendall(head.encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.fixture()
def fixture_server(tmp_path: Path) -> Iterator[LiveServer]:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE_SITE, site)
    (tmp_path / "secret.txt").write_text("top secret\n", encoding="utf-8")
    with started(make_server(site, "127.0.0.1", 0)) as live:
        yield live


# --- over a socket --------------------------------------------------------------------


def test_binds_to_loopback_by_default(fixture_server: LiveServer) -> None:
    assert fixture_server.server.server_address[0] == "127.0.0.1"


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/id/%2e%2e/%2e%2e/secret.txt",
        "/.%2e/secret.txt",
        "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd",
        "/../../../../etc/passwd",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/secret.txt%00.ttl",
    ],
)
def test_traversal_over_the_wire(fixture_server: LiveServer, target: str) -> None:
    status, body = raw_request(fixture_server.url, target)
    assert status in (400, 404), target
    assert b"top secret" not in body and b"root:" not in body


def test_absolute_form_request_target(fixture_server: LiveServer) -> None:
    status, body = raw_request(fixture_server.url, "http://127.0.0.1/../secret.txt")
    assert status in (400, 404)
    assert b"top secret" not in body


def test_negotiation_and_methods_over_the_wire(fixture_server: LiveServer) -> None:
    url = fixture_server.url
    request = urllib.request.Request(
        url + "id/study/mergel-2016", headers={"Accept": "text/turtle"}
    )
    with urllib.request.urlopen(request) as response:  # urllib follows the 303
        assert response.status == 200
        assert response.url.endswith("/id/study/mergel-2016.ttl")
        assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    head = urllib.request.urlopen(urllib.request.Request(url + "ontology.nt", method="HEAD"))
    assert head.status == 200 and head.read() == b""
    assert int(head.headers["Content-Length"]) == (FIXTURE_SITE / "ontology.nt").stat().st_size
    for method in ("POST", "PUT", "DELETE"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(urllib.request.Request(url, data=b"x", method=method))
        assert info.value.code == 405
        assert info.value.headers["Allow"] == "GET, HEAD"


# --- the command ----------------------------------------------------------------------

runner = CliRunner()


def test_serve_without_a_site_says_so_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    result = runner.invoke(cli, ["serve", "--dist", str(tmp_path / "dist"), "--port", "0"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "govsm build" in lines[0], result.output


def test_serve_on_a_busy_port_exits_2(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_SITE, tmp_path / "dist" / "site")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = runner.invoke(
            cli, ["serve", "--dist", str(tmp_path / "dist"), "--port", str(port)]
        )
    assert result.exit_code == 2
    assert "cannot listen" in result.output


def test_the_serve_command_serves(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE_SITE, tmp_path / "dist" / "site")
    with (
        serve_command("--dist", str(tmp_path / "dist")) as url,
        urllib.request.urlopen(url) as response,
    ):
        assert response.status == 200
        assert b"GovSM-KG" in response.read()


# --- a fresh build of the review's data -----------------------------------------------


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site_of(built_dist(tmp_path_factory))


@pytest.mark.parametrize("accept", sorted(MEDIA))
@pytest.mark.parametrize("path", sorted(RESOURCES))
def test_matrix_on_the_real_build(real_site: Path, path: str, accept: str) -> None:
    client = TestClient(make_app(real_site, DEFAULT_BASE), follow_redirects=False)
    check_matrix_cell(client, real_site, DEFAULT_BASE, path, accept)


BUILD_CASES = build_cases()


@pytest.fixture(scope="module")
def real_client(real_site: Path) -> TestClient:
    return TestClient(make_app(real_site, DEFAULT_BASE), follow_redirects=False)


@pytest.mark.parametrize("case", BUILD_CASES, ids=[c.id for c in BUILD_CASES])
def test_conneg_table_on_the_real_build(real_client: TestClient, case: Case) -> None:
    """The table Apache with the generated .htaccess meets on the same build
    (tests/test_static_hosting.py)."""
    check_case(client_fetch(real_client), case)


@pytest.mark.parametrize(("path", "ctype"), sorted({**FILES, **BUILD_FILES}.items()))
def test_file_types_on_the_real_build(real_client: TestClient, path: str, ctype: str) -> None:
    check_file(client_fetch(real_client), path, ctype)


@pytest.mark.parametrize("path", NOT_FOUND)
def test_not_found_on_the_real_build(real_client: TestClient, path: str) -> None:
    check_not_found(client_fetch(real_client), path)


def crawl(start: str, limit: int = 20000, seconds: float = 240) -> tuple[int, list[str]]:
    """Follow every same-origin link from ``start``; return (URLs checked, failures)."""
    origin = urlsplit(start)[:2]
    seen, queue, failures = {start}, [start], []
    deadline = time.monotonic() + seconds
    while queue:
        assert len(seen) <= limit and time.monotonic() < deadline, "crawl did not finish"
        url = queue.pop()
        request = urllib.request.Request(url, headers={"Accept": BROWSER_ACCEPT})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
                ctype = response.headers.get("Content-Type", "")
                status = response.status
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: {exc.code}")
            continue
        if status != 200:
            failures.append(f"{url}: {status}")
            continue
        if not ctype.startswith("text/html"):
            continue
        parser = Links()
        parser.feed(body.decode("utf-8"))
        for link in parser.links:
            if link.startswith(("mailto:", "javascript:", "data:", "#")):
                continue
            target = urldefrag(urljoin(url, link))[0]
            if urlsplit(target)[:2] != origin or target in seen:
                continue
            seen.add(target)
            queue.append(target)
    return len(seen), failures


def test_every_iri_dereferences_on_a_local_base(tmp_path: Path) -> None:
    """Built with --base http://127.0.0.1:PORT/ and served there, every IRI under the
    base that is a subject in the dump answers 303 -> 200 Turtle describing it."""
    import rdflib

    failures = []
    with site_on_its_own_base(tmp_path / "dist") as server:
        base = server.url
        dataset = rdflib.Dataset()
        dataset.parse(tmp_path / "dist" / "site" / "dumps" / "govsm.nq", format="nquads")
        subjects = sorted(
            {str(s) for s, _, _, _ in dataset.quads((None, None, None, None))}
            - {str(g.identifier) for g in dataset.graphs()}
        )
        iris = [s for s in subjects if s.startswith(base)]
        assert len(iris) > 50
        for iri in iris:
            document = iri.split("#")[0]  # a hash IRI is described by its document
            request = urllib.request.Request(document, headers={"Accept": "text/turtle"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    graph = rdflib.Graph().parse(data=response.read(), format="turtle")
                    if response.url != document + ".ttl" or not any(
                        graph.triples((rdflib.URIRef(iri), None, None))
                    ):
                        failures.append(f"{iri}: {response.url} does not describe it")
            except urllib.error.HTTPError as exc:
                failures.append(f"{iri}: {exc.code}")
    assert not failures, f"{len(failures)} of {len(iris)} IRIs:\n" + "\n".join(failures[:50])


def test_crawl_every_same_origin_link(real_site: Path) -> None:
    with started(make_server(real_site, "127.0.0.1", 0)) as server:
        checked, failures = crawl(server.url)
    # This server has no SPARQL service, so the pages' link to the editor (/sparql) is 404
    # here, with or without a query to open (a catalogue query's page links its text);
    # tests/test_browser_editor.py follows it on a server with one.
    editor = f"{server.url}sparql"
    failures = [
        f
        for f in failures
        if not (f.endswith(": 404") and f.partition("?")[0] in (editor, editor + ": 404"))
    ]
    assert not failures, f"{len(failures)} of {checked} links fail:\n" + "\n".join(failures[:50])
    assert checked > 20
