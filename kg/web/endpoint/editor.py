"""The browser query editor of the SPARQL endpoint (``/sparql`` for ``text/html``).

``editor_page`` answers a browser's GET/HEAD on ``/sparql`` (a ``query`` parameter fills the
editor in, so ``/sparql?query=...`` is a permalink); ``editor_routes`` serves its assets and
its parameter binding under ``/editor/``:

- ``/editor/static/<file>`` — our own JS and CSS (``kg/web/endpoint/static/``, package data);
- ``/editor/yasgui/<file>`` — YASGUI (``@zazuko/yasgui``) as installed by ``make`` with
  ``npm ci`` into ``web/node_modules`` (or the folder named by ``GOVSM_YASGUI_DIR``). The
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
import html
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from kg.config import REPO_ROOT
from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI
from kg.sparql.files import QueryError
from kg.web.endpoint.catalogue import bind, load_catalogue, prefixes_for, read_arguments

if TYPE_CHECKING:  # the service module does not import this one; avoid a cycle anyway
    from kg.web.endpoint.service import SparqlService

STATIC_DIR = Path(__file__).resolve().parent / "static"
REPO_WEB_DIR = REPO_ROOT / "web"
YASGUI_PACKAGE = Path("node_modules") / "@zazuko" / "yasgui" / "build"
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
    candidates = [Path(configured)] if configured else [REPO_WEB_DIR / YASGUI_PACKAGE]
    for folder in candidates:
        if all((folder / name).is_file() for name in ("yasgui.min.js", "yasgui.min.css")):
            return folder
    return None


@functools.lru_cache(maxsize=8)
def catalogue(queries_dir: Path) -> tuple[dict[str, Any], ...]:
    """The catalogue's entries (the ``/api/queries`` JSON shape), by title; read once."""
    entries = [q.describe() for q in load_catalogue(queries_dir).values()]
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


def _json_for_script(data: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fmt_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _limits_html(limits: dict[str, Any], graphs: dict[str, int | None], root: str) -> str:
    rows = [
        ("timeout_s", "Time limit per query", "{} s (a query may ask for less: <i>timeout</i>)"),
        ("max_rows", "Rows per result", "{} (a longer result is cut, and the page says so)"),
        ("max_body_bytes", "Request body", "{} bytes"),
        ("max_concurrent_per_client", "Concurrent queries per client", "{} (then 429)"),
        ("workers", "Queries evaluated at once", "{}"),
        ("worker_memory_mb", "Memory per query worker", "{} MB (0: no cap)"),
    ]
    cells = [
        f"<tr><th scope='row'>{label}</th><td id='limit-{key}'>"
        f"{text.format(html.escape(_fmt_number(limits[key])))}</td></tr>"
        for key, label, text in rows
        if key in limits
    ]
    items = "".join(
        f"<li><a href='{root}sparql?default-graph-uri={quote(iri, safe='')}'>"
        f"<code>{html.escape(iri)}</code></a>"
        + (f" ({_fmt_number(size)} triples)" if size is not None else "")
        + "</li>"
        for iri, size in graphs.items()
    )
    cells.append(
        f"<tr><th scope='row'>Named graphs</th><td><details id='graphs'><summary>{len(graphs)}"
        " graphs (the default graph is their union; pick one to query it alone)</summary>"
        f"<ul>{items}</ul></details></td></tr>"
    )
    return "<table class='limits'>" + "".join(cells) + "</table>"


def _examples_html(examples: tuple[dict[str, Any], ...]) -> str:
    items = []
    for ex in examples:
        name = html.escape(ex["name"])
        fields = []
        for p in ex["parameters"]:
            pname = html.escape(p["name"])
            kind = html.escape(p["type"])
            hint = "IRI or prefixed name, e.g. id:…" if kind == "iri" else kind
            desc = p.get("description", "")
            fields.append(
                f"<label>{pname} <small>({kind}{'' if p['required'] else ', optional'})</small>"
                f"<input name='{pname}' data-type='{kind}' autocomplete='off'"
                f" list='values-{name}-{pname}' placeholder='{html.escape(hint)}'"
                f"{' required' if p['required'] else ''}>"
                f"<datalist id='values-{name}-{pname}'></datalist>"
                + (f"<span class='desc'>{html.escape(desc)}</span>" if desc else "")
                + "</label>"
            )
        form = (
            f"<form class='params' data-name='{name}'>{''.join(fields)}"
            "<button type='submit'>Bind and run</button></form>"
            if fields
            else ""
        )
        keywords = ", ".join(html.escape(k) for k in ex["keywords"])
        title, question = html.escape(ex["title"]), html.escape(ex["question"])
        items.append(
            f"<li class='example' id='example-{name}' data-name='{name}'>"
            f"<button type='button' class='load' data-name='{name}'>{title}</button>"
            f"<p class='question'>{question}</p>"
            + (f"<p class='keywords'>{keywords}</p>" if keywords else "")
            + form
            + "</li>"
        )
    if not items:
        return "<p>No catalogue queries were found.</p>"
    return "<ol class='examples'>" + "".join(items) + "</ol>"


def _dataset_html(default_graphs: Sequence[str], named_graphs: Sequence[str], root: str) -> str:
    """The protocol's dataset parameters this page's queries are sent with, if any."""
    if not default_graphs and not named_graphs:
        return ""
    parts = []
    for label, graphs in (("default graph", default_graphs), ("named graph", named_graphs)):
        if graphs:
            iris = ", ".join(f"<code>{html.escape(g)}</code>" for g in graphs)
            parts.append(f"{label}{'s' if len(graphs) > 1 else ''} {iris}")
    return (
        "<p class='dataset-line' id='dataset-line'>Queries run on the dataset: "
        + "; ".join(parts)
        + " (<code>default-graph-uri</code>, <code>named-graph-uri</code>; "
        f"<a href='{root}sparql'>clear</a>).</p>\n"
    )


def render_page(
    service: SparqlService,
    query: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    root: str = "",
) -> str:
    """The editor page (HTML) for a service, with ``query`` in the editor and the protocol's
    ``default-graph-uri`` / ``named-graph-uri`` values kept for its requests and permalink.

    Every URL on the page is relative: ``root`` leads from the page's folder to the server's
    root (``""`` for ``/sparql``, ``"../"`` for ``/sparql/``), so the editor also works
    behind a proxy that serves the server under a sub-path."""
    assets = yasgui_dir()
    examples = catalogue(Path(service.queries_dir))
    base = service.base
    limits = _limits(service)
    sizes = getattr(service, "graph_sizes", None) or {}
    graphs = {iri: sizes.get(iri) for iri in sorted(service.graphs)}
    timeout = html.escape(str(limits.get("timeout_s", "")))
    config = {
        "root": root,
        "endpoint": root + "sparql",
        "bind": root + "editor/bind/",
        "mode": "yasgui" if assets else "plain",
        "query": query,
        "defaultGraphs": list(default_graphs),
        "namedGraphs": list(named_graphs),
        "base": base,
        "local": local_mappings(base),
        "prefixes": prefixes_for(base),
        "limits": limits,
        "examples": {ex["name"]: ex for ex in examples},
    }
    if assets:
        head_assets = f"<link rel='stylesheet' href='{root}editor/yasgui/yasgui.min.css'>"
        scripts = f"<script src='{root}editor/yasgui/yasgui.min.js'></script>"
        notice = ""
    else:
        head_assets = scripts = ""
        notice = (
            "<p class='notice' id='plain-notice'>The full editor (YASGUI, with syntax "
            "highlighting) is not installed on this server — it comes from the npm registry "
            "when <code>make</code> runs <code>npm ci</code> in <code>web/</code>. This is "
            "the plain editor: it runs queries and shows their results all the same.</p>"
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SPARQL query editor — GovSM-KG</title>
<link rel="icon" href="data:,">
{head_assets}
<link rel="stylesheet" href="{root}editor/static/editor.css">
</head>
<body class="editor-mode-{config["mode"]}">
<header class="site-header">
<a class="home" href="{root or "./"}">GovSM-KG</a>
<nav><a href="{root or "./"}">Home</a> <a href="{root}dataset">Dataset</a>
<a href="{root}ontology">Ontology</a> <a href="{root}sparql" aria-current="page">SPARQL</a>
<a href="{root}api/queries">Query API</a></nav>
</header>
<main class="editor-layout">
<aside class="catalogue" aria-labelledby="examples-heading">
<h2 id="examples-heading">The review's questions</h2>
<p class="hint">Ready-to-run queries from the catalogue (<code>queries/cq/</code>). Pick one to
load and run it; queries with parameters get a form.</p>
<input type="search" id="example-filter" placeholder="Filter by word"
aria-label="Filter the examples">
{_examples_html(examples)}
</aside>
<section class="workspace" aria-labelledby="editor-heading">
<h1 id="editor-heading">SPARQL query editor</h1>
<p class="endpoint-line">Endpoint: <code id="endpoint-url">/sparql</code> (SPARQL 1.1
Protocol, read-only). Base IRI of the data: <code>{html.escape(base)}</code>.</p>
{_dataset_html(default_graphs, named_graphs, root)}{notice}
<div id="query-editor"><textarea id="query-text" name="query" rows="18" spellcheck="false"
aria-label="SPARQL query">{html.escape(query)}</textarea></div>
<div class="toolbar">
<button type="button" id="run">Run query</button>
<label>Time limit <input type="number" id="timeout" min="0.1" step="0.1"
max="{timeout}" value="{timeout}"> s</label>
<button type="button" id="download-csv" class="download" data-format="csv"
disabled>Download CSV</button>
<button type="button" id="download-json" class="download" data-format="json"
disabled>Download JSON</button>
<a id="permalink" href="{root}sparql">Permalink</a>
</div>
<p class="keys">Ctrl-Enter runs the query; Run becomes Cancel while it runs.</p>
<p id="status" role="status" aria-live="polite"></p>
<p id="truncated" class="warning" role="alert" hidden></p>
<div id="results"></div>
<section class="limits-section" aria-labelledby="limits-heading">
<h2 id="limits-heading">Limits of this service</h2>
{_limits_html(limits, graphs, root)}
<p>Updates, <code>SERVICE</code> and graphs we do not hold are refused. Results link every
resource of the data to its page on this server.</p>
</section>
</section>
</main>
<script type="application/json" id="editor-config">{_json_for_script(config)}</script>
{scripts}
<script src="{root}editor/static/editor.js"></script>
</body>
</html>
"""


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
    prefixes = prefixes_for(service.base)

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
