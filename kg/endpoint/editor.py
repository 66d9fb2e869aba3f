"""The browser query editor of the SPARQL endpoint (first minimal version: signatures).

``editor_page`` answers a browser's GET/HEAD on ``/sparql``; ``editor_routes`` serves the
editor's assets under ``/editor/``. The full editor (YASGUI from web/node_modules, with a
plain fallback) follows.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

if TYPE_CHECKING:  # the service module imports nothing from here; avoid a cycle anyway
    from kg.endpoint.service import SparqlService


def editor_routes(service: SparqlService) -> list[BaseRoute]:
    """Routes of the editor's static assets (under ``/editor/``)."""
    return []


def editor_page(request: Request, service: SparqlService) -> Response:
    """The editor page for a browser on ``/sparql`` (the ``query`` parameter fills it in)."""
    query = request.query_params.get("query", "")
    body = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>SPARQL query editor</title></head><body><h1>SPARQL query editor</h1>"
        "<form method='get' action='/sparql'>"
        f"<textarea name='query' rows='20' cols='100'>{html.escape(query)}</textarea>"
        "<p><button type='submit'>Run</button></p></form></body></html>\n"
    )
    return HTMLResponse(body)
