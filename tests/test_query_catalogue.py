"""The query catalogue as linked data (kg.sparql.catalogue): every ``queries/**/*.rq`` a
``sh:SPARQLExecutable`` in the SIB sparql-examples convention, in the build's named graph
``BASE graph/catalogue``, in the dumps, on the SPARQL endpoint, linked from VoID, and
each query IRI dereferenceable on ``govsm serve``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.compare import isomorphic
from starlette.testclient import TestClient
from support import built_dist, service_over
from typer.testing import CliRunner

from kg.cli import options
from kg.cli.app import app
from kg.config import Project
from kg.prefixes import DEFAULT_BASE, PREFIXES
from kg.sparql.catalogue import (
    SPEX_DESCRIBE,
    catalogue_graph_iri,
    catalogue_triples,
    query_iri,
    split_header,
)
from kg.sparql.files import QueryError, parse_header, query_form, read_query
from kg.web.endpoint.service import SparqlService
from kg.web.server import make_app

REPO = Path(__file__).resolve().parents[1]
QUERIES = REPO / "queries"
FILES = sorted(QUERIES.rglob("*.rq"))
SH = rdflib.Namespace(PREFIXES["sh"])
SCHEMA = rdflib.Namespace(PREFIXES["schema"])
DCTERMS = rdflib.Namespace(PREFIXES["dcterms"])
VOID = rdflib.Namespace(PREFIXES["void"])
SD = rdflib.Namespace(PREFIXES["sd"])
TEXT = {
    "SELECT": SH.select,
    "CONSTRUCT": SH.construct,
    "ASK": SH.ask,
    "DESCRIBE": URIRef(SPEX_DESCRIBE),
}
FORM_CLASS = {
    "SELECT": SH.SPARQLSelectExecutable,
    "CONSTRUCT": SH.SPARQLConstructExecutable,
    "ASK": SH.SPARQLAskExecutable,
}
# The constraints the SIB sparql-examples tools validate every example with (the SHACL
# shape of sparql-examples-utils, restated here: one query text; an rdfs:comment that
# is a language-tagged string or rdf:HTML; a schema:target; no misspelt keyword
# property; keywords without surrounding white space).
SIB_SHAPE = Path(__file__).parent / "fixtures" / "catalogue" / "sparql-examples-shape.ttl"


def _graph(triples: list) -> rdflib.Graph:
    g = rdflib.Graph()
    for t in triples:
        g.add(t)
    return g


@pytest.fixture(scope="module")
def catalogue() -> rdflib.Graph:
    return _graph(catalogue_triples(QUERIES, DEFAULT_BASE))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


def _executable(g: rdflib.Graph, path: Path) -> URIRef:
    """The one executable whose dcterms:identifier is the file's path."""
    ident = Literal(path.relative_to(REPO).as_posix())
    found = [
        s for s in g.subjects(DCTERMS.identifier, ident) if (s, RDF.type, SH.SPARQLExecutable) in g
    ]
    assert len(found) == 1, f"{ident}: {len(found)} executables"
    return found[0]  # type: ignore[return-value]


# --- the catalogue graph, from the files --------------------------------------------------


def test_every_query_file_is_found() -> None:
    folders = {p.parent.name for p in FILES}
    assert {"cq", "checks", "derive", "verify", "trace"} <= folders
    assert len(FILES) >= 25


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(QUERIES).as_posix())
def test_each_file_is_one_executable_with_its_text(catalogue: rdflib.Graph, path: Path) -> None:
    query = read_query(path)
    iri = _executable(catalogue, path)
    assert iri == query_iri(DEFAULT_BASE, path.relative_to(QUERIES).as_posix())
    form = query_form(query.text)
    texts = [o for p in TEXT.values() for o in catalogue.objects(iri, p)]
    assert texts == [Literal(split_header(query.text)[1])], "one text, the file's query"
    # nothing but the comment header is left out, and the header is published as RDF
    header, body = split_header(query.text)
    assert header + body == query.text and body.strip()
    assert all(not line.strip() or line.lstrip().startswith("#") for line in header.splitlines())
    assert body.lstrip()[0] != "#"
    assert (iri, TEXT[form], None) in catalogue
    if form in FORM_CLASS:
        assert (iri, RDF.type, FORM_CLASS[form]) in catalogue
    h = parse_header(query.text)
    assert set(catalogue.objects(iri, RDFS.label)) == {Literal(h["title"], lang="en")}
    assert set(catalogue.objects(iri, RDFS.comment)) == {Literal(h["question"], lang="en")}
    keywords = {k.strip() for k in h.get("keywords", "").split(",") if k.strip()}
    assert {str(k) for k in catalogue.objects(iri, SCHEMA.keywords)} == keywords
    assert set(catalogue.objects(iri, SCHEMA.target)) == {URIRef(DEFAULT_BASE + "sparql")}
    assert (iri, SH.prefixes, URIRef(DEFAULT_BASE + "query/prefixes")) in catalogue


@pytest.mark.parametrize(
    "path", [p for p in FILES if read_query(p).parameters], ids=lambda p: p.stem
)
def test_declared_parameters_are_sh_parameters(catalogue: rdflib.Graph, path: Path) -> None:
    query = read_query(path)
    iri = _executable(catalogue, path)
    rows = catalogue.query(
        """SELECT ?name ?path ?optional ?order ?kind ?datatype WHERE {
             ?q sh:parameter ?p . ?p a sh:Parameter ; sh:name ?name ; sh:path ?path ;
                sh:optional ?optional ; sh:order ?order .
             OPTIONAL { ?p sh:nodeKind ?kind } OPTIONAL { ?p sh:datatype ?datatype } }
           ORDER BY ?order""",
        initNs={"sh": SH},
        initBindings={"q": iri},
    )
    found = [
        (str(r.name), r.path, r.optional.toPython(), r.kind, r.datatype)
        for r in rows  # type: ignore[union-attr]
    ]
    expected = []
    for param in query.parameters:
        kind = SH.IRI if param.type == "iri" else None
        datatype = None if param.type == "iri" else rdflib.XSD[param.type]
        expected.append((param.name, URIRef(f"{iri}#{param.name}"), param.optional, kind, datatype))
    assert found == expected


def test_prefixes_are_declared_as_shacl_does(catalogue: rdflib.Graph) -> None:
    rows = catalogue.query(
        "SELECT ?prefix ?ns WHERE { ?x sh:declare [ sh:prefix ?prefix ; sh:namespace ?ns ] }",
        initNs={"sh": SH},
    )
    declared = {str(r.prefix): r.ns for r in rows}  # type: ignore[union-attr]
    assert declared == {p: Literal(ns, datatype=rdflib.XSD.anyURI) for p, ns in PREFIXES.items()}
    rebased = _graph(catalogue_triples(QUERIES, "http://127.0.0.1:8123/"))
    ids = rebased.value(predicate=SH.prefix, object=Literal("id"))
    assert str(rebased.value(ids, SH.namespace)) == "http://127.0.0.1:8123/id/"
    assert all(
        str(s).startswith("http://127.0.0.1:8123/query/")
        for s in rebased.subjects(RDF.type, SH.SPARQLExecutable)
    )


def test_catalogue_conforms_to_the_sparql_examples_shape(catalogue: rdflib.Graph) -> None:
    shapes = rdflib.Graph().parse(SIB_SHAPE, format="turtle")
    conforms, _, text = shacl_validate(catalogue, shacl_graph=shapes)
    assert conforms, text
    # the shape can fail: a query without its question does not conform
    broken = rdflib.Graph() + catalogue
    first = sorted(broken.subjects(RDF.type, SH.SPARQLExecutable))[0]
    broken.remove((first, RDFS.comment, None))
    assert not shacl_validate(broken, shacl_graph=shapes)[0]


def _copy_queries(tmp_path: Path) -> Path:
    queries = tmp_path / "queries"
    shutil.copytree(QUERIES, queries)
    return queries


@pytest.mark.parametrize("missing", ["title", "question"])
def test_a_query_without_its_header_is_refused_naming_the_file(
    tmp_path: Path, missing: str
) -> None:
    queries = _copy_queries(tmp_path)
    bad = queries / "cq" / "drivers.rq"
    bad.write_text(
        "".join(
            line
            for line in bad.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith(f"# {missing}:")
        ),
        encoding="utf-8",
    )
    with pytest.raises(QueryError, match=rf"{bad}: no '# {missing}:' header line"):
        catalogue_triples(queries, DEFAULT_BASE)


def test_a_file_name_that_cannot_be_an_iri_is_refused(tmp_path: Path) -> None:
    queries = _copy_queries(tmp_path)
    shutil.copy(queries / "cq" / "drivers.rq", queries / "cq" / "Drivers Copy.rq")
    with pytest.raises(QueryError, match="Drivers Copy.rq: a catalogue query's folder and file"):
        catalogue_triples(queries, DEFAULT_BASE)


def test_build_with_a_headerless_query_exits_2_and_keeps_dist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = _copy_queries(tmp_path)
    (queries / "scratch").mkdir()  # any folder under queries/ is in the catalogue
    bad = queries / "scratch" / "no-header.rq"
    bad.write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    monkeypatch.setattr(options, "project", lambda *_: Project(queries_dir=queries))
    out = tmp_path / "dist"
    out.mkdir()
    (out / "keep.txt").write_text("previous build", encoding="utf-8")
    result = CliRunner().invoke(app, ["build", "--no-reason", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "no-header.rq: no '# title:' header line" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert (out / "keep.txt").read_text(encoding="utf-8") == "previous build"


# --- in the build: dumps, endpoint, VoID, pages --------------------------------------------


def test_the_dump_round_trips_the_catalogue_graph(dist: Path, catalogue: rdflib.Graph) -> None:
    for dump, fmt in ((dist / "govsm.nq", "nquads"), (dist / "site/dumps/govsm.trig", "trig")):
        ds = rdflib.Dataset()
        ds.parse(dump, format=fmt)
        named = ds.graph(URIRef(catalogue_graph_iri(DEFAULT_BASE)))
        assert isomorphic(_graph(list(named)), catalogue), dump
        # in its own graph only: validation and derivation sources never hold it
        others = [
            g.identifier
            for g in ds.graphs()
            if g.identifier != named.identifier and (None, RDF.type, SH.SPARQLExecutable) in g
        ]
        assert not others, others


def test_each_published_query_text_runs_on_pyoxigraph(dist: Path) -> None:
    store = ox.Store()
    store.load(path=str(dist / "govsm.nq"), format=ox.RdfFormat.N_QUADS)
    texts = store.query(
        "PREFIX sh: <http://www.w3.org/ns/shacl#> "
        "SELECT ?q ?text WHERE { ?q a sh:SPARQLExecutable ; sh:select|sh:construct|sh:ask ?text }",
        use_default_graph_as_union=True,
    )
    ran = 0
    for row in texts:
        result = store.query(row["text"].value, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            list(result)
        ran += 1
    assert ran == len(FILES)


@pytest.fixture(scope="module")
def service(dist: Path) -> Iterator[SparqlService]:
    with service_over(dist, workers=1, timeout_s=20) as svc:
        yield svc


def test_the_endpoint_lists_the_catalogue(dist: Path, service: SparqlService) -> None:
    query = """PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <https://schema.org/>
SELECT ?q ?c ?target (GROUP_CONCAT(?k; separator="|") AS ?keywords)
WHERE { ?q a sh:SPARQLExecutable ; rdfs:comment ?c ; schema:target ?target .
        OPTIONAL { ?q schema:keywords ?k } }
GROUP BY ?q ?c ?target"""
    with TestClient(make_app(dist / "site", service=service)) as client:
        answer = client.post(
            "/sparql",
            content=query,
            headers={
                "Content-Type": "application/sparql-query",
                "Accept": "application/sparql-results+json",
            },
        )
    assert answer.status_code == 200, answer.text
    rows = {b["q"]["value"]: b for b in answer.json()["results"]["bindings"]}
    assert len(rows) == len(FILES)
    for path in FILES:
        h = read_query(path).header
        row = rows[str(query_iri(DEFAULT_BASE, path.relative_to(QUERIES).as_posix()))]
        assert row["c"]["value"] == h["question"] and row["c"]["xml:lang"] == "en"
        assert row["target"]["value"] == DEFAULT_BASE + "sparql"
        keywords = {k.strip() for k in h.get("keywords", "").split(",") if k.strip()}
        assert set(filter(None, row["keywords"]["value"].split("|"))) == keywords


def test_void_links_the_catalogue_graph(dist: Path) -> None:
    void = rdflib.Graph().parse(dist / "site" / "dataset.ttl", format="turtle")
    dataset = URIRef(DEFAULT_BASE + "dataset")
    subsets = [s for s in void.objects(dataset, VOID.subset) if (s, SD.name, None) in void]
    assert len(subsets) == 1
    part = subsets[0]
    assert void.value(part, SD.name) == URIRef(catalogue_graph_iri(DEFAULT_BASE))
    assert (part, RDF.type, VOID.Dataset) in void
    assert void.value(part, VOID.entities).toPython() == len(FILES)  # type: ignore[union-attr]
    assert void.value(part, VOID.sparqlEndpoint) == URIRef(DEFAULT_BASE + "sparql")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(QUERIES).as_posix())
def test_each_query_iri_dereferences(dist: Path, path: Path) -> None:
    relative = path.relative_to(QUERIES).as_posix()
    iri = query_iri(DEFAULT_BASE, relative)
    local = "/" + iri[len(DEFAULT_BASE) :]
    client = TestClient(make_app(dist / "site", DEFAULT_BASE), follow_redirects=False)
    seen = client.get(local, headers={"Accept": "text/turtle"})
    assert seen.status_code == 303 and seen.headers["location"].endswith(local + ".ttl")
    doc = client.get(seen.headers["location"])
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=doc.text, format="turtle")
    text = split_header(read_query(path).text)[1]
    assert (iri, TEXT[query_form(text)], Literal(text)) in g
    page = client.get(local + ".html")
    assert page.status_code == 200
    assert "<h2>SPARQL query</h2>" in page.text
    for param in read_query(path).parameters:  # the fragment IRIs of sh:path land here
        assert f'id="{param.name}"' in page.text
