"""Named queries as an HTTP API: the catalogue ``queries/cq/`` and one query run with parameters.

- ``GET /api/queries`` lists the catalogue as JSON (``{"queries": [...]}``: name, title,
  question, keywords, target, typed parameters, the query text, a ``run`` link and an
  ``editor`` permalink), or as a readable HTML page for a browser (``Accept`` preferring
  ``text/html``, or ``?format=html``; ``?format=json`` forces JSON), with a form per
  query and links relative to the page (it works under a proxy's sub-path).
- ``GET /api/queries/{name}?param=value`` runs one query. Each value is checked against its
  declared type (:func:`kg.sparql.files.make_term`: an IRI — absolute, or a prefixed name of the
  project's prefix table — string, integer, decimal, boolean, date, dateTime) and bound as
  one RDF term in a ``VALUES`` block (:func:`kg.sparql.files.inject_values`), never pasted into
  the query text; the bound text then goes through the SPARQL service like any query
  (guard, limits, result formats by ``Accept`` or ``format``, ``timeout``). An empty value
  of an optional parameter means "not given" (what an HTML form sends for an empty field).
- ``GET /api/openapi.json``: the OpenAPI 3.1 document (:mod:`kg.web.endpoint.openapi`).

Errors are ``application/problem+json`` (RFC 9457) with a ``detail`` sentence and the
query's declared parameters: 404 for an unknown query (listing the names), 400 for a
missing, unknown, repeated or malformed parameter (naming it, its type and the expected
form) or a malformed ``timeout``. Errors of the query service itself (an unknown
``format``, 403, 406, 429, 503...) are its plain-text answers, as on ``/sparql``. The
catalogue is read once, when the routes are made; a query file with a header the API
cannot serve stops the server there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kg.prefixes import for_base
from kg.sparql.files import ParameterError, QueryError
from kg.web.endpoint.catalogue import (
    NamedQuery,
    bind,
    load_catalogue,
    parameter_example,
    read_arguments,
)
from kg.web.endpoint.openapi import openapi_document
from kg.web.endpoint.service import SparqlService
from kg.web.negotiation import prefers_html
from kg.web.templates import render

# Short names of the result formats of the service (``format=``; media types work too).
RESULT_FORMATS = ("json", "xml", "csv", "tsv", "ttl", "jsonld", "nt", "rdf")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
METHODS = ["GET", "HEAD", "OPTIONS"]
PROBLEM = "application/problem+json"
# What the catalogue offers beside its HTML page.
JSON = (("application/json",),)


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
        status_code=status,
        media_type=PROBLEM,
        headers=CORS,
    )


def fixed(request: Request, body: str, media_type: str, vary: bool = False) -> Response:
    """A document fixed for the server's life, with a content-hash ETag (304 when the
    client has it: ``If-None-Match``)."""
    data = body.encode("utf-8")
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {**CORS, "ETag": etag, "Cache-Control": "no-cache"}
    if vary:
        headers["Vary"] = "Accept"
    wanted = [
        t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
    ]
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


def api_routes(service: SparqlService) -> list[BaseRoute]:
    """Routes of the named-query API: the catalogue, one query, the OpenAPI document."""
    catalogue = load_catalogue(service.queries_dir, getattr(service, "examples", None))
    prefixes = for_base(service.base)
    listing = {"queries": [q.describe() for q in catalogue.values()]}
    listing_json = json.dumps(listing, ensure_ascii=False, indent=2) + "\n"
    listing_html = catalogue_page(catalogue, service.templates)
    document = json.dumps(openapi_document(catalogue, service), ensure_ascii=False, indent=2)

    async def list_queries(request: Request) -> Response:
        wanted = request.query_params.get("format")
        if wanted not in (None, "json", "html"):
            return problem(400, "Bad Request", f"format {wanted!r}: use json or html")
        if wanted == "html" or (
            wanted is None and prefers_html(request.headers.get("accept"), JSON)
        ):
            return fixed(request, listing_html, "text/html; charset=utf-8", vary=True)
        return fixed(request, listing_json, "application/json", vary=True)

    async def run_query(request: Request) -> Response:
        name = request.path_params["name"]
        query = catalogue.get(name)
        if query is None:
            return problem(
                404,
                "Not Found",
                f"no named query {name!r}; the catalogue has: {', '.join(catalogue)}",
                queries=list(catalogue),
            )
        bound = _bound(query, request, prefixes)
        if isinstance(bound, Response):
            return bound
        text, result_format, timeout = bound
        response = await service.answer(
            request, text, timeout_s=timeout, result_format=result_format
        )
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        return response

    async def openapi(request: Request) -> Response:
        return fixed(request, document + "\n", "application/json")

    return [
        Route("/api/queries", with_preflight(list_queries), methods=METHODS),
        Route("/api/queries/{name}", with_preflight(run_query), methods=METHODS),
        Route("/api/openapi.json", with_preflight(openapi), methods=METHODS),
    ]


def _bound(
    query: NamedQuery, request: Request, prefixes: Mapping[str, str]
) -> tuple[str, str | None, float | None] | Response:
    """The query's text with the request's values bound, its ``format`` and ``timeout``;
    or the 400 problem naming what is wrong (with the query's declared parameters)."""
    try:
        given, result_format, timeout = read_arguments(query, request.query_params.multi_items())
        return bind(query, given, prefixes), result_format, timeout
    except ParameterError as error:
        declared = query.describe()["parameters"]  # only for the problem (its urlencode costs)
        return problem(
            400,
            "Bad Request",
            str(error),
            query=query.name,
            parameter=error.name,
            parameterType=error.type,
            expected=error.expected,
            parameters=declared,
        )
    except QueryError as error:
        declared = query.describe()["parameters"]
        return problem(400, "Bad Request", str(error), query=query.name, parameters=declared)


def with_preflight(
    handler: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` for GET/HEAD, and the CORS preflight answer for OPTIONS (a page on
    another origin may send If-None-Match, which needs one)."""

    async def endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            allow = ", ".join(METHODS)
            return Response(
                status_code=204,
                headers={
                    **CORS,
                    "Allow": allow,
                    "Access-Control-Allow-Methods": allow,
                    "Access-Control-Allow-Headers": "Accept, If-None-Match",
                    "Access-Control-Max-Age": "86400",
                },
            )
        return await handler(request)

    return endpoint


def catalogue_page(catalogue: Mapping[str, NamedQuery], templates: Path | None = None) -> str:
    """A readable HTML page of the catalogue (template ``catalogue.html``, overridable
    from ``templates``): questions, parameters, a form and links each."""
    return render(
        "catalogue.html",
        templates,
        title="Named queries — GovSM-KG",
        result_formats=", ".join(RESULT_FORMATS),
        queries=[_page_entry(query) for query in catalogue.values()],
    )


def _page_entry(query: NamedQuery) -> dict[str, Any]:
    """A query's entry of the catalogue with what its section of the page needs."""
    entry = query.describe()
    tabular = query.form in {"SELECT", "ASK"}
    return {
        **entry,
        # Relative to the page (/api/queries), so the page works under a proxy's sub-path.
        "action": f"queries/{quote(query.name)}",
        "editor_link": ".." + entry["editor"],
        "formats": RESULT_FORMATS[:4] if tabular else RESULT_FORMATS[4:],
        "parameters": [
            {**p, "example": parameter_example(p["description"])} for p in entry["parameters"]
        ],
    }
