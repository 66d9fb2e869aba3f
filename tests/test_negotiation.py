"""Content negotiation (kg.web.negotiation): the one Accept parser, and the three places
that negotiate with it (the site server, /sparql and the named-query API) answering by
the same rule.

Each entry point offers different representations in its own order: the site its HTML
page first, then the RDF documents; /sparql its data (results, or the service
description's RDF syntaxes) before the editor; the API its JSON before its HTML page.
The client's q-values come from one parser, and a tie goes to the earlier offer.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from test_api_catalogue import BROWSER_ACCEPT, build_dist, service_for

from kg.web.endpoint import formats
from kg.web.endpoint.api import JSON
from kg.web.endpoint.protocol import DATA_TYPES
from kg.web.negotiation import (
    HTML_TYPES,
    MediaRange,
    parse_accept,
    preferred,
    prefers_html,
    quality,
)
from kg.web.server import DOCUMENT_TYPES, make_app, negotiate

# --- the parser ----------------------------------------------------------------------


def test_parse_accept_clamps_q() -> None:
    assert [r.q for r in parse_accept("a/b;q=2, c/d;q=-1")] == [1.0, 0.0]


@pytest.mark.parametrize("value", ["abc", "", "nan", "NaN", "0.5x"])
def test_a_malformed_q_is_zero(value: str) -> None:
    assert parse_accept(f"text/html;q={value}") == [MediaRange("text", "html", 0.0)]


@pytest.mark.parametrize("header", [None, "", "  ", "garbage", "text, /html, */html, a/b/c"])
def test_nothing_usable_accepts_anything(header: str | None) -> None:
    assert parse_accept(header) == [MediaRange("*", "*", 1.0)]


def test_parameters_and_case() -> None:
    assert parse_accept("Text/HTML; level=1; Q=0.4, */*") == [
        MediaRange("text", "html", 0.4),
        MediaRange("*", "*", 1.0),
    ]


def test_the_most_specific_range_gives_the_q() -> None:
    ranges = parse_accept("text/*;q=0.9, text/html;q=0.2, */*;q=0.5")
    assert quality(ranges, ("text/html",)) == 0.2
    assert quality(ranges, ("text/csv",)) == 0.9
    assert quality(ranges, ("image/png",)) == 0.5
    assert quality(parse_accept("text/*"), ("image/png",)) == 0.0
    # Among a representation's names too: the exact xhtml entry outranks text/*.
    ranges = parse_accept("application/xhtml+xml;q=0.3, text/*;q=0.9")
    assert quality(ranges, HTML_TYPES) == 0.3


def test_preferred_breaks_ties_by_the_servers_order() -> None:
    offers = [("a", ("text/turtle",)), ("b", ("text/csv",))]
    assert preferred("text/*", offers) == "a"
    assert preferred("text/*", offers[::-1]) == "b"
    assert preferred("text/csv;q=0.9, text/turtle;q=0.8", offers) == "b"
    assert preferred("image/png", offers) is None
    assert preferred("text/*;q=0", offers) is None


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("text/html;q=0.9, text/csv;q=0.8", True),
        (None, False),
        ("*/*", False),
        ("text/*", False),  # a tie with text/csv: data
        ("text/html;q=0.5, text/csv", False),
        ("text/html;q=0.5, application/json", True),  # CSV not acceptable: the page
        ("text/html;q=0", False),
        ("text/html;q=abc", False),
    ],
)
def test_prefers_html_against_csv(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept, [("text/csv",)]) is expected


# --- the three entry points ----------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """The server over a one-resource site, with the SPARQL service and the API."""
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<p>home</p>\n", encoding="utf-8")
    (site / "id").mkdir()
    for ext in DOCUMENT_TYPES:
        (site / "id" / f"x.{ext}").write_text(f"x {ext}\n", encoding="utf-8")
    app = make_app(site, service=service_for(build_dist()))
    return TestClient(app, follow_redirects=False)


def site_answer(client: TestClient, accept: str) -> str | None:
    """The document the site redirects a resource to (its extension), None for 406."""
    response = client.get("/id/x", headers={"Accept": accept})
    if response.status_code == 406:
        return None
    assert response.status_code == 303
    return response.headers["location"].rsplit(".", 1)[1]


def media_type(client: TestClient, path: str, accept: str) -> str | None:
    """The media type of the answer, None for 406."""
    response = client.get(path, headers={"Accept": accept})
    if response.status_code == 406:
        return None
    assert response.status_code == 200, response.text
    return response.headers["content-type"].split(";")[0]


# (Accept, the site's document for a resource, /sparql without a query (the editor for
# text/html, else the service description), the API's catalogue)
AGREEMENT = [
    ("text/*", "html", "text/turtle", "text/html"),
    ("*/*", "html", "text/turtle", "application/json"),
    ("text/html;q=0.5, application/json", "jsonld", "application/ld+json", "application/json"),
    # Nothing acceptable: 406 where there is no default; the catalogue's is JSON.
    ("text/html;q=0", None, None, "application/json"),
    ("text/html;q=abc", None, None, "application/json"),
    (BROWSER_ACCEPT, "html", "text/html", "text/html"),
    # Where the API's own parser disagreed with /sparql: a q above 1 is 1 (a tie) ...
    ("text/html;q=2, application/json", "html", "application/ld+json", "application/json"),
    # ... and the exact xhtml entry, not text/*, gives the page its q.
    (
        "application/xhtml+xml;q=0.3, text/*;q=0.9, application/json;q=0.5",
        "ttl",
        "text/turtle",
        "application/json",
    ),
]


@pytest.mark.parametrize(("accept", "site", "sparql", "api"), AGREEMENT)
def test_the_entry_points_answer(
    client: TestClient, accept: str, site: str | None, sparql: str | None, api: str
) -> None:
    assert site_answer(client, accept) == site
    assert media_type(client, "/sparql", accept) == sparql
    assert media_type(client, "/api/queries", accept) == api


@pytest.mark.parametrize("accept", [row[0] for row in AGREEMENT])
def test_the_entry_points_follow_the_one_rule(client: TestClient, accept: str) -> None:
    """Each answer is what kg.web.negotiation makes of the entry point's offers."""
    assert site_answer(client, accept) == negotiate(accept, list(DOCUMENT_TYPES))
    if prefers_html(accept, DATA_TYPES):
        assert media_type(client, "/sparql", accept) == "text/html"
    else:
        description = formats.choose("graph", accept, None)
        expected = description.content_type.split(";")[0] if description else None
        assert media_type(client, "/sparql", accept) == expected
    page = prefers_html(accept, JSON)
    assert media_type(client, "/api/queries", accept) == (
        "text/html" if page else "application/json"
    )


def test_sparql_results_follow_the_same_parser(client: TestClient) -> None:
    query = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}
    for accept, expected in (
        ("text/*", "text/csv"),  # the first text/ format of the results
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/json", "application/sparql-results+json"),
        ("text/csv;q=abc, text/tab-separated-values;q=0.1", "text/tab-separated-values"),
    ):
        response = client.get("/sparql", params=query, headers={"Accept": accept})
        assert response.headers["content-type"].split(";")[0] == expected, accept
    refused = client.get("/sparql", params=query, headers={"Accept": "text/csv;q=0"})
    assert refused.status_code == 406
