"""The SPARQL query editor's page and routes, without a browser (kg.web.endpoint.editor).

The editor only reads the service's ``limits``, ``graphs``, ``base`` and ``queries_dir``
(the contract of issue 6) and ``templates`` (a project's page templates, or None), so these
tests give it a small stand-in with those five fields and mount ``editor_page`` on
``/sparql`` and ``editor_routes`` beside it, as the endpoint does. The browser path
(queries really run) is tests/test_browser_editor.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
from markupsafe import escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from kg.sparql.files import read_query
from kg.web.endpoint import editor
from kg.web.endpoint.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "queries" / "cq"
STATIC = ROOT / "kg" / "web" / "endpoint" / "static"


@dataclass
class StandIn:
    """The fields of kg.web.endpoint.service.SparqlService that the editor reads."""

    limits: Limits = field(default_factory=Limits)
    graphs: frozenset[str] = frozenset({"https://w3id.org/govsm/id/graph/a"})
    base: str = "https://w3id.org/govsm/"
    queries_dir: Path = CATALOGUE
    templates: Path | None = None


def make_client(service: StandIn) -> TestClient:
    async def sparql(request: Request) -> Response:
        return editor.editor_page(request, service)

    app = Starlette(
        routes=[
            Route("/sparql", sparql, methods=["GET", "HEAD"]),
            Route("/sparql/", sparql, methods=["GET", "HEAD"]),
            *editor.editor_routes(service),
        ]
    )
    return TestClient(app)


@pytest.fixture()
def client() -> TestClient:
    return make_client(StandIn())


class Collect(HTMLParser):
    """Every URL-bearing attribute, every element id and the JSON config of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.ids: list[str] = []
        self.config = ""
        self.textarea = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for attr in ("href", "src", "action", "formaction", "poster", "data"):
            if named.get(attr) is not None:
                self.urls.append((tag, attr, named[attr] or ""))
        if named.get("id"):
            self.ids.append(named["id"] or "")
        if tag == "script" and named.get("id") == "editor-config":
            self._in = "config"
        elif tag == "textarea":
            self._in = "textarea"

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "config":
            self.config += data
        elif self._in == "textarea":
            self.textarea += data


def parse(page: str) -> Collect:
    collected = Collect()
    collected.feed(page)
    return collected


def catalogue_files() -> list[Path]:
    files = sorted(CATALOGUE.glob("*.rq"))
    assert files, f"no catalogue queries in {CATALOGUE}"
    return files


def test_page_lists_every_catalogue_query_with_its_question_and_parameters(client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    collected = parse(page)
    assert len(collected.ids) == len(set(collected.ids)), "element ids must be unique"
    config = json.loads(collected.config)
    for path in catalogue_files():
        query = read_query(path)
        assert f"id='example-{path.stem}'" in page
        assert escape(query.title) in page
        question = query.header["question"]
        assert escape(question) in page
        entry = config["examples"][path.stem]
        assert entry["query"] == query.text
        assert [p["name"] for p in entry["parameters"]] == [p.name for p in query.parameters]
        for param in query.parameters:
            assert f"id='values-{path.stem}-{param.name}'" in page
            required = re.search(
                rf"<input name='{param.name}'[^>]*list='values-{path.stem}-{param.name}'[^>]*>",
                page,
            )
            assert required, f"no input for {path.stem}:{param.name}"
            assert (" required" in required.group(0)) is (not param.optional)


def test_limits_are_shown_on_the_page() -> None:
    limits = Limits(timeout_s=12.5, max_rows=1234, max_body_bytes=65536, workers=3)
    page = make_client(StandIn(limits=limits)).get("/sparql").text
    assert "12.5 s" in page
    assert "1,234" in page
    assert "65,536 bytes" in page
    assert "<td id='limit-workers'>3</td>" in page
    assert 'max="12.5" value="12.5"' in page, "the time-limit field is capped at the server's"
    config = json.loads(parse(page).config)
    assert config["limits"]["max_rows"] == 1234
    # The graphs held, each a link that opens the editor on that graph alone.
    graph = "https://w3id.org/govsm/id/graph/a"
    assert f'<a href="sparql?default-graph-uri={quote(graph, safe="")}">' in page
    assert f"<code>{graph}</code>" in page


def test_permalink_query_fills_the_editor_and_cannot_break_out(client) -> None:
    hostile = 'SELECT * { ?s ?p "</textarea><script>alert(1)</script>" } # </script><!--'
    response = client.get("/sparql?query=" + quote(hostile))
    page = response.text
    assert "<script>alert(1)" not in page
    collected = parse(page)
    assert collected.textarea == hostile
    assert json.loads(collected.config)["query"] == hostile
    # The JSON config holds no raw '<' that could end its script element.
    assert "<" not in collected.config


def test_page_and_own_assets_reference_no_other_host(client) -> None:
    response = client.get("/sparql")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    collected = parse(response.text)
    assert collected.urls
    for tag, attr, url in collected.urls:
        parts = urlsplit(url)
        assert not parts.netloc and not url.startswith("//"), f"<{tag} {attr}={url!r}>"
        assert parts.scheme in ("", "data"), f"<{tag} {attr}={url!r}>"
        if parts.scheme == "":
            # Relative, so that the editor also works under a proxy's sub-path.
            assert not url.startswith("/"), f"<{tag} {attr}={url!r}> should be relative"
            resolved = urlsplit(urljoin("http://server.test/sparql", url))
            assert resolved.netloc == "server.test", url
    for path in sorted(STATIC.iterdir()):
        text = path.read_text(encoding="utf-8")
        assert "://" not in text, f"{path.name} names a host"
        assert not re.search(r"""url\(\s*['"]?(?!data:)[a-z]+:""", text), path.name
    script = (STATIC / "editor.js").read_text(encoding="utf-8")
    # YASQE's completers that call prefix.cc or LOV are off; the bundled prefix list is used.
    assert "prefixCcApi: null" in script
    assert 'const COMPLETERS = ["prefixes", "variables"]' in script
    assert "Yasqe.defaults.autocompleters = COMPLETERS" in script


def test_assets_are_served_and_nothing_else(client, tmp_path: Path) -> None:
    for name in ("editor.js", "editor.css"):
        response = client.get(f"/editor/static/{name}")
        assert response.status_code == 200
        assert response.content == (STATIC / name).read_bytes()
    assert (
        client.get("/editor/static/editor.js").headers["content-type"].startswith("text/javascript")
    )
    for bad in (
        "/editor/static/missing.js",
        "/editor/static/..%2feditor.py",
        "/editor/static/%2e%2e/editor.py",
        "/editor/yasgui/package.json",
        "/editor/yasgui/..%2f..%2fpackage.json",
        "/editor/yasgui/yasgui.esm.js",
    ):
        assert client.get(bad).status_code == 404, bad


def test_a_folder_without_the_bundle_is_not_yasgui(monkeypatch) -> None:
    fake = Path(__file__).resolve().parent / "fixtures"  # not a YASGUI folder
    monkeypatch.setenv("GOVSM_YASGUI_DIR", str(fake))
    assert editor.yasgui_dir() is None


def test_fake_yasgui_folder_is_served(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "yasgui.min.js").write_text("window.Yasgui = {};\n")
    (tmp_path / "yasgui.min.css").write_text(".yasgui {}\n")
    (tmp_path / "secret.txt").write_text("no\n")
    monkeypatch.setenv("GOVSM_YASGUI_DIR", str(tmp_path))
    client = make_client(StandIn())
    page = client.get("/sparql").text
    assert "<script src='editor/yasgui/yasgui.min.js'></script>" in page
    assert "href='editor/yasgui/yasgui.min.css'" in page
    assert "plain-notice" not in page
    assert json.loads(parse(page).config)["mode"] == "yasgui"
    response = client.get("/editor/yasgui/yasgui.min.js")
    assert response.status_code == 200 and response.text == "window.Yasgui = {};\n"
    assert client.get("/editor/yasgui/secret.txt").status_code == 404


def test_without_yasgui_the_page_says_so_and_offers_the_plain_editor(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GOVSM_YASGUI_DIR", str(tmp_path))  # empty: not installed
    client = make_client(StandIn())
    page = client.get("/sparql").text
    assert "id='plain-notice'" in page
    assert "not installed on this server" in page
    assert "yasgui.min.js" not in page
    assert '<script src="editor/static/editor.js"></script>' in page
    assert '<textarea id="query-text"' in page
    assert json.loads(parse(page).config)["mode"] == "plain"
    assert client.get("/editor/yasgui/yasgui.min.js").status_code == 404


def test_installed_yasgui_from_npm_is_the_one_served(client) -> None:
    folder = ROOT / "web" / "node_modules" / "@zazuko" / "yasgui" / "build"
    if not (folder / "yasgui.min.js").is_file():
        pytest.skip("web/node_modules is not installed (make runs npm ci when npm exists)")
    response = client.get("/editor/yasgui/yasgui.min.js")
    assert response.status_code == 200
    assert response.content == (folder / "yasgui.min.js").read_bytes()
    css = client.get("/editor/yasgui/yasgui.min.css").text
    # The bundle's stylesheet loads nothing from elsewhere (fonts, images).
    assert not re.search(r"""url\(\s*['"]?(?!data:)[a-z]+://""", css)
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/@zazuko/yasgui"]["version"]
    installed = json.loads((folder.parent / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == pinned


def test_bind_puts_values_in_a_values_block(client) -> None:
    response = client.get(
        "/editor/bind/trace-subfactor", params={"subfactor": "id:subfactor/legal-infrastructure"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-query")
    text = response.text
    original = (CATALOGUE / "trace-subfactor.rq").read_text(encoding="utf-8")
    block = "VALUES (?subfactor) { (<https://w3id.org/govsm/id/subfactor/legal-infrastructure>) }"
    assert block in text
    assert text.replace("\n  " + block + "\n", "") == original


@pytest.mark.parametrize(
    "value",
    [
        'x> } "',
        "https://example.org/a>} SERVICE <http://127.0.0.1/x",
        "https://example.org/\u0022",
        "https://example.org/a\nb",
        "https://example.org/{x}",
    ],
)
def test_bind_refuses_values_that_are_not_one_term(client, value: str) -> None:
    response = client.get("/editor/bind/trace-subfactor", params={"subfactor": value})
    assert response.status_code == 400
    assert "subfactor" in response.text


def test_bind_errors_name_the_problem(client) -> None:
    assert client.get("/editor/bind/no-such-query").status_code == 404
    missing = client.get("/editor/bind/trace-subfactor")
    assert missing.status_code == 400 and "missing" in missing.text
    unknown = client.get("/editor/bind/trace-subfactor?subfactor=id:x&colour=red")
    assert unknown.status_code == 400 and "colour" in unknown.text
    # An optional parameter left empty in the form is simply not bound.
    optional = client.get("/editor/bind/classification-table?rule=")
    assert optional.status_code == 200
    assert "VALUES" not in optional.text


def test_bind_and_links_follow_the_builds_base() -> None:
    base = "http://127.0.0.1:9999/"
    client = make_client(StandIn(base=base))
    response = client.get("/editor/bind/trace-subfactor?subfactor=id:subfactor/usability")
    assert f"(<{base}id/subfactor/usability>)" in response.text
    config = json.loads(parse(client.get("/sparql").text).config)
    assert config["prefixes"]["id"] == base + "id/"
    assert config["prefixes"]["govsm"] == "https://w3id.org/govsm/ontology#"
    assert [base, ""] in config["local"]
    assert ["https://w3id.org/govsm/ontology#", "ontology#"] in config["local"]


def test_local_mappings_put_ontology_terms_before_the_base() -> None:
    maps = editor.local_mappings("https://w3id.org/govsm/")
    prefixes = [prefix for prefix, _ in maps]
    assert prefixes.index("https://w3id.org/govsm/ontology#") < prefixes.index(
        "https://w3id.org/govsm/"
    )
    assert dict(maps)["https://w3id.org/govsm/"] == ""


def test_head_and_cache_headers(client) -> None:
    head = client.head("/sparql")
    assert head.status_code == 200
    assert head.headers["vary"] == "Accept"
    assert head.headers["x-content-type-options"] == "nosniff"


def test_dataset_parameters_are_kept_for_the_pages_queries(client) -> None:
    graph = "https://w3id.org/govsm/id/graph/a"
    page = client.get(
        "/sparql",
        params=[("query", "SELECT * {}"), ("default-graph-uri", graph), ("named-graph-uri", "x:<")],
    ).text
    config = json.loads(parse(page).config)
    assert config["defaultGraphs"] == [graph]
    assert config["namedGraphs"] == ["x:<"]
    assert "id='dataset-line'" in page
    assert f"<code>{graph}</code>" in page
    assert "<code>x:&lt;</code>" in page
    assert "dataset-line" not in client.get("/sparql").text


def test_urls_are_relative_to_the_page(client) -> None:
    """From /sparql/ (the endpoint answers it too) the same assets are reached with ../."""
    for path, root in (("/sparql", ""), ("/sparql/", "../")):
        collected = parse(client.get(path).text)
        config = json.loads(collected.config)
        assert config["root"] == root
        assert config["endpoint"] == root + "sparql"
        scripts = [url for tag, _, url in collected.urls if tag == "script"]
        assert root + "editor/static/editor.js" in scripts
        for _, _, url in collected.urls:
            if not url.startswith("data:"):
                target = urlsplit(urljoin("http://server.test" + path, url)).path
                assert not target.startswith("/sparql/"), (path, url)
                if "editor/" in url:
                    assert client.get(target).status_code == 200, target


def test_catalogue_headers_and_graph_names_are_shown_as_text(tmp_path: Path) -> None:
    (tmp_path / "hostile.rq").write_text(
        "# title: <script>alert(1)</script>\n"
        '# question: Is "this" <b>bold</b>?\n'
        "# parameters: x (IRI)\n"
        "# parameter-x: A value, e.g. '><img src=x onerror=alert(1)>\n"
        "# keywords: <i>k</i>\n"
        "SELECT * WHERE { ?s ?p ?o }\n",
        encoding="utf-8",
    )
    graph = "https://example.org/<b>'graph'"
    service = StandIn(queries_dir=tmp_path, graphs=frozenset({graph}))
    page = make_client(service).get("/sparql").text
    for raw in ("<script>alert", "<b>", "<img", "<i>k"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<code>https://example.org/&lt;b&gt;&#39;graph&#39;</code>" in page
    collected = parse(page)
    assert f"sparql?default-graph-uri={quote(graph, safe='')}" in [u for _, _, u in collected.urls]
    assert json.loads(collected.config)["examples"]["hostile"]["title"] == (
        "<script>alert(1)</script>"
    )


def test_a_projects_templates_replace_the_editor_page(tmp_path: Path) -> None:
    (tmp_path / "editor.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>Our editor for {{ base }}</p>'
        '<script type="application/json" id="editor-config">{{ config_json }}</script>'
        "{% endblock %}\n",
        encoding="utf-8",
    )
    response = make_client(StandIn(templates=tmp_path)).get("/sparql")
    assert "<p>Our editor for https://w3id.org/govsm/</p>" in response.text
    assert json.loads(parse(response.text).config)["base"] == "https://w3id.org/govsm/"
    assert response.headers["content-security-policy"] == editor.CSP
    page = make_client(StandIn(templates=tmp_path / "missing")).get("/sparql").text
    assert "Our editor" not in page and 'id="query-text"' in page
