"""JSON-LD processing that never fetches: a check that a document names no context by
URL before any parser sees it, and PyLD with a document loader that refuses every URL
(the second lock).

Our own documents carry their context inline, so nothing here ever needs a loader;
a document that names a context by URL (``"@context": "https://…"``) is refused with
a clear error rather than fetched (JSON-LD processors, PyLD's and rdflib's, would
otherwise dereference it).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


class RemoteContextRefused(ValueError):
    """A JSON-LD document names a context (or other document) by URL."""


def refuse(url: str, options: dict | None = None) -> dict:
    """PyLD's document loader: refuses every URL (nothing is fetched)."""
    raise RemoteContextRefused(
        f"refused to load {url}: JSON-LD is processed offline, so a context must be inline"
    )


def _pyld() -> ModuleType:
    """PyLD's processor."""
    # imported when a document is processed: PyLD imports requests and asyncio (a fifth
    # of a second), which every build would pay for the offline check alone
    from pyld import jsonld

    return jsonld


#: PyLD options: the refusing loader (and no base IRI of a download).
OPTIONS: dict[str, Any] = {"documentLoader": refuse}


def remote_references(doc: object) -> list[str]:
    """Every context named by a string (a URL or a relative reference) in ``doc``."""
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "@context":
                contexts = value if isinstance(value, list) else [value]
                found += [c for c in contexts if isinstance(c, str)]
                found += [u for c in contexts if isinstance(c, dict) for u in _imports(c)]
            found += remote_references(value)
    elif isinstance(doc, list):
        for item in doc:
            found += remote_references(item)
    return found


def _imports(context: dict) -> list[str]:
    """``@import`` URLs of a context, and scoped contexts given by string."""
    found = [context["@import"]] if isinstance(context.get("@import"), str) else []
    for definition in context.values():
        if isinstance(definition, dict) and isinstance(definition.get("@context"), str):
            found.append(definition["@context"])
    return found


def check_offline(doc: object, source: str) -> None:
    """Raise RemoteContextRefused if ``doc`` (parsed JSON) names a context by URL."""
    urls = remote_references(doc)
    if urls:
        raise RemoteContextRefused(
            f"{source}: names the JSON-LD context {urls[0]!r} by URL; GovSM-KG reads "
            "JSON-LD offline only: put the context inline"
        )


def to_nquads(doc: object, base: str | None = None) -> str:
    """PyLD's RDF (N-Quads) of ``doc``, offline; ``base`` resolves its relative IRIs."""
    check_offline(doc, "JSON-LD input")
    options = {**OPTIONS, "format": "application/n-quads"}
    if base is not None:
        options["base"] = base
    return _pyld().to_rdf(doc, options)


def from_nquads(nquads: str) -> list:
    """PyLD's expanded JSON-LD of N-Quads text."""
    return _pyld().from_rdf(nquads, {**OPTIONS, "format": "application/n-quads"})


def expand(doc: object) -> list:
    """PyLD's expansion of ``doc``, offline."""
    check_offline(doc, "JSON-LD input")
    return _pyld().expand(doc, dict(OPTIONS))


def compact(doc: object, context: dict) -> dict:
    """PyLD's compaction of ``doc`` with ``context`` (a ``{"@context": …}`` object)."""
    check_offline([doc, context], "JSON-LD input")
    return _pyld().compact(doc, context, dict(OPTIONS))


def frame(doc: object, frame_: dict) -> dict:
    """PyLD's framing of ``doc`` with ``frame_``, offline."""
    check_offline([doc, frame_], "JSON-LD input")
    return _pyld().frame(doc, frame_, dict(OPTIONS))
