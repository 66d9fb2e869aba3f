"""sitemap.xml: the site's HTML pages for crawlers; for a site without resource pages,
a sitemap index that also lists the pages rendered on demand.

XML, not a page: written here, escaped with :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import pyoxigraph as ox
import rdflib

from kg.sparql.files import inject_values
from kg.web.site.graph import is_resource_path

#: URLs per sitemap file (the sitemaps.org limit is 50,000 URLs and 50 MB a file).
SITEMAP_MAX_URLS = 50_000
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _urlset(locs: Iterable[str]) -> str:
    """A sitemap of these URLs."""
    urls = "\n".join(f"<url><loc>{escape(loc)}</loc></url>" for loc in locs)
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}">\n'
    return f"{head}{urls}\n</urlset>\n"


def sitemap(base: str, html_pages: list[str]) -> str:
    """A sitemap of the site's HTML pages."""
    return _urlset(base if rel == "index.html" else base + rel for rel in html_pages)


#: IRIs under the base (bound to ?base, a string) that are the subject of a triple: the
#: resources a page per resource would cover (also counted by kg.build.pipeline.count_resources)
RESOURCE_SUBJECTS = (
    "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), ?base)) }"
)


def resource_pages(subjects: Iterable[str], base: str) -> list[str]:
    """The page paths of ``subjects`` (IRIs under the base) that ``govsm serve`` renders
    on demand (kg.web.site.ondemand): those that can name a resource page
    (kg.web.site.graph.is_resource_path), but the dataset's (a static page); sorted."""
    paths = {iri[len(base) :] for iri in subjects}
    return sorted(p for p in paths if is_resource_path(p) and p != "dataset")


def on_demand_pages(store: ox.Store, base: str) -> list[str]:
    """The page paths rendered on demand (resource_pages) of every IRI under the base
    that is the subject of a triple in ``store``; sorted."""
    query = inject_values(RESOURCE_SUBJECTS, {"base": rdflib.Literal(base)})
    rows = store.query(query, use_default_graph_as_union=True)
    return resource_pages((row["s"].value for row in rows), base)


def sitemap_index(base: str, html_pages: list[str], on_demand: list[str]) -> dict[str, str]:
    """A site without resource pages: ``sitemap.xml`` is a sitemap index of
    ``sitemap-pages.xml`` (the static pages) and ``sitemap-resources-N.xml`` (the pages
    rendered on demand, ``on_demand`` paths, SITEMAP_MAX_URLS a file)."""
    files = {"sitemap-pages.xml": sitemap(base, html_pages)}  # (kg.web.site.SITE_LEVEL_ONLY)
    locs = [f"{base}{path}.html" for path in on_demand]
    for n, start in enumerate(range(0, len(locs), SITEMAP_MAX_URLS), 1):
        files[f"sitemap-resources-{n}.xml"] = _urlset(locs[start : start + SITEMAP_MAX_URLS])
    entries = "\n".join(f"<sitemap><loc>{escape(base + rel)}</loc></sitemap>" for rel in files)
    files["sitemap.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_SITEMAP_NS}">\n'
        f"{entries}\n</sitemapindex>\n"
    )
    return files
