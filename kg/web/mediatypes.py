"""The media types of the static site's files: one table for ``govsm serve``
(kg.web.server) and for the ``.htaccess`` that makes Apache answer the same
(kg.web.site.htaccess), so the two cannot drift apart.
"""

from __future__ import annotations

# The representations of a resource, in the server's order of preference (ties in the
# client's Accept go to the earlier one: HTML first, so browsers and */* get the page).
REPRESENTATIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (extension, Content-Type, media types in Accept that ask for it)
    ("html", "text/html; charset=utf-8", ("text/html", "application/xhtml+xml")),
    ("ttl", "text/turtle; charset=utf-8", ("text/turtle",)),
    ("jsonld", "application/ld+json", ("application/ld+json", "application/json")),
    ("nt", "application/n-triples", ("application/n-triples",)),
    ("rdf", "application/rdf+xml", ("application/rdf+xml",)),
)
DOCUMENT_TYPES = {ext: ctype for ext, ctype, _ in REPRESENTATIONS}

# Other files of the site (dumps, style, sitemap, ...).
OTHER_TYPES = {
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "ico": "image/x-icon",
    "js": "text/javascript; charset=utf-8",
    "json": "application/json",
    "xml": "application/xml",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "csv": "text/csv; charset=utf-8",
}
# Files without an extension, by name.
NAMED_TYPES = {
    "void": "text/turtle; charset=utf-8",  # .well-known/void (RFC 5785, VoID §7.2)
    "SHA256SUMS": "text/plain; charset=utf-8",
}
DATA_TYPES = {
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
    "application/json",
}
