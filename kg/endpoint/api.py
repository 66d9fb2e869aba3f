"""Named queries as an HTTP API (first minimal version: the ``api_routes`` signature).

``GET /api/queries`` lists the catalogue ``queries/cq/``; ``GET /api/queries/{name}``
runs one with typed parameters bound in a ``VALUES`` block through :mod:`kg.sparql`;
``GET /api/openapi.json`` describes both. The full version follows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:  # the service imports nothing from here; avoid a cycle anyway
    from kg.endpoint.service import SparqlService


def api_routes(service: SparqlService) -> list[BaseRoute]:
    """Routes of the named-query API: the catalogue, one query, the OpenAPI document."""

    async def not_ready(request: Request) -> Response:
        return JSONResponse({"error": "the named-query API is not implemented yet"}, 501)

    return [
        Route("/api/queries", not_ready, methods=["GET", "HEAD"]),
        Route("/api/queries/{name}", not_ready, methods=["GET", "HEAD"]),
        Route("/api/openapi.json", not_ready, methods=["GET", "HEAD"]),
    ]
