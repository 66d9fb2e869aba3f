"""The content-negotiation matrix of the static site: one table of expectations that
``govsm serve`` (tests/test_serve.py on the fixture site, tests/test_serve_live.py on a
fresh build) and Apache with the generated ``.htaccess`` (tests/test_static_hosting.py,
on the same build) must both meet.

The expectations are written by hand from the standards, not computed by the code under
test: Cool URIs for the Semantic Web (an extensionless IRI answers ``303 See Other`` to
a document, with ``Vary: Accept``), RFC 9110 §12.5.1 (q-values, the most specific media
range wins, q=0 is "not acceptable") and §15.5.7 (``406 Not Acceptable`` when nothing
acceptable exists; the server's order, HTML first, breaks ties).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

import httpx
from rdflib import OWL, URIRef
from rdflib.namespace import VOID

from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI

# Accept header -> (extension of the document, Content-Type, rdflib parser format)
MEDIA = {
    "text/html": ("html", "text/html; charset=utf-8", None),
    "text/turtle": ("ttl", "text/turtle; charset=utf-8", "turtle"),
    "application/ld+json": ("jsonld", "application/ld+json", "json-ld"),
    "application/n-triples": ("nt", "application/n-triples", "nt"),
    "application/rdf+xml": ("rdf", "application/rdf+xml", "xml"),
}
CONTENT_TYPES = {ext: ctype for ext, ctype, _ in MEDIA.values()}

# Request path -> (subject IRI, rdf:type it must have). The ontology's terms are hash
# IRIs of /ontology (/ontology#Study): the fragment never reaches the server, so the
# ontology row also covers a term.
RESOURCES = {
    "/ontology": (ONTOLOGY_IRI, OWL.Ontology),
    "/id/study/mergel-2016": (DEFAULT_BASE + "id/study/mergel-2016", URIRef(GOVSM + "Study")),
    "/dataset": (DEFAULT_BASE + "dataset", VOID.Dataset),
}
# Paths of a build of the review's data (not in tests/fixtures/site/): an instance that
# is also a folder (its quotes are under it), an ontology module, the ontology's
# owl:versionIRI, and a page that has no RDF documents (only report.html), so that RDF
# types are not acceptable for it.
BUILD_RESOURCES = [
    "/id/review/social-media-service-delivery",
    "/ontology/alignments/foaf",
    "/ontology/0.1.0",
]
HTML_ONLY = "/report"

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


class Case(NamedTuple):
    """A request and the answer both servers must give: 303 to ``path.EXT`` (``ext``),
    or 406 (``ext`` None)."""

    path: str
    accept: str | None
    ext: str | None

    @property
    def id(self) -> str:
        """A readable test id."""
        return f"{self.path} [{self.accept}]"


# Accept header -> the document a resource with all five documents answers with.
ACCEPTS: list[tuple[str | None, str | None]] = [
    # No preference: the page.
    (None, "html"),
    ("", "html"),
    ("*/*", "html"),
    ("text/*", "html"),
    ("garbage", "html"),  # nothing usable: as if absent
    ("*/html, text", "html"),  # not media ranges either
    (BROWSER_ACCEPT, "html"),
    ("application/xhtml+xml", "html"),
    # application/json asks for JSON-LD; the type names are case-insensitive.
    ("application/json", "jsonld"),
    ("TEXT/TURTLE", "ttl"),
    ("text/turtle; charset=utf-8", "ttl"),
    # q-values decide ...
    ("text/turtle;q=0.5, application/rdf+xml", "rdf"),
    ("application/n-triples;q=0.9, text/turtle;q=0.1", "nt"),
    ("text/turtle;q=0.3, application/ld+json;q=0.7, text/html;q=0.5", "jsonld"),
    ("text/turtle;q=0.45, application/rdf+xml;q=0.5", "rdf"),
    ("text/turtle;q=0.500, application/rdf+xml;q=0.5", "ttl"),  # equal: server order
    ("text/turtle;q=abc, application/n-triples", "nt"),  # a malformed q is 0
    ("text/turtle ; Q=0.5, application/rdf+xml;q=0.4", "ttl"),
    ("application/rdf+xml;q=0.101, text/turtle;q=0.1", "rdf"),
    ("application/rdf+xml;q=0.99, text/turtle;q=1.000", "ttl"),
    ("text/turtle;q=0.50, text/html;q=0.5", "html"),  # equal: server order
    ("text/html;q=2, application/json", "html"),  # q above 1 is 1: a tie
    # ... a tie goes to the server's order ...
    ("application/rdf+xml;q=1.0, text/turtle;q=1.0", "ttl"),
    ("application/ld+json, text/turtle", "ttl"),
    ("text/turtle, */*", "html"),  # */* gives the page q=1 too
    # ... and the most specific range gives a representation its q.
    ("text/html;q=0, */*", "ttl"),
    ("text/*;q=0.5, text/turtle", "ttl"),
    ("text/*, text/html;q=0.1", "ttl"),
    ("application/*", "html"),  # application/xhtml+xml is HTML
    ("application/*, application/xhtml+xml;q=0", "jsonld"),
    # RDF clients' own headers (Jena's RIOT, rdflib's, curl asking for Turtle).
    (
        "text/turtle,application/n-triples;q=0.9,application/ld+json;q=0.8,"
        "application/rdf+xml;q=0.7,*/*;q=0.5",
        "ttl",
    ),
    ("application/rdf+xml, text/turtle;q=0.9, application/n-triples;q=0.8", "rdf"),
    # Nothing acceptable: 406, not a default page. text/plain and application/xml are
    # not the media types of N-Triples or RDF/XML (RDF 1.1), so they are not answered
    # with those documents either.
    ("image/png", None),
    ("text/plain", None),
    ("application/xml", None),
    ("application/x-turtle", None),
    ("text/turtle;q=0", None),
    ("*/*;q=0", None),
    ("text/html;q=0", None),
    ("image/*", None),
]


def cases(paths: list[str]) -> list[Case]:
    """The matrix over ``paths`` (resources with all five documents): every media type
    on every path, every Accept header of ACCEPTS on the first."""
    rows = [Case(path, accept, MEDIA[accept][0]) for path in paths for accept in MEDIA]
    rows += [Case(paths[0], accept, ext) for accept, ext in ACCEPTS]
    return rows


def build_cases() -> list[Case]:
    """The matrix on a build of the review's data: the fixture site's resources and the
    build's own, plus a page without RDF documents (only HTML is acceptable)."""
    rows = cases([*RESOURCES, *BUILD_RESOURCES])
    rows += [
        Case(HTML_ONLY, None, "html"),
        Case(HTML_ONLY, "*/*", "html"),
        Case(HTML_ONLY, "text/turtle, */*;q=0.1", "html"),
        Case(HTML_ONLY, "text/turtle", None),
        Case(HTML_ONLY, "application/ld+json, application/rdf+xml", None),
    ]
    return rows


# Files served as they are: path -> Content-Type.
FILES = {
    "/": "text/html; charset=utf-8",
    "/index.html": "text/html; charset=utf-8",
    "/.well-known/void": "text/turtle; charset=utf-8",
    "/style.css": "text/css; charset=utf-8",
    "/context.jsonld": "application/ld+json",
    "/sitemap.xml": "application/xml",
    "/dumps/govsm.nq": "application/n-quads",
    "/dumps/govsm.trig": "application/trig",
    "/dumps/govsm.ttl": "text/turtle; charset=utf-8",
    "/dumps/govsm.jsonld": "application/ld+json",
    "/dumps/SHA256SUMS": "text/plain; charset=utf-8",
    "/ontology.nt": "application/n-triples",
    "/ontology.rdf": "application/rdf+xml",
    "/id/study/mergel-2016.ttl": "text/turtle; charset=utf-8",
}
BUILD_FILES = {"/figure.svg": "image/svg+xml", "/report.html": "text/html; charset=utf-8"}

# Not found, whatever the Accept: hidden files, folders (no listing), a resource path
# with a trailing slash, documents and resources that do not exist.
NOT_FOUND = [
    "/.htaccess",
    "/id/.hidden",
    "/id",
    "/id/",
    "/dumps",
    "/dumps/",
    "/id/study/",
    "/id/study/mergel-2016/",
    "/id/study/nobody-1999",
    "/id/study/mergel-2016.json",
    "/nothing.ttl",
    "/.git/config",
]

# Read-only: any other method than GET and HEAD is 405 with Allow: GET, HEAD.
METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]
METHOD_PATHS = ["/", "/id/study/mergel-2016", "/ontology.ttl", "/nothing"]
BODY_METHODS = {"POST", "PUT", "PATCH"}


# --- checking a server against the table ---------------------------------------------

# (path, Accept or None for no Accept header, method="GET") -> (status, response
# headers: names in lower case, repeated ones joined with ", ")
Fetch = Callable[..., tuple[int, dict[str, str]]]


def http_fetch(base_url: str) -> Fetch:
    """GET over a socket, sending exactly the Accept given (none for None), following
    no redirect."""
    parts = urlsplit(base_url)

    def fetch(path: str, accept: str | None, method: str = "GET") -> tuple[int, dict[str, str]]:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        body = b"x" if method in BODY_METHODS else None
        try:
            headers = {} if accept is None else {"Accept": accept}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        names = {name.lower() for name in response.headers}
        headers = {n: ", ".join(response.headers.get_all(n) or []) for n in names}
        return response.status, headers

    return fetch


def check_case(fetch: Fetch, case: Case) -> None:
    """The answer to ``case``: 303 to the document (then 200 with its media type), or
    406; either way varying with Accept."""
    status, headers = fetch(case.path, case.accept)
    assert "accept" in headers.get("vary", "").lower(), (case, status, headers)
    if case.ext is None:
        assert status == 406, (case, status, headers.get("location"))
        return
    assert status == 303, (case, status)
    # A relative Location (govsm serve) and an absolute one (Apache) are the same answer.
    location = urlsplit(headers["location"]).path
    assert location == f"{case.path}.{case.ext}", case
    assert headers.get("access-control-allow-origin") == "*", case
    status, document = fetch(location, case.accept)
    assert status == 200, (case, location, status)
    assert document["content-type"] == CONTENT_TYPES[case.ext], (case, document)


def check_file(fetch: Fetch, path: str, content_type: str) -> None:
    """A file is served as it is, with the server's media type, the same whatever the
    Accept (no Vary: Accept)."""
    status, headers = fetch(path, None)
    assert status == 200, (path, status)
    assert headers["content-type"] == content_type, path
    # Vary: Accept-Encoding (a large file may be compressed) is not Accept
    varies = {v.strip().lower() for v in headers.get("vary", "").split(",")}
    assert "accept" not in varies, (path, headers["vary"])


def check_not_found(fetch: Fetch, path: str) -> None:
    """A hidden file, a folder or a missing path is 404, whatever the Accept."""
    for accept in (None, "text/turtle"):
        status, _ = fetch(path, accept)
        assert status == 404, (path, accept, status)


def client_fetch(client: httpx.Client) -> Fetch:
    """GET through an httpx client (starlette's TestClient), sending exactly the Accept
    given (none for None: the client's default ``*/*`` is removed), following no redirect."""

    def fetch(path: str, accept: str | None, method: str = "GET") -> tuple[int, dict[str, str]]:
        body = b"x" if method in BODY_METHODS else None
        request = client.build_request(method, path, content=body)
        if accept is None:
            del request.headers["accept"]
        else:
            request.headers["accept"] = accept
        response = client.send(request, follow_redirects=False)
        names = {name.lower() for name in response.headers}
        return response.status_code, {n: ", ".join(response.headers.get_list(n)) for n in names}

    return fetch


def check_method(fetch: Fetch, path: str, method: str) -> None:
    """Any method but GET and HEAD is 405, with the methods there are in Allow (an empty
    list element, which Apache adds, is nothing: RFC 9110 §5.6.1)."""
    status, headers = fetch(path, "text/turtle", method)
    assert status == 405, (path, method, status)
    if method == "TRACE":  # Apache answers TRACE itself (TraceEnable Off), without Allow
        return
    allow = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
    assert allow == {"GET", "HEAD"}, (path, method, headers.get("allow"))
