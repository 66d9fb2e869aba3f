"""No outbound connection from any build input or any query (issue 19).

A counting loopback listener (tests/support) stands for the network. The project the
build reads points at it wherever it can: ontology modules in Turtle, N-Triples,
RDF/XML and JSON-LD reached through the catalog, a catalog entry and an ``owl:imports``
naming listener IRIs, data with ``owl:imports`` and ``rdfs:seeAlso`` of listener IRIs,
shapes and queries with SERVICE and FROM. What can be read offline is read and the
listener sees nothing; what would need the network (a JSON-LD context named by URL, a
catalog entry that is a URL, an import the catalog does not map, a SPARQL query naming
another service or graph) or declares an XML DOCTYPE (external entities, entity bombs)
is refused at once: exit 2, the file named.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from starlette.testclient import TestClient
from support import Listener, listener, service_over
from typer.testing import CliRunner

from kg.cli.app import app
from kg.rdf.offline import parse_file
from kg.stages.ontology import load_ontology
from kg.stages.reason import _hermit, java_version
from kg.web.server import make_app

runner = CliRunner()
SETTLE_S = 0.3  # time for a connection, had one been opened, to reach the listener
REFUSAL_S = 10.0  # a refusal is immediate (the billion-laughs module took 93 s before)
needs_java = pytest.mark.skipif(java_version() is None, reason="Java (for HermiT) not installed")

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MODULE = "https://example.org/offline/module"
PROBE = "https://w3id.org/govsm/id/offline-probe/"  # the data's subjects


@pytest.fixture(scope="module")
def counting() -> Iterator[Listener]:
    """One listener for the module: every test checks it saw no connection at all."""
    with listener() as running:
        yield running


def no_connection(counting: Listener) -> None:
    time.sleep(SETTLE_S)
    assert counting.accepted == 0, f"{counting.accepted} outbound connection(s)"


# --- ontology files pointing at the listener ----------------------------------------------


def catalog(entries: dict[str, str], doctype: str = "") -> str:
    """An OASIS catalog (as Protégé writes it) mapping each IRI to ``entries[IRI]``."""
    rows = "".join(f'  <uri name="{iri}" uri="{uri}"/>\n' for iri, uri in entries.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n{rows}</catalog>\n'
    )


def root_module(iri: str, imports: list[str], extra: str = "") -> str:
    """A Turtle module ``iri`` importing ``imports``."""
    listed = "".join(f" ; <{OWL}imports> <{i}>" for i in imports)
    return f"<{iri}> a <{OWL}Ontology>{listed} .\n{extra}"


def jsonld_module(context: object, iri: str = MODULE, see: str = "") -> str:
    """A JSON-LD ontology module with ``context`` as its ``@context``."""
    doc = {"@context": context, "@id": iri, "@type": f"{OWL}Ontology"}
    if see:
        doc[f"{RDFS}seeAlso"] = {"@id": see}
    return json.dumps(doc)


def rdfxml_module(iri: str = MODULE, doctype: str = "", label: str = "x", see: str = "") -> str:
    """An RDF/XML ontology module (``doctype`` before its root element, if given)."""
    also = f'<rdfs:seeAlso rdf:resource="{see}"/>' if see else ""
    return (
        f'<?xml version="1.0"?>\n{doctype}<rdf:RDF xmlns:rdf="{RDF}" xmlns:rdfs="{RDFS}" '
        f'xmlns:owl="{OWL}"><owl:Ontology rdf:about="{iri}"><rdfs:label>{label}</rdfs:label>'
        f"{also}</owl:Ontology></rdf:RDF>\n"
    )


#: Ten entities, each ten of the one before: 10^10 characters once expanded.
LAUGHS = "".join(f'<!ENTITY {chr(98 + i)} "{f"&{chr(97 + i)};" * 10}">' for i in range(9))
BILLION_LAUGHS = f'<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa">{LAUGHS}]>\n'
ROOT = root_module("https://example.org/offline", [MODULE])
#: What OWL tools write (tests/vocab/bibo.owl): flat abbreviations, accepted.
FLAT_ENTITIES = '<!DOCTYPE rdf:RDF [<!ENTITY label "an RDF/XML module">]>\n'


def _jsonld(context: Callable[[str], object]) -> Callable[[str], dict[str, str]]:
    return lambda url: {
        "govsm.ttl": ROOT,
        "catalog-v001.xml": catalog({MODULE: "module.jsonld"}),
        "module.jsonld": jsonld_module(context(url)),
    }


def _rdfxml(doctype: Callable[[str], str], label: str) -> Callable[[str], dict[str, str]]:
    return lambda url: {
        "govsm.ttl": ROOT,
        "catalog-v001.xml": catalog({MODULE: "module.rdf"}),
        "module.rdf": rdfxml_module(MODULE, doctype(url), label),
    }


#: Ontology folders that must be refused: case -> (files for a listener URL, what the
#: refusal names).
REFUSED: dict[str, tuple[Callable[[str], dict[str, str]], str]] = {
    "jsonld-string-context": (_jsonld(lambda url: url), "module.jsonld"),
    "jsonld-array-context": (
        _jsonld(lambda url: [{"ex": "https://example.org/"}, url]),
        "module.jsonld",
    ),
    "jsonld-scoped-context": (
        _jsonld(lambda url: {"knows": {"@id": "https://example.org/knows", "@context": url}}),
        "module.jsonld",
    ),
    "jsonld-import": (_jsonld(lambda url: {"@import": url}), "module.jsonld"),
    "rdfxml-external-dtd": (
        _rdfxml(lambda url: f'<!DOCTYPE rdf:RDF SYSTEM "{url}">\n', "x"),
        "module.rdf",
    ),
    "rdfxml-external-entity": (
        _rdfxml(lambda url: f'<!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{url}">]>\n', "&e;"),
        "module.rdf",
    ),
    "rdfxml-wide-entity": (  # flat, but 20,000 references of 1,000 bytes: 20 MB
        _rdfxml(lambda url: f'<!DOCTYPE rdf:RDF [<!ENTITY w "{"w" * 1000}">]>\n', "&w;" * 20_000),
        "module.rdf",
    ),
    "rdfxml-billion-laughs": (_rdfxml(lambda url: BILLION_LAUGHS, "&j;"), "module.rdf"),
    "catalog-maps-to-a-url": (
        lambda url: {"govsm.ttl": ROOT, "catalog-v001.xml": catalog({MODULE: url})},
        "catalog-v001.xml",
    ),
    "catalog-billion-laughs": (
        lambda url: {
            "govsm.ttl": ROOT,
            "catalog-v001.xml": catalog(
                {MODULE: "module.rdf"}, BILLION_LAUGHS.replace("rdf:RDF", "catalog")
            ),
            "module.rdf": rdfxml_module(),
        },
        "catalog-v001.xml",
    ),
    "import-not-in-catalog": (
        lambda url: {
            "govsm.ttl": root_module("https://example.org/offline", [url]),
            "catalog-v001.xml": catalog({}),
        },
        "is not in",
    ),
}


def test_a_jsonld_module_reads_as_rdflib_would_read_it(tmp_path: Path) -> None:
    """JSON-LD goes through PyLD (which may fetch nothing) instead of rdflib's parser (which
    fetches): the same triples, relative IRIs resolved against the file, blank nodes,
    language tags, datatypes and lists included."""
    doc = {
        "@context": {
            "ex": "https://example.org/",
            "label": {"@id": "http://www.w3.org/2000/01/rdf-schema#label", "@language": "en"},
            "n": {"@id": "ex:n", "@type": "http://www.w3.org/2001/XMLSchema#integer"},
            "items": {"@id": "ex:items", "@container": "@list"},
        },
        "@id": "relative/thing",
        "label": "a thing",
        "n": "3",
        "items": ["x", {"@id": "ex:y"}],
        "ex:part": {"label": "a part without IRI"},
    }
    module = tmp_path / "module.jsonld"
    module.write_text(json.dumps(doc), encoding="utf-8")
    ours = parse_file(Graph(), module)
    theirs = Graph().parse(module, format="json-ld")
    assert len(ours) == len(theirs) == 9
    assert isomorphic(ours, theirs)
    assert (URIRef(module.resolve().parent.as_uri() + "/relative/thing"), None, None) in ours


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@needs_java
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_ontology_that_would_fetch_is_refused_at_once(
    tmp_path: Path, counting: Listener, case: str
) -> None:
    make, named = REFUSED[case]
    url = f"http://127.0.0.1:{counting.port}/context.jsonld"
    ontology = write(tmp_path / "ontology", make(url))
    start = time.monotonic()
    result = runner.invoke(app, ["reason", "--ontology-dir", str(ontology)])
    elapsed = time.monotonic() - start
    assert result.exit_code == 2, result.output
    assert named in result.output, result.output
    assert "refused" in result.output or "offline only" in result.output, result.output
    assert elapsed < REFUSAL_S, f"{elapsed:.1f} s to refuse"
    no_connection(counting)


# --- a whole project pointing at the listener -------------------------------------------


#: The modules the project's govsm.ttl imports, each IRI mapped by the catalog to a local
#: file: Turtle and N-Triples in ontology/, RDF/XML and JSON-LD beside it (the catalog
#: is how they are reached). One module's IRI is a listener URL: mapped, never fetched.
def offline_modules(url: str) -> dict[str, tuple[str, str]]:
    """IRI -> (path relative to ontology/, text), every module naming the listener."""
    see = f"<{RDFS}seeAlso> <{url}>"
    ttl, nt = f"{url}/turtle-module", "https://example.org/offline/nt"
    rdf, jsonld = "https://example.org/offline/rdfxml", "https://example.org/offline/jsonld"
    return {
        ttl: ("offline/turtle.ttl", root_module(ttl, [], f"<{ttl}> {see} .\n")),
        nt: ("offline/ntriples.nt", f"<{nt}> <{RDF}type> <{OWL}Ontology> .\n<{nt}> {see} .\n"),
        rdf: ("../modules/module.rdf", rdfxml_module(rdf, FLAT_ENTITIES, "&label;", url)),
        jsonld: ("../modules/module.jsonld", jsonld_module({"o": OWL}, jsonld, see=url)),
    }


def make_project(folder: Path, repo_root: Path, url: str) -> Path:
    """A new review (govsm init) with the repository's ontology, importing the modules
    of :func:`offline_modules`, and data that names the listener."""
    made = runner.invoke(app, ["init", str(folder), "--title", "Offline probe"])
    assert made.exit_code == 0, made.output
    ontology = folder / "ontology"
    shutil.copytree(repo_root / "ontology", ontology)
    modules = offline_modules(url)
    for relative, text in modules.values():
        (ontology / relative).parent.mkdir(parents=True, exist_ok=True)
        (ontology / relative).write_text(text, encoding="utf-8")
    root = (ontology / "govsm.ttl").read_text(encoding="utf-8")
    first = "owl:imports <"
    assert first in root
    imports = "".join(f"<{iri}> , " for iri in modules)
    (ontology / "govsm.ttl").write_text(root.replace(first, first[:-1] + imports + "<", 1))
    cat = (ontology / "catalog-v001.xml").read_text(encoding="utf-8")
    rows = "".join(f'<uri name="{iri}" uri="{rel}"/>' for iri, (rel, _) in modules.items())
    (ontology / "catalog-v001.xml").write_text(cat.replace("</catalog>", rows + "</catalog>"))
    data = folder / "data" / "offline-probe"
    subject = f"{PROBE}links"
    links = f"<{subject}> <{OWL}imports> <{url}/data> .\n<{subject}> <{RDFS}seeAlso> <{url}> .\n"
    (data / "links.nt").write_text(links, encoding="utf-8")
    (data / "links.ttl").write_text(links.replace("links>", "more-links>"), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, repo_root: Path, counting: Listener) -> Path:
    url = f"http://127.0.0.1:{counting.port}/probe"
    return make_project(tmp_path_factory.mktemp("offline") / "project", repo_root, url)


@pytest.fixture(scope="module")
def built(project: Path) -> Path:
    """``govsm build`` of the project (the reasoner runs where Java is installed)."""
    result = runner.invoke(
        app, ["build", "--project", str(project), "--out", str(project / "dist")]
    )
    assert result.exit_code == 0, result.output
    return project / "dist"


@needs_java
def test_the_build_reads_every_format_offline_and_refuses_a_remote_context(
    project: Path, built: Path, counting: Listener
) -> None:
    nquads = (built / "govsm.nq").read_bytes()
    assert b"offline-probe/links" in nquads  # the data naming the listener was read
    report = runner.invoke(app, ["reason", "--project", str(project)])
    assert report.exit_code == 0, report.output  # the modules were read, and consistent
    closure = load_ontology(project / "ontology")
    assert set(offline_modules(f"http://127.0.0.1:{counting.port}/probe")) <= set(closure.modules)
    assert "an RDF/XML module" in {str(o) for o in closure.graph.objects()}  # &label;
    for validator in ("fast", "pyshacl"):
        args = ["validate", "--project", str(project), "--full", "--validator", validator]
        checked = runner.invoke(app, args)
        assert checked.exit_code == 0, checked.output
    no_connection(counting)
    # the same build with a JSON-LD module that names its context by URL
    module = project / "modules" / "module.jsonld"
    kept = module.read_text(encoding="utf-8")
    url = f"http://127.0.0.1:{counting.port}/context.jsonld"
    module.write_text(jsonld_module(url, "https://example.org/offline/jsonld"))
    try:
        again = runner.invoke(app, ["build", "--project", str(project), "--out", str(built)])
    finally:
        module.write_text(kept, encoding="utf-8")
    assert again.exit_code == 2, again.output
    assert "module.jsonld" in again.output and "refused" in again.output
    assert (built / "govsm.nq").read_bytes() == nquads  # the previous build left whole
    no_connection(counting)


def test_data_in_other_formats_never_connects(
    project: Path, counting: Listener, tmp_path: Path
) -> None:
    """JSON-LD and RDF/XML data files that would fetch (a remote context) or explode (a
    billion-laughs DOCTYPE) beside the Turtle: the build reads Turtle and N-Triples
    only, and whatever it does with the others (skip them, say so, refuse them) it
    neither connects nor hangs."""
    own = shutil.copytree(project, tmp_path / "own", ignore=shutil.ignore_patterns("dist"))
    data = own / "data" / "offline-probe"
    url = f"http://127.0.0.1:{counting.port}/context.jsonld"
    (data / "remote.jsonld").write_text(jsonld_module(url, f"{PROBE}remote"))
    (data / "laughs.rdf").write_text(rdfxml_module(f"{PROBE}laughs", BILLION_LAUGHS, "&j;"))
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--no-reason", "--project", str(own)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 2), done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert time.monotonic() - start < 60
    no_connection(counting)


#: SHACL-SPARQL constraints that would reach the listener.
REMOTE_SHAPES = {
    "service": "SELECT $this WHERE {{ SERVICE <{url}> {{ $this ?p ?o }} }}",
    "from": "SELECT $this FROM <{url}> WHERE {{ $this ?p ?o }}",
}


@pytest.mark.parametrize("validator", ["fast", "pyshacl"])
@pytest.mark.parametrize("kind", sorted(REMOTE_SHAPES))
def test_shapes_that_would_fetch_are_refused(
    project: Path, repo_root: Path, counting: Listener, tmp_path: Path, validator: str, kind: str
) -> None:
    shapes = tmp_path / "shapes"
    shutil.copytree(repo_root / "shapes", shapes)
    query = REMOTE_SHAPES[kind].format(url=f"http://127.0.0.1:{counting.port}/sparql")
    (shapes / "remote.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<https://example.org/RemoteShape> a sh:NodeShape ;\n"
        f"  sh:targetSubjectsOf <{RDFS}seeAlso> ;\n"
        f'  sh:sparql [ sh:message "remote" ; sh:select """{query}""" ] .\n',
        encoding="utf-8",
    )
    args = ["validate", "--project", str(project), "--shapes", str(shapes), "--full"]
    result = runner.invoke(app, [*args, "--validator", validator])
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # the console wraps long lines
    assert "remote.ttl" in output and "RemoteShape" in output
    assert f"{kind.upper()} is not allowed" in output
    no_connection(counting)


@pytest.mark.parametrize("validator", ["fast", "pyshacl"])
def test_check_queries_that_would_fetch_are_refused(
    project: Path, repo_root: Path, counting: Listener, tmp_path: Path, validator: str
) -> None:
    """A project's own check query (queries/checks/*-violation.rq) runs on the validator's
    store directly, not through an engine's guard: refused when the checks are read."""
    own = shutil.copytree(project, tmp_path / "project", ignore=shutil.ignore_patterns("dist"))
    shutil.copytree(repo_root / "queries", own / "queries")
    url = f"http://127.0.0.1:{counting.port}/sparql"
    (own / "queries" / "checks" / "remote-violation.rq").write_text(
        f"# title: remote\nSELECT ?focus WHERE {{ SERVICE <{url}> {{ ?focus ?p ?o }} }}\n"
    )
    args = ["validate", "--project", str(own), "--full", "--validator", validator]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "remote-violation.rq" in output and "SERVICE is not allowed" in output
    no_connection(counting)


#: Query texts naming the listener: as a service, a graph to load, a resource to describe.
REMOTE_QUERIES = {
    "service": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "from": "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "from-named": "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
@pytest.mark.parametrize("kind", sorted(REMOTE_QUERIES))
def test_govsm_query_never_connects(
    project: Path, counting: Listener, tmp_path: Path, engine: str, kind: str
) -> None:
    query = tmp_path / "remote.rq"
    query.write_text(REMOTE_QUERIES[kind].format(url=f"http://127.0.0.1:{counting.port}/x"))
    args = ["query", str(query), "--project", str(project), "--engine", engine]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "is not allowed" in result.output
    no_connection(counting)


def test_describing_a_listener_iri_over_sparql_never_connects(
    built: Path, counting: Listener
) -> None:
    """The listener's IRIs are in the data (rdfs:seeAlso, owl:imports): DESCRIBE and a
    protocol dataset naming them answer from the store, or refuse, and never fetch."""
    url = f"http://127.0.0.1:{counting.port}/probe"
    with (
        service_over(built, workers=1) as service,
        TestClient(make_app(built / "site", service=service)) as client,
    ):
        described = client.get("/sparql", params={"query": f"DESCRIBE <{url}/data>"})
        assert described.status_code == 200, described.text
        linked = client.get(
            "/sparql",
            params={"query": f"SELECT ?s WHERE {{ ?s ?p <{url}> }}"},
            headers={"accept": "application/sparql-results+json"},
        )
        assert linked.status_code == 200, linked.text
        found = {row["s"]["value"] for row in linked.json()["results"]["bindings"]}
        assert {f"{PROBE}links", f"{PROBE}more-links"} <= found
        for key in ("default-graph-uri", "named-graph-uri"):
            refused = client.get("/sparql", params={"query": "ASK {}", key: url})
            assert refused.status_code == 400, refused.text
    no_connection(counting)


def test_importing_files_that_name_the_listener_never_connects(
    project: Path, counting: Listener, tmp_path: Path
) -> None:
    """A .qdpx and a .qdc whose XML declares an external entity at the listener are
    refused (exit 2, nothing written); references naming it as a URL are data."""
    project = shutil.copytree(project, tmp_path / "own", ignore=shutil.ignore_patterns("dist"))
    url = f"http://127.0.0.1:{counting.port}/entity"
    xxe = f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "{url}">]>'
    qdpx = tmp_path / "xxe.qdpx"
    with zipfile.ZipFile(qdpx, "w") as archive:
        archive.writestr(
            "project.qde", xxe + '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
        )
    qdc = tmp_path / "xxe.qdc"
    qdc.write_text(
        xxe.replace("Project", "CodeBook") + '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'
    )
    for hostile in (qdpx, qdc):
        result = runner.invoke(app, ["import", str(hostile), "--project", str(project)])
        assert result.exit_code == 2, result.output
        assert hostile.name in result.output and "DOCTYPE" in result.output
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{probe2024, title={Offline}, author={Doe, Jane}, year={2024},"
        f" journal={{J}}, url={{{url}}}, doi={{10.1234/probe}}}}\n"
    )
    imported = runner.invoke(app, ["import", str(bib), "--project", str(project)])
    assert imported.exit_code == 0, imported.output
    no_connection(counting)


@needs_java
def test_hermit_would_follow_an_import_left_in_its_input(tmp_path: Path) -> None:
    """Control: HermiT (the OWL API under it) does fetch an ``owl:imports`` IRI, so the
    reasoner's input must have none (kg.stages.ontology.owl_view drops them; the build
    test above shows the listener untouched with the reasoner running)."""
    with listener() as own:
        nt = tmp_path / "closure.nt"
        nt.write_text(
            f"<{MODULE}> <{RDF}type> <{OWL}Ontology> .\n"
            f"<{MODULE}> <{OWL}imports> <http://127.0.0.1:{own.port}/imported> .\n"
        )
        _hermit(nt, classify=False)
        time.sleep(SETTLE_S)
        assert own.accepted >= 1
