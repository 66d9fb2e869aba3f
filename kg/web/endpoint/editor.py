"""The browser query editor of the SPARQL endpoint (``/sparql`` for ``text/html``).

``editor_page`` answers a browser's GET/HEAD on ``/sparql`` (a ``query`` parameter fills the
editor in, so ``/sparql?query=...`` is a permalink); ``editor_routes`` serves its assets and
its parameter binding under ``/editor/``:

- ``/editor/static/<file>`` — our own JS and CSS (``kg/web/endpoint/static/``, package data);
- ``/editor/yasgui/<file>`` — YASGUI (``@zazuko/yasgui``) as installed by ``make`` with
  ``npm ci`` into ``web/node_modules``, a copy of which the wheel ships (kg.resources), or
  the folder named by ``GOVSM_YASGUI_DIR``. The
  assets are served from there rather than copied into ``dist/`` at build time: they belong
  to the server's installation, not to a build of the data, and an ``npm ci`` takes effect
  without a rebuild. Without them (a pip install with no npm) the page says so and runs a
  plain editor of our own (textarea, fetch, table): never a broken page;
- ``/editor/bind/<name>?param=value`` — the catalogue query ``name`` with its parameters
  bound as one RDF term each in a ``VALUES`` block (``kg.sparql.files``), as ``text/plain``; the
  editor shows and runs exactly that text, so its permalink carries the bound query.

Nothing on the page refers to another host: every asset, request and link is same-origin
(a Content-Security-Policy of ``'self'`` enforces it in the browser).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from kg import resources
from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI, for_base
from kg.sparql.files import QueryError
from kg.web.endpoint.catalogue import bind, load_catalogue, read_arguments
from kg.web.endpoint.service import SparqlService
from kg.web.templates import render

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The only YASGUI files served (the bundle is self-contained: no fonts or images to fetch).
YASGUI_FILES = {
    "yasgui.min.js": "text/javascript; charset=utf-8",
    "yasgui.min.js.map": "application/json",
    "yasgui.min.css": "text/css; charset=utf-8",
}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

# Everything the page loads or calls is same-origin. YASGUI sets inline styles (CodeMirror,
# DataTables) and uses data: images for its icons; it needs no eval and no remote host.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


def yasgui_dir() -> Path | None:
    """Folder holding the YASGUI bundle, or None when it is not installed."""
    configured = os.environ.get("GOVSM_YASGUI_DIR")
    folder = Path(configured) if configured else resources.part("yasgui", required=False)
    if folder and all((folder / name).is_file() for name in ("yasgui.min.js", "yasgui.min.css")):
        return folder
    return None


@functools.lru_cache(maxsize=8)
def catalogue(
    queries_dir: Path, examples: tuple[tuple[str, str | None], ...] = ()
) -> tuple[dict[str, Any], ...]:
    """The catalogue's entries (the ``/api/queries`` JSON shape), by title, with the
    parameters' examples the data's (``examples``: see SparqlService.examples); read once."""
    entries = [q.describe() for q in load_catalogue(queries_dir, dict(examples)).values()]
    return tuple(sorted(entries, key=lambda e: (e["title"].lower(), e["name"])))


def local_mappings(base: str) -> list[tuple[str, str]]:
    """IRI prefixes that are pages on this server, and the path (relative to the server's
    root) each maps to."""
    maps = [(GOVSM, "ontology#"), (ONTOLOGY_IRI, "ontology")]
    if base != DEFAULT_BASE:
        maps.append((DEFAULT_BASE + "ontology", "ontology"))
    maps.append((base, ""))
    return maps


def _limits(service: SparqlService) -> dict[str, Any]:
    limits = service.limits
    return asdict(limits) if is_dataclass(limits) else dict(vars(limits))


def _json_for_script(data: Any) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element: ``<``, ``>`` and
    ``&`` are written as escapes, so it cannot end the element, and it is markup (a
    script's text is not HTML: escaping it again would break the JSON)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _fmt_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _graph_links(service: SparqlService, root: str) -> list[dict[str, Any]]:
    """The graphs held, each with its size (if known) and the link that opens the editor
    on it alone."""
    sizes = getattr(service, "graph_sizes", None) or {}
    return [
        {
            "iri": iri,
            "href": f"{root}sparql?default-graph-uri={quote(iri, safe='')}",
            "size": _fmt_number(sizes[iri]) if sizes.get(iri) is not None else None,
        }
        for iri in sorted(service.graphs)
    ]


def render_page(
    service: SparqlService,
    query: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    root: str = "",
) -> str:
    """The editor page (template ``editor.html``, overridable from the service's
    ``templates``) for a service, with ``query`` in the editor and the protocol's
    ``default-graph-uri`` / ``named-graph-uri`` values kept for its requests and permalink.

    Every URL on the page is relative: ``root`` leads from the page's folder to the server's
    root (``""`` for ``/sparql``, ``"../"`` for ``/sparql/``), so the editor also works
    behind a proxy that serves the server under a sub-path."""
    yasgui = yasgui_dir() is not None
    data_examples = tuple(sorted((getattr(service, "examples", None) or {}).items()))
    examples = catalogue(Path(service.queries_dir), data_examples)
    limits = _limits(service)
    config = {
        "root": root,
        "endpoint": root + "sparql",
        "bind": root + "editor/bind/",
        "mode": "yasgui" if yasgui else "plain",
        "query": query,
        "defaultGraphs": list(default_graphs),
        "namedGraphs": list(named_graphs),
        "base": service.base,
        "local": local_mappings(service.base),
        "prefixes": for_base(service.base),
        "limits": limits,
        "examples": {ex["name"]: ex for ex in examples},
    }
    dataset = [
        (label, list(graphs))
        for label, graphs in (("default graph", default_graphs), ("named graph", named_graphs))
        if graphs
    ]
    return render(
        "editor.html",
        service.templates,
        title="SPARQL query editor — GovSM-KG",
        root=root,
        yasgui=yasgui,
        base=service.base,
        query=query,
        examples=examples,
        dataset=dataset,
        limits={key: _fmt_number(value) for key, value in limits.items()},
        graphs=_graph_links(service, root),
        timeout=str(limits.get("timeout_s", "")),
        config_json=_json_for_script(config),
    )


def editor_page(request: Request, service: SparqlService) -> Response:
    """The editor page for a browser on ``/sparql`` (the ``query`` parameter fills it in)."""
    params = request.query_params
    page = render_page(
        service,
        params.get("query", ""),
        params.getlist("default-graph-uri"),
        params.getlist("named-graph-uri"),
        root="../" * request.url.path.lstrip("/").count("/"),
    )
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": CSP,
            "Vary": "Accept",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


def _asset(path: Path, media_type: str) -> Response:
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _not_found(what: str) -> Response:
    return PlainTextResponse(f"not found: {what}\n", status_code=404, headers=NOSNIFF)


def editor_routes(service: SparqlService) -> list[BaseRoute]:
    """Routes of the editor's assets and parameter binding (under ``/editor/``)."""
    static = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in STATIC_TYPES}
    named = load_catalogue(Path(service.queries_dir))
    prefixes = for_base(service.base)

    async def static_file(request: Request) -> Response:
        name = request.path_params["name"]
        path = static.get(name)
        return _asset(path, STATIC_TYPES[path.suffix]) if path else _not_found(name)

    async def yasgui_file(request: Request) -> Response:
        name = request.path_params["name"]
        folder = yasgui_dir()
        if folder is None or name not in YASGUI_FILES or not (folder / name).is_file():
            return _not_found(name)
        return _asset(folder / name, YASGUI_FILES[name])

    async def bind_route(request: Request) -> Response:
        """The catalogue query with its parameters bound, as the api binds them."""
        name = request.path_params["name"]
        query = named.get(name)
        if query is None:
            return _not_found(f"catalogue query {name!r}")
        try:
            given, _, _ = read_arguments(query, request.query_params.multi_items())
            text = bind(query, given, prefixes)
        except QueryError as err:
            return PlainTextResponse(f"{name}: {err}\n", status_code=400, headers=NOSNIFF)
        return PlainTextResponse(text, media_type="application/sparql-query", headers=NOSNIFF)

    return [
        Route("/editor/static/{name}", static_file, methods=["GET", "HEAD"]),
        Route("/editor/yasgui/{name}", yasgui_file, methods=["GET", "HEAD"]),
        Route("/editor/bind/{name}", bind_route, methods=["GET", "HEAD"]),
    ]
