"""The named-query API: the catalogue listing, running a query, typed parameters, errors.

Runs the real SPARQL service over a fresh build of the review's data (built once into a
temporary folder); the test-only catalogue tests/fixtures/api-queries/ covers every
parameter type. The helpers here (``build_dist``, ``service_for``, ``api_client``) are
shared by the other tests/test_api_*.py files.
"""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kg.build.pipeline import build
from kg.config import BuildOptions, Project
from kg.prefixes import for_base
from kg.sparql.files import (
    Parameter,
    ParameterError,
    QueryError,
    make_term,
    parse_parameters,
    query_form,
    read_query,
)
from kg.stages.query import declared_data
from kg.web.endpoint.api import api_routes, catalogue_page
from kg.web.endpoint.catalogue import (
    RESERVED,
    bind,
    load_catalogue,
    parameter_example,
    read_arguments,
    with_examples,
)
from kg.web.endpoint.limits import Limits
from kg.web.endpoint.service import SparqlService

ROOT = Path(__file__).resolve().parents[1]
CQ_DIR = ROOT / "queries" / "cq"
TEST_QUERIES = ROOT / "tests" / "fixtures" / "api-queries"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
XSD = "http://www.w3.org/2001/XMLSchema#"
PROBLEM = "application/problem+json"

# --- shared helpers: one build per data set, one service per (build, catalogue) ---------------

_tmp = Path(tempfile.mkdtemp(prefix="govsm-api-tests-"))
atexit.register(shutil.rmtree, _tmp, True)
_dists: dict[tuple[str, ...], Path] = {}
_services: dict[tuple[Path, Path], SparqlService] = {}


def build_dist(extra: tuple[str, ...] = ()) -> Path:
    """A build (no reasoner) of the review's data plus ``extra`` data folders, made once."""
    if extra not in _dists:
        out = _tmp / f"dist-{len(_dists)}"
        project = (
            Project(data_dirs=(ROOT / "data", *(ROOT / d for d in extra))) if extra else Project()
        )
        build(project, BuildOptions(out=out, reason=False))
        _dists[extra] = out
    return _dists[extra]


def service_for(dist: Path, queries_dir: Path = CQ_DIR) -> SparqlService:
    """The real SPARQL service over ``dist`` with the catalogue ``queries_dir`` (made once)."""
    key = (dist, queries_dir)
    if key not in _services:
        service = SparqlService(dist, queries_dir=queries_dir)
        atexit.register(service.close)
        _services[key] = service
    return _services[key]


def api_client(service: object) -> TestClient:
    """A client of an app serving only the API routes of ``service``."""
    return TestClient(Starlette(routes=api_routes(service)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client() -> TestClient:
    return api_client(service_for(build_dist()))


@pytest.fixture(scope="module")
def test_client() -> TestClient:
    """The API over the test-only catalogue (echo and typed queries)."""
    return api_client(service_for(build_dist(), TEST_QUERIES))


def problem_of(response) -> dict:  # noqa: ANN001
    """The RFC 9457 body of an error response of the API."""
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"] == "about:blank" and body["title"] and body["detail"]
    return body


# --- the catalogue ------------------------------------------------------------------------


def test_catalogue_json_is_the_query_files(client: TestClient) -> None:
    response = client.get("/api/queries", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    entries = response.json()["queries"]
    files = sorted(CQ_DIR.glob("*.rq"))
    assert [e["name"] for e in entries] == [p.stem for p in files]
    # the parameters' examples are the build's (kg.web.endpoint.catalogue.with_examples)
    examples = service_for(build_dist()).examples
    for entry, path in zip(entries, files, strict=True):
        query = with_examples(read_query(path), examples)
        assert entry["title"] == query.header["title"]
        assert entry["question"] == query.header["question"]
        assert entry["keywords"] == [k.strip() for k in query.header["keywords"].split(",")]
        assert entry["target"] == query.header["target"]
        assert entry["query"] == path.read_text(encoding="utf-8")
        assert entry["data"] == list(declared_data(query))
        assert entry["parameters"] == [
            {
                "name": p.name,
                "type": p.type,
                "required": not p.optional,
                "description": p.description,
            }
            for p in query.parameters
        ]
        assert entry["run"] == f"/api/queries/{path.stem}"
        link = urlsplit(entry["editor"])
        assert link.path == "/sparql"
        assert parse_qs(link.query, keep_blank_values=True) == {"query": [entry["query"]]}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0.5,*/*"])
def test_clients_that_do_not_prefer_html_get_json(client: TestClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/api/queries", headers=headers)
    assert response.headers["content-type"] == "application/json"
    assert "accept" in response.headers["vary"].lower()


class _Page(HTMLParser):
    """Collects ids, hrefs, form actions and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.actions: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if tag == "a" and found.get("href"):
            self.hrefs.append(found["href"] or "")
        if tag == "form":
            self.actions.append(found.get("action") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_catalogue_page_for_a_browser(client: TestClient) -> None:
    response = client.get("/api/queries", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")
    page = _Page()
    page.feed(response.text)
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    text = "".join(page.text)
    for path in sorted(CQ_DIR.glob("*.rq")):
        query = read_query(path)
        assert path.stem in page.ids
        assert query.header["question"] in text
        assert f"queries/{path.stem}" in page.actions
        for param in query.parameters:
            assert f"{path.stem}-{param.name}" in page.ids
    assert "openapi.json" in page.hrefs and "queries?format=json" in page.hrefs
    assert sum(h.startswith("../sparql?query=") for h in page.hrefs) == len(page.actions)
    # Every link works from the page's own URL, under the root or under a proxy's sub-path.
    for root in ("http://testserver", "http://proxy.example/govsm"):
        page_url = f"{root}/api/queries"
        for link in page.hrefs + page.actions:
            if link.startswith("#"):
                continue
            assert urljoin(page_url, link).startswith(root + "/"), link
    # Each query's editor link opens /sparql with exactly the query's text.
    opened = [
        parse_qs(urlsplit(link).query)["query"][0]
        for link in (urljoin("http://testserver/api/queries", h) for h in page.hrefs)
        if urlsplit(link).path == "/sparql" and urlsplit(link).query
    ]
    assert opened == [p.read_text(encoding="utf-8") for p in sorted(CQ_DIR.glob("*.rq"))]


HOSTILE_QUERY = """# title: <script>alert(1)</script> & co
# question: Is "this" <b>bold</b>?
# parameters: x (IRI)
# parameter-x: A value, e.g. "><img src=x onerror=alert(1)>
# keywords: <i>k</i>
# target: javascript:alert(1)
SELECT * WHERE { ?s ?p "</code></pre><script>alert(2)</script>" }
"""


def test_catalogue_page_escapes_the_query_headers(tmp_path: Path) -> None:
    (tmp_path / "hostile.rq").write_text(HOSTILE_QUERY, encoding="utf-8")
    page_text = catalogue_page(load_catalogue(tmp_path))
    assert "<script>" not in page_text and "<img" not in page_text and "<b>" not in page_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page_text
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(2)" in page_text
    page = _Page()
    page.feed(page_text)
    text = "".join(page.text)
    assert 'Is "this" <b>bold</b>?' in text and "Target: javascript:alert(1)" in text
    assert page.actions == ["queries/hostile"]
    assert all(not h.lower().startswith("javascript:") for h in page.hrefs)


def test_a_projects_templates_replace_the_catalogue_page(tmp_path: Path) -> None:
    (tmp_path / "catalogue.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>Our own: {{ queries | length }} '
        "queries</p>{% endblock %}\n",
        encoding="utf-8",
    )
    service = SimpleNamespace(
        queries_dir=CQ_DIR, base="https://w3id.org/govsm/", limits=Limits(), templates=tmp_path
    )
    response = api_client(service).get("/api/queries", headers={"Accept": BROWSER_ACCEPT})
    assert response.headers["content-type"].startswith("text/html")
    count = len(list(CQ_DIR.glob("*.rq")))
    assert f"<p>Our own: {count} queries</p>" in response.text
    assert "<title>Named queries — GovSM-KG</title>" in response.text  # the shell is ours
    service.templates = tmp_path / "missing"  # no such folder: the package's page
    response = api_client(service).get("/api/queries", headers={"Accept": BROWSER_ACCEPT})
    assert "Our own" not in response.text and "<h1>Named queries</h1>" in response.text


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/queries", "application/json"),
        ("/api/queries", BROWSER_ACCEPT),
        ("/api/openapi.json", "application/json"),
    ],
)
def test_fixed_documents_have_etags(client: TestClient, path: str, accept: str) -> None:
    first = client.get(path, headers={"Accept": accept})
    etag = first.headers["etag"]
    again = client.get(path, headers={"Accept": accept, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(path, headers={"Accept": accept, "If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == first.content
    # The JSON and the HTML listing are different documents with different tags.
    if path == "/api/queries":
        flip = "application/json" if accept == BROWSER_ACCEPT else BROWSER_ACCEPT
        assert client.get(path, headers={"Accept": flip}).headers["etag"] != etag


def test_format_parameter_of_the_catalogue(client: TestClient) -> None:
    as_json = client.get("/api/queries?format=json", headers={"Accept": BROWSER_ACCEPT})
    assert as_json.headers["content-type"] == "application/json"
    as_html = client.get("/api/queries?format=html", headers={"Accept": "application/json"})
    assert as_html.headers["content-type"].startswith("text/html")
    bad = client.get("/api/queries?format=xml")
    assert bad.status_code == 400 and "xml" in problem_of(bad)["detail"]


def test_head_on_the_catalogue(client: TestClient) -> None:
    response = client.head("/api/queries")
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("application/json", False),
        ("application/json, text/html;q=0.9", False),
        ("text/html;q=0.9, application/json", False),
        ("", False),
        ("*/*", False),
        ("text/*", True),
        ("text/html;q=0", False),
        # Answered as /sparql answers them since the one parser (kg.web.negotiation):
        # q above 1 counts as 1 (a tie, so data) ...
        ("text/html;q=2, application/json", False),
        # ... and the most specific range naming HTML gives its q (here 0.3 < 0.5).
        ("application/xhtml+xml;q=0.3, text/*;q=0.9, application/json;q=0.5", False),
    ],
)
def test_prefers_html(client: TestClient, accept: str, expected: bool) -> None:
    response = client.get("/api/queries", headers={"Accept": accept})
    kind = "text/html" if expected else "application/json"
    assert response.headers["content-type"].split(";")[0] == kind


def test_every_catalogue_parameter_states_its_type_and_meaning() -> None:
    for path in sorted(CQ_DIR.glob("*.rq")):
        query = read_query(path)
        declaration = query.header["parameters"]
        for param in query.parameters:
            assert re.search(rf"\b{param.name}\s*\(\s*\w", declaration), (
                f"{path.name}: parameter {param.name!r} has no explicit type in "
                f"'# parameters: {declaration}'"
            )
            assert param.description, f"{path.name}: no '# parameter-{param.name}:' line"


# --- running a query ------------------------------------------------------------------------


def test_run_a_query_with_a_prefixed_name(client: TestClient) -> None:
    response = client.get(
        "/api/queries/drivers",
        params={"context": "id:context/iran"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert response.headers["x-result-row-limit"]
    rows = response.json()["results"]["bindings"]
    assert rows, "the review has drivers in Iran"
    full = client.get(
        "/api/queries/drivers",
        params={"context": "https://w3id.org/govsm/id/context/iran"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert full.json() == response.json()
    # the context is optional: without it, the drivers of every context (one here)
    every = client.get(
        "/api/queries/drivers", headers={"Accept": "application/sparql-results+json"}
    )
    assert every.json()["results"] == response.json()["results"]
    elsewhere = client.get(
        "/api/queries/drivers",
        params={"context": "id:context/nowhere"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert elsewhere.json()["results"]["bindings"] == []


@pytest.mark.parametrize(
    ("how", "ctype"),
    [
        ({"format": "csv"}, "text/csv"),
        ({"format": "tsv"}, "text/tab-separated-values"),
        ({"format": "xml"}, "application/sparql-results+xml"),
        ({"accept": "text/csv"}, "text/csv"),
        ({"accept": "application/sparql-results+xml"}, "application/sparql-results+xml"),
    ],
)
def test_result_formats(client: TestClient, how: dict[str, str], ctype: str) -> None:
    params = {"context": "id:context/iran"}
    headers = {}
    if "format" in how:
        params["format"] = how["format"]
    else:
        headers["Accept"] = how["accept"]
    response = client.get("/api/queries/drivers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == ctype
    assert "subfactor" in response.text.splitlines()[0] or ctype.endswith("xml")


def test_unknown_format_and_not_acceptable(client: TestClient) -> None:
    params = {"context": "id:context/iran"}
    response = client.get("/api/queries/drivers", params={**params, "format": "pdf"})
    assert response.status_code == 400 and "pdf" in response.text
    response = client.get("/api/queries/drivers", params=params, headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_unknown_query_is_404_listing_the_names(client: TestClient) -> None:
    response = client.get("/api/queries/no-such-query")
    assert response.status_code == 404
    body = problem_of(response)
    names = [p.stem for p in sorted(CQ_DIR.glob("*.rq"))]
    assert body["queries"] == names
    assert all(name in body["detail"] for name in names)


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({}, ["missing", "study"]),
        ({"study": "id:study/x", "stdy": "x"}, ["unknown", "stdy", "study"]),
        ({"study": ""}, ["study", "iri"]),
    ],
)
def test_missing_or_unknown_parameters_are_400(
    client: TestClient, params: dict[str, str], words: list[str]
) -> None:
    response = client.get("/api/queries/evidence-from-study", params=params)
    assert response.status_code == 400
    body = problem_of(response)
    assert body["query"] == "evidence-from-study"
    assert [p["name"] for p in body["parameters"]] == ["study"]
    for word in words:
        assert word in body["detail"], body["detail"]


def test_repeated_parameter_is_400(client: TestClient) -> None:
    response = client.get("/api/queries/drivers?context=id:context/iran&context=id:context/x")
    assert response.status_code == 400
    assert "more than once" in problem_of(response)["detail"]


def test_empty_optional_parameter_means_not_given(client: TestClient) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    without = client.get("/api/queries/classification-table", headers=accept)
    empty = client.get("/api/queries/classification-table?rule=", headers=accept)
    assert without.status_code == empty.status_code == 200
    assert without.json() == empty.json()
    rule = client.get(
        "/api/queries/classification-table",
        params={"rule": "rule:classification-from-assessment"},
        headers=accept,
    )
    assert rule.status_code == 200
    assert len(rule.json()["results"]["bindings"]) <= len(without.json()["results"]["bindings"])


@pytest.mark.parametrize("value", ["abc", "-1", "0", "inf", "nan", ""])
def test_malformed_timeout_is_400(client: TestClient, value: str) -> None:
    response = client.get(
        "/api/queries/drivers", params={"context": "id:context/iran", "timeout": value}
    )
    assert response.status_code == 400
    assert "timeout" in problem_of(response)["detail"]


def test_a_timeout_under_the_limit_is_accepted(client: TestClient) -> None:
    response = client.get(
        "/api/queries/drivers", params={"context": "id:context/iran", "timeout": "20"}
    )
    assert response.status_code == 200


def test_only_get_head_and_options(client: TestClient) -> None:
    response = client.post("/api/queries/drivers", data={"context": "id:context/iran"})
    assert response.status_code == 405
    assert client.delete("/api/queries").status_code == 405
    for path in ("/api/queries", "/api/queries/drivers", "/api/openapi.json"):
        preflight = client.options(
            path,
            headers={
                "Origin": "https://example.org",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "if-none-match",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "if-none-match" in preflight.headers["access-control-allow-headers"].lower()


# --- typed parameters (test-only catalogue) ----------------------------------------------------


def _echo_row(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    (row,) = response.json()["results"]["bindings"]
    return row


def test_typed_values_are_bound_with_their_datatypes(test_client: TestClient) -> None:
    response = test_client.get(
        "/api/queries/typed",
        params={
            "n": "-42",
            "d": "3.25",
            "b": "true",
            "day": "2016-02-29",
            "at": "2016-03-31T12:30:00Z",
            "s": "plain text",
            "thing": "id:context/iran",
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    row = _echo_row(response)
    assert row["n"] == {"type": "literal", "value": "-42", "datatype": XSD + "integer"}
    assert row["d"] == {"type": "literal", "value": "3.25", "datatype": XSD + "decimal"}
    assert row["b"] == {"type": "literal", "value": "true", "datatype": XSD + "boolean"}
    assert row["day"] == {"type": "literal", "value": "2016-02-29", "datatype": XSD + "date"}
    assert row["at"]["datatype"] == XSD + "dateTime"
    assert row["s"]["value"] == "plain text" and row["s"].get("datatype") in (None, XSD + "string")
    assert row["thing"] == {"type": "uri", "value": "https://w3id.org/govsm/id/context/iran"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n", "4.2"),
        ("n", "forty-two"),
        ("n", "1e3"),
        ("n", " 42"),
        ("d", "1e3"),
        ("d", "3,14"),
        ("d", "."),
        ("b", "yes"),
        ("b", "TRUE"),
        ("day", "2015-02-29"),
        ("day", "2016-13-01"),
        ("day", "31/03/2016"),
        ("day", "2016-03-31T00:00:00"),
        ("at", "2016-03-31"),
        ("at", "2016-03-31T25:00:00"),
        ("at", "2016-03-31 12:00:00"),
        ("thing", "not an iri"),
        ("thing", "no-scheme"),
    ],
)
def test_malformed_typed_values_are_400_naming_parameter_type_and_form(
    test_client: TestClient, name: str, value: str
) -> None:
    params = {"n": "1", name: value}
    response = test_client.get("/api/queries/typed", params=params)
    assert response.status_code == 400, response.text
    body = problem_of(response)
    declared = {p["name"]: p["type"] for p in body["parameters"]}
    assert body["parameter"] == name
    assert body["parameterType"] == declared[name]
    assert body["expected"] and body["expected"] in body["detail"]
    assert repr(value) in body["detail"] and name in body["detail"]


def test_prefixed_names_follow_the_base_of_the_build() -> None:
    catalogue = load_catalogue(TEST_QUERIES)
    text = bind(
        catalogue["typed"],
        {"n": "1", "thing": "id:context/iran"},
        for_base("http://127.0.0.1:8123/"),
    )
    assert "<http://127.0.0.1:8123/id/context/iran>" in text
    default = bind(
        catalogue["typed"],
        {"n": "1", "thing": "id:context/iran"},
        for_base("https://w3id.org/govsm/"),
    )
    assert "<https://w3id.org/govsm/id/context/iran>" in default
    # Ontology terms do not move with the base.
    assert for_base("http://127.0.0.1:8123/")["govsm"] == "https://w3id.org/govsm/ontology#"


def test_read_arguments_splits_format_and_timeout() -> None:
    query = load_catalogue(TEST_QUERIES)["typed"]
    given, fmt, timeout = read_arguments(
        query, [("n", "1"), ("format", "csv"), ("timeout", "2.5"), ("s", "")]
    )
    assert given == {"n": "1"} and fmt == "csv" and timeout == 2.5
    with pytest.raises(QueryError, match="more than once"):
        read_arguments(query, [("n", "1"), ("n", "2")])


# --- the catalogue's headers ------------------------------------------------------------------


def test_a_query_may_not_declare_a_reserved_parameter(tmp_path: Path) -> None:
    for name in RESERVED:
        (tmp_path / "q.rq").write_text(
            f"# title: t\n# question: q?\n# parameters: {name} (string)\nSELECT * WHERE {{ }}\n",
            encoding="utf-8",
        )
        with pytest.raises(QueryError, match=name):
            load_catalogue(tmp_path)


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        ("x", [("x", "iri", False)]),
        ("x (IRI), y (string, optional)", [("x", "iri", False), ("y", "string", True)]),
        (
            "a (literal), b (text), c (uri)",
            [("a", "string", False), ("b", "string", False), ("c", "iri", False)],
        ),
        (
            "n (integer), d (decimal), b (boolean), t (date), u (dateTime, optional)",
            [
                ("n", "integer", False),
                ("d", "decimal", False),
                ("b", "boolean", False),
                ("t", "date", False),
                ("u", "dateTime", True),
            ],
        ),
        ("none", []),
    ],
)
def test_parameter_declarations(declaration: str, expected: list[tuple[str, str, bool]]) -> None:
    assert [(p.name, p.type, p.optional) for p in parse_parameters(declaration)] == expected


@pytest.mark.parametrize(
    "declaration", ["x (number)", "x (integer, string)", "x (IRI), x (IRI)", "x y"]
)
def test_bad_parameter_declarations_are_refused(declaration: str) -> None:
    with pytest.raises(QueryError):
        parse_parameters(declaration)


def test_a_description_of_an_undeclared_parameter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(
        "# title: t\n# parameters: x (IRI)\n# parameter-y: nothing\nSELECT * WHERE { }\n",
        encoding="utf-8",
    )
    with pytest.raises(QueryError, match="parameter-y"):
        read_query(path)


@pytest.mark.parametrize(
    ("type_", "good", "bad"),
    [
        (
            "integer",
            ["0", "+7", "-007", "123456789012345678901234567890"],
            ["", "1.0", "1_000", "٣"],
        ),
        ("decimal", ["0", "1.", ".5", "-3.25", "+10"], ["", "1e5", "NaN", "1.2.3"]),
        ("boolean", ["true", "false", "1", "0"], ["True", "yes", ""]),
        (
            "date",
            ["2016-03-31", "2000-02-29", "2016-03-31Z", "2016-03-31+03:30"],
            ["1900-02-29", "2016-3-31", "2016-03-32"],
        ),
        (
            "dateTime",
            ["2016-03-31T23:59:59", "2016-03-31T00:00:00.5+01:00"],
            ["2016-03-31T12:60:00", "2016-03-31T12:00"],
        ),
        (
            "iri",
            ["https://example.org/a#b", "urn:isbn:0451450523", "<http://x.org/>", "rule:x"],
            ["a b", "x", "http://x/a`b", "http://x/|"],
        ),
    ],
)
def test_lexical_forms(type_: str, good: list[str], bad: list[str]) -> None:
    param = Parameter("p", type_)
    for value in good:
        make_term(param, value)
    for value in bad:
        with pytest.raises(ParameterError) as info:
            make_term(param, value)
        assert info.value.name == "p" and info.value.type == type_


# --- wired into govsm serve's app --------------------------------------------------------------


def test_make_app_serves_the_api_beside_the_site() -> None:
    from kg.prefixes import DEFAULT_BASE
    from kg.web.server import make_app

    dist = build_dist()
    client = TestClient(make_app(dist / "site", DEFAULT_BASE, service=service_for(dist)))
    listing = client.get("/api/queries", headers={"Accept": "application/json"})
    assert listing.status_code == 200 and listing.json()["queries"]
    assert client.get("/api/openapi.json").json()["openapi"].startswith("3.1")
    run = client.get(
        "/api/queries/factor-summary",
        params={"context": "id:context/iran", "format": "json"},
    )
    assert run.status_code == 200, run.text
    assert len(run.json()["results"]["bindings"]) == 4  # the four factors
    assert "X-Result-Row-Limit" in run.headers["access-control-expose-headers"]
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200  # the site


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("PREFIX task: <http://x/>\nSELECT * WHERE { ?s task:p ?o }", "SELECT"),
        ("PREFIX ask: <x:>\n# SELECT\nCONSTRUCT { ?s ask:p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ('ASK { ?s ?p "SELECT" }', "ASK"),
        ("DESCRIBE <x:select>", "DESCRIBE"),
        ("prefix s: <x:> select ?ask where { }", "SELECT"),
    ],
)
def test_query_form(text: str, form: str) -> None:
    assert query_form(text) == form


@pytest.mark.parametrize(
    ("description", "example"),
    [
        ("The context, e.g. id:context/iran.", "id:context/iran"),
        ("A rule, e.g. rule:x; without it, all.", "rule:x"),
        ("A number (e.g. 42).", "42"),
        ("Any text.", None),
    ],
)
def test_parameter_example(description: str, example: str | None) -> None:
    assert parameter_example(description) == example


def test_form_fields_show_the_examples(client: TestClient) -> None:
    page = client.get("/api/queries", headers={"Accept": BROWSER_ACCEPT}).text
    assert 'name="context" size="60" required placeholder="id:context/iran"' in page
