"""Resource pages rendered on demand from a pyoxigraph store, with the static site's code.

A static page per resource stops making sense when resources number in the hundreds of
thousands (see bench.site for the measurements): writing them takes longer than the
rest of the build, and millions of small files are a burden to copy and host. A server
can instead render a resource's page when it is asked for: :class:`OnDemandSite` gives
the page code of :mod:`kg.web.site.pages` a :class:`~kg.web.site.graph.SiteGraph` whose indexes
(``out``: triples by subject, ``inc``: by object) are filled from the store on first
use, so a page costs a few index lookups instead of one parse of the whole dump.

Same HTML as the static page for the same data, with one caveat: the Store holds
literals in canonical form (``"1"^^xsd:positiveInteger`` is read back as
``"1"^^xsd:integer``, ``0.50`` as ``0.5``), so a page shows literals as the store holds
them; the dumps keep them as written. A resource with more incoming links than
kg.web.site.pages.LINKS_PER_PAGE gets the static page's first page plus links to the next
ones (``?page=2``), which a static host could not serve.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.prefixes import GOVSM
from kg.rdf.engine import OxigraphEngine
from kg.rdf.jsonld import Context, usage_of, usage_of_nquads
from kg.stages.about import about
from kg.stages.trace import ClassificationStep, trace
from kg.web.site import figure, landing, pages, rdfio, shapes_docs, void
from kg.web.site.graph import SiteGraph
from kg.web.site.kinds import kind_sections
from kg.web.templates import stylesheet


class OnDemandSite:
    """Render the page (or an RDF document) of one resource from a store."""

    def __init__(
        self,
        engine: OxigraphEngine,
        base: str,
        queries: Path,
        rule_iri: str | None = None,
        templates: Path | None = None,
        context: Context | None = None,
    ) -> None:
        """``templates``: a project's templates folder (kg.web.templates), as the static
        site's (kg.web.site.SiteInput.templates); ignored when it does not exist.
        ``context``: the JSON-LD context (kg.rdf.jsonld) of the build; None makes it from
        the store (whose literals are canonical: from_nquads makes the static site's)."""
        self.engine, self.base, self.queries, self.rule_iri = engine, base, queries, rule_iri
        self.templates = templates if templates is not None and templates.is_dir() else None
        self.graph = SiteGraph.from_store(engine.store, base)
        if context is None:
            context = Context.build(
                usage_of(engine.store.quads_for_pattern(None, None, None)), base
            )
        self.graph.context = context
        self.graph.files = {f"dumps/{name}" for name in void.DUMPS}
        # Navigation of the rendered pages: the static site's pages (pages.NAV), or
        # what a server without a static site has (see without_site).
        self.nav: tuple[tuple[str, str], ...] | None = None

    def without_site(self, sparql: bool) -> None:
        """Pages served with no static site beside them (older builds): they link only
        to the index (and /sparql when ``sparql``), as :meth:`index_page` does, and to
        ontology terms by their IRIs."""
        self.nav = (pages.NAV[0], pages.NAV[-1]) if sparql else (pages.NAV[0],)
        # no ontology or dataset page: their terms are linked by their own IRIs; the
        # shapes page is rendered here (page("shapes")) when the dump has the shapes
        shapes = {"shapes"} if self.graph.shape_triples else set()
        self.graph.pages.site = {""} | shapes  # type: ignore[attr-defined]

    @classmethod
    def from_nquads(
        cls,
        nquads: Path,
        base: str,
        queries: Path,
        rule_iri: str | None = None,
        templates: Path | None = None,
    ) -> OnDemandSite:
        """A renderer over a dump (``dist/govsm.nq``), bulk-loaded into a fresh store."""
        engine = OxigraphEngine()
        engine.store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        context = Context.build(usage_of_nquads(nquads), base)
        return cls(engine, base, queries, rule_iri, templates, context)

    def subject(self, path: str) -> ox.NamedNode | None:
        """The resource a page path names, if the store describes it."""
        if path in ("", "dataset", "ontology") or path not in self.graph.pages:
            return None
        return ox.NamedNode(self.base + path)

    def page(self, path: str, number: int = 1) -> str | None:
        """The HTML page of ``BASE + path``: its ``number``-th page of incoming links
        (see kg.web.site.pages.incoming). None when the store does not describe it or it has
        no such page."""
        if path == "shapes":  # a site-level page, rendered when no static site has it
            if self.subject(path) is None or number != 1:
                return None
            return shapes_docs.shapes_page(self.graph, self.templates, self.nav)
        subject = self.subject(path)
        if subject is None:
            return None
        page = pages.Page(
            path, self.graph, number=number, paged=True, nav=self.nav, templates=self.templates
        )
        if number != 1 and not 1 <= number <= pages.incoming_pages(page, subject):
            return None
        return pages.resource_page(page, subject, kind_sections(self.queries, self._step))

    def document(self, path: str, ext: str) -> str | None:
        """The resource's concise bounded description as ``ttl``, ``jsonld``, ``nt``, ``rdf``."""
        subject = self.subject(path)
        if subject is None or ext not in rdfio.FORMATS:
            return None
        if path == "shapes":  # the shapes graphs, as the static site's shapes.ttl...
            return rdfio.documents(self.graph.shape_triples, self.graph.context)[ext]
        triples = self.graph.description_of([subject])
        return rdfio.documents(triples, self.graph.context, subject)[ext]

    def index_page(self, sparql: bool = False) -> str:
        """A landing page for a build without a static site (``dist/site/`` missing, as
        builds before the site-level pages were written above the threshold): the
        figure and links to what is served, all rendered from the store. ``sparql``:
        whether the server has the SPARQL endpoint and its editor."""
        nav = (pages.NAV[0], pages.NAV[-1]) if sparql else (pages.NAV[0],)
        page = pages.Page("", self.graph, nav=nav, templates=self.templates)
        boxes = None
        if (self.queries / figure.TABLE_QUERY).is_file():
            boxes = figure.figure_boxes(self.graph, self.engine, self.queries, self.rule_iri)
        return landing.on_demand_index(page, about(self.engine).title, boxes, sparql)

    def style(self) -> str:
        """style.css, for a server without a static site (the project's, if it has one)."""
        return stylesheet(self.templates)

    def _step(self, subject: ox.NamedNode) -> ClassificationStep | None:
        """A derived classification's trace (kg.stages.trace, run for its sub-factor)."""
        if GOVSM + "DerivedClassification" not in self.graph.types(subject):
            return None
        subfactor = self.graph.value(subject, GOVSM + "classifiedSubFactor")
        if isinstance(subfactor, ox.NamedNode):
            for step in trace(self.engine, self.queries, subfactor.value).classifications:
                if step.iri == subject.value:
                    return step
        return None
