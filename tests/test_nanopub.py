"""Nanopublications (kg.build.nanopub): one per derived classification, signed with a key
made here, checked with the nanopub library's own check (nanopub-sign: trusty URI and
RSA signature); a changed triple fails it; the assertion holds exactly the
classification's triples; the CLI's paths and exit codes."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import nanopub_sign
import pyoxigraph as ox
import pytest
import rdflib
from rdflib import Dataset, URIRef
from typer.testing import CliRunner

from kg.build import pipeline
from kg.build.nanopub.keys import NanopubKeyError, generate_key, read_key
from kg.build.nanopub.make import (
    THIS,
    Graphs,
    _sign,
    _unique,
    creation_time,
    make_nanopubs,
    slug_of,
)
from kg.build.nanopub.verify import verify_folder, verify_text
from kg.cli.app import app
from kg.config import BuildOptions, Project
from kg.prefixes import ONTOLOGY_IRI, PREFIXES

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline"
ORCID = "https://orcid.org/0000-0002-1825-0097"
NP = rdflib.Namespace("http://www.nanopub.org/nschema#")
PROV = rdflib.Namespace(PREFIXES["prov"])
GOVSM = rdflib.Namespace(PREFIXES["govsm"])
DCT = rdflib.Namespace(PREFIXES["dcterms"])
runner = CliRunner()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway RSA key pair (the signing library's generator) and a second one."""
    folder = tmp_path_factory.mktemp("keys")
    mine, _ = generate_key(folder / "id_rsa")
    other, _ = generate_key(folder / "other_rsa")
    return mine, other


@pytest.fixture(scope="module")
def built(
    keys: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> pipeline.BuildResult:
    """The review built with its nanopublications (no reasoner, no site: not tested here)."""
    key = read_key(keys[0], ORCID, "Test Person")
    out = tmp_path_factory.mktemp("build") / "dist"
    options = BuildOptions(out=out, reason=False, site=False, nanopub=key)
    return pipeline.build(Project(), options)


def _files(result: pipeline.BuildResult) -> list[Path]:
    assert result.out is not None
    return sorted((result.out / "nanopubs").glob("*.trig"))


def _classifications(result: pipeline.BuildResult) -> list[str]:
    """The derived classifications of the build's derivation graphs."""
    found = set()
    for d in result.derivations:
        for s, p, o in result.loaded.engine.triples(d.graph):
            if p == rdflib.RDF.type and o == GOVSM.DerivedClassification:
                found.add(str(s))
    return sorted(found)


def _parse(path: Path) -> Dataset:
    ds = Dataset()
    ds.parse(path, format="trig")
    return ds


def _named(ds: Dataset, link: URIRef) -> URIRef:
    """The name of the assertion / provenance / pubinfo graph the head links to."""
    (graph,) = {o for _, p, o, _ in ds.quads((None, link, None, None)) if p == link}
    return graph


def _part(ds: Dataset, link: URIRef) -> rdflib.Graph:
    """The assertion / provenance / pubinfo graph of a nanopublication."""
    return ds.graph(_named(ds, link))


def _finding(result: pipeline.BuildResult, path: Path) -> str:
    """The classification a finding's nanopublication is about."""
    assertion = _part(_parse(path), NP.hasAssertion)
    (iri,) = set(assertion.subjects(rdflib.RDF.type, GOVSM.DerivedClassification))
    return str(iri)


# --- the library's own check ------------------------------------------------------------


def test_every_nanopub_verifies_with_the_library(built: pipeline.BuildResult) -> None:
    files = _files(built)
    classifications = _classifications(built)
    assert len(classifications) >= 2
    # one per classification, and the index
    assert len(files) == len(classifications) + 1
    uris = set()
    for path in files:
        checked = nanopub_sign.Nanopub(path.read_text(encoding="utf-8")).check()
        info = checked.info()
        assert info["trusty_hash"].startswith("RA"), path
        assert info["signature"], path
        assert info["uri"]["value"] == "https://w3id.org/np/" + info["trusty_hash"]
        assert info["orcid"] == ORCID
        uris.add(info["uri"]["value"])
    assert len(uris) == len(files)
    assert {_finding(built, p) for p in files if p.stem != "index"} == set(classifications)
    assert all(v.ok for v in verify_folder(built.out / "nanopubs"))  # type: ignore[operator]


def test_index_lists_every_finding(built: pipeline.BuildResult) -> None:
    files = _files(built)
    index = _parse(built.out / "nanopubs" / "index.trig")  # type: ignore[operator]
    listed = {str(o) for o in _part(index, NP.hasAssertion).objects()}
    uris = {
        nanopub_sign.Nanopub(p.read_text(encoding="utf-8")).check().info()["uri"]["value"]
        for p in files
        if p.name != "index.trig"
    }
    assert listed == uris


@pytest.mark.parametrize(
    "change",
    [
        ("direction", r"(ontology#hasDirection> <https://w3id.org/govsm/ontology#)(\w+)"),
        ("quote", r'(oa#exact> ")(\w)'),
        ("licence", r"(licenses/by/)(4\.0)"),
    ],
    ids=lambda c: c[0],
)
def test_changing_one_triple_fails_the_check(
    built: pipeline.BuildResult, tmp_path: Path, change: tuple[str, str]
) -> None:
    _, pattern = change
    path = next(p for p in _files(built) if p.name != "index.trig")
    text = path.read_text(encoding="utf-8")
    match = re.search(pattern, text)
    assert match is not None
    old = match.group(2)
    new = {"preventer": "driver", "driver": "preventer", "4.0": "3.0"}.get(old, old.swapcase())
    tampered = text[: match.start(2)] + new + text[match.end(2) :]
    assert tampered != text
    with pytest.raises(Exception, match="hash"):
        nanopub_sign.Nanopub(tampered).check()
    copy = tmp_path / "nanopubs"
    shutil.copytree(path.parent, copy)
    (copy / path.name).write_text(tampered, encoding="utf-8")
    verdicts = {v.path.name: v for v in verify_folder(copy)}
    assert not verdicts[path.name].ok
    assert all(v.ok for name, v in verdicts.items() if name != path.name)


def test_unsigned_or_other_key_is_refused(keys: tuple[Path, Path], tmp_path: Path) -> None:
    """The library passes a nanopub with neither trusty URI nor signature; verify does
    not. A valid signature by another key than the one pinned fails too."""
    unsigned = """@prefix : <http://purl.org/nanopub/temp/x#> .
    @prefix np: <http://www.nanopub.org/nschema#> .
    :Head { : a np:Nanopublication ; np:hasAssertion :assertion ;
            np:hasProvenance :provenance ; np:hasPublicationInfo :pubinfo . }
    :assertion { <http://example.org/a> <http://example.org/b> "c" . }
    :provenance { :assertion <http://www.w3.org/ns/prov#wasDerivedFrom> <http://e.org/d> . }
    :pubinfo { : <http://purl.org/dc/terms/created> "2020-01-01T00:00:00Z" . }
    """
    nanopub_sign.Nanopub(unsigned).check()  # the library alone accepts it
    assert verify_text(unsigned, tmp_path / "x.trig").problem == "no trusty URI"
    other = read_key(keys[1])
    signed = _sign("x", _example_graphs(), nanopub_sign.NpProfile(other.private_key))
    mine = keys[0].with_name(keys[0].name + ".pub").read_text(encoding="utf-8")
    theirs = keys[1].with_name(keys[1].name + ".pub").read_text(encoding="utf-8")
    assert verify_text(signed.trig, tmp_path / "x.trig").ok
    assert verify_text(signed.trig, tmp_path / "x.trig", theirs).ok
    pinned = verify_text(signed.trig, tmp_path / "x.trig", mine)
    assert pinned.problem == "signed with another key than the one given"


def _example_graphs() -> Graphs:
    """A minimal nanopublication's graphs (``THIS`` and ``this/...`` become its URIs)."""
    a = ox.NamedNode("http://example.org/a")
    return Graphs(
        [ox.Triple(a, a, ox.Literal("c"))],
        [ox.Triple(ox.NamedNode("http://purl.org/nanopub/temp/this/assertion"), a, a)],
        [ox.Triple(THIS, a, ox.Literal("2020"))],
    )


# --- what the nanopublications say -----------------------------------------------------


@functools.cache
def _dump(path: Path) -> Dataset:
    """The build's N-Quads dump read by rdflib, once per build."""
    dump = Dataset()
    dump.parse(path, format="nquads")  # type: ignore[operator]
    return dump


def _expected_assertion(result: pipeline.BuildResult, classification: str) -> set:
    """The classification's triples (its derivation graph) and, from the data graphs,
    those of what it was derived from and of their quote selectors — asked of the
    build's N-Quads dump with rdflib, not of the store the nanopubs were made from."""
    dump = _dump(result.out / "govsm.nq")
    data = " ".join(f"<{s.graph}>" for s in result.loaded.sources if s.kind == "data")
    derived = " ".join(f"<{d.graph}>" for d in result.derivations)
    query = f"""
    PREFIX prov: <{PREFIXES["prov"]}>
    PREFIX govsm: <{PREFIXES["govsm"]}>
    SELECT DISTINCT ?s ?p ?o WHERE {{
      VALUES ?d {{ {derived} }}
      VALUES ?g {{ {data} }}
      {{ GRAPH ?d {{ ?c ?p ?o }} BIND (?c AS ?s) }}
      UNION {{ GRAPH ?d {{ ?c prov:wasDerivedFrom ?s }} GRAPH ?g {{ ?s ?p ?o }} }}
      UNION {{ GRAPH ?d {{ ?c prov:wasDerivedFrom ?x }}
               GRAPH ?g {{ ?x govsm:hasQuote ?s . ?s ?p ?o }} }}
    }}"""
    rows = dump.query(query, initBindings={"c": URIRef(classification)})
    return {(r.s, r.p, r.o) for r in rows}  # type: ignore[union-attr]


def test_assertion_holds_exactly_the_classification(built: pipeline.BuildResult) -> None:
    for path in _files(built):
        if path.name == "index.trig":
            continue
        classification = _finding(built, path)
        assertion = set(_part(_parse(path), NP.hasAssertion))
        assert assertion == _expected_assertion(built, classification), path.name
        c = URIRef(classification)
        assert {p for s, p, _o in assertion if s == c} >= {
            rdflib.RDF.type,
            GOVSM.classifiedSubFactor,
            GOVSM.hasDirection,
            GOVSM.inContext,
            GOVSM.derivedByRule,
            GOVSM.supportedBy,
        }


def test_provenance_and_pubinfo(built: pipeline.BuildResult) -> None:
    path = next(p for p in _files(built) if p.name != "index.trig")
    ds = _parse(path)
    assertion_graph = _named(ds, NP.hasAssertion)
    provenance = _part(ds, NP.hasProvenance)
    sources = set(provenance.objects(assertion_graph, PROV.wasDerivedFrom))
    assertion = _part(ds, NP.hasAssertion)
    evidence = set(assertion.subjects(rdflib.RDF.type, GOVSM.EvidenceItem))
    works = {o for e in evidence for o in assertion.objects(e, GOVSM.evidenceSource)}
    assert evidence and works and evidence | works <= sources
    (activity,) = set(provenance.objects(assertion_graph, PROV.wasGeneratedBy))
    assert set(provenance.objects(activity, PROV.used)) == set(
        assertion.objects(None, GOVSM.derivedByRule)
    )
    pubinfo = _part(ds, NP.hasPublicationInfo)
    (this,) = {s for s, _, _, _ in ds.quads((None, rdflib.RDF.type, NP.Nanopublication, None))}
    assert set(pubinfo.objects(this, DCT.creator)) == {URIRef(ORCID)}
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "govsm.ttl")
    assert set(pubinfo.objects(this, DCT.license)) == set(
        ontology.objects(URIRef(ONTOLOGY_IRI), DCT.license)
    )
    (created,) = set(pubinfo.objects(this, DCT.created))
    (modified,) = set(ontology.objects(URIRef(ONTOLOGY_IRI), DCT.modified))
    assert str(created).startswith(str(modified))


def test_created_never_from_the_clock(built: pipeline.BuildResult) -> None:
    engine = built.loaded.engine
    epoch = creation_time(engine, {"SOURCE_DATE_EPOCH": "86400"})
    assert epoch.value == "1970-01-02T00:00:00Z"
    assert creation_time(engine, {}) == creation_time(engine, {})
    with pytest.raises(Exception, match="SOURCE_DATE_EPOCH"):
        creation_time(engine, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_two_builds_give_identical_files(
    built: pipeline.BuildResult, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    key = read_key(keys[0], ORCID, "Test Person")
    again = pipeline.build(
        Project(), BuildOptions(out=tmp_path / "dist", reason=False, site=False, nanopub=key)
    )
    first = {p.name: p.read_bytes() for p in _files(built)}
    second = {p.name: p.read_bytes() for p in _files(again)}
    assert first == second


# --- the key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content", ["", "not a key", "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----"]
)
def test_bad_key_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "key.pem"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NanopubKeyError, match=re.escape(str(path))):
        read_key(path)


def test_keygen_never_overwrites(tmp_path: Path) -> None:
    generate_key(tmp_path / "k")
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    with pytest.raises(NanopubKeyError, match="exists"):
        generate_key(tmp_path / "k")


# --- the command line ------------------------------------------------------------------

BUILD = [
    *("build", "--no-reason", "--no-site"),
    *("--data", str(FIXTURE / "data"), "--shapes", str(FIXTURE / "shapes")),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KEY", "PROFILE", "ORCID", "NAME"):
        monkeypatch.delenv(f"GOVSM_NANOPUB_{name}", raising=False)


@pytest.mark.usefixtures("clean_env")
def test_cli_without_a_key_writes_none(tmp_path: Path) -> None:
    result = runner.invoke(app, [*BUILD, "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "nanopub: none written (no signing key" in result.output
    assert not (tmp_path / "dist" / "nanopubs").exists()


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("case", ["garbage", "missing", "orcid-without-key", "bad-orcid"])
def test_cli_bad_key_exits_2_and_leaves_dist(
    tmp_path: Path, keys: tuple[Path, Path], case: str
) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "previous.txt").write_text("the previous build", encoding="utf-8")
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot base64!\n", encoding="utf-8")
    args = {
        "garbage": ["--nanopub-key", str(bad)],
        "missing": ["--nanopub-key", str(tmp_path / "nowhere.pem")],
        "orcid-without-key": ["--nanopub-orcid", ORCID],
        "bad-orcid": ["--nanopub-key", str(keys[0]), "--nanopub-orcid", "0000-0002"],
    }[case]
    result = runner.invoke(app, [*BUILD, "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    if case in ("garbage", "missing"):
        # the message names the file (rich may wrap a long path)
        assert Path(args[1]).name in "".join(result.output.split())
    assert sorted(p.name for p in out.iterdir()) == ["previous.txt"]


@pytest.mark.usefixtures("clean_env")
def test_cli_key_from_env_and_profile_then_verify(
    tmp_path: Path, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSM_NANOPUB_KEY", str(keys[0]))
    out = tmp_path / "dist"
    result = runner.invoke(app, [*BUILD, "--out", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted((out / "nanopubs").glob("*.trig"))
    assert len(files) >= 2 and (out / "nanopubs" / "index.trig").is_file()
    ok = runner.invoke(app, ["nanopub", "verify", str(out / "nanopubs")])
    assert ok.exit_code == 0, ok.output
    assert f"verified {len(files)} nanopublication(s)" in ok.output
    public = str(keys[0]) + ".pub"
    pinned = runner.invoke(
        app, ["nanopub", "verify", str(out / "nanopubs"), "--public-key", public]
    )
    assert pinned.exit_code == 0, pinned.output
    other = str(keys[1]) + ".pub"
    wrong = runner.invoke(app, ["nanopub", "verify", str(out / "nanopubs"), "--public-key", other])
    assert wrong.exit_code == 1, wrong.output

    # a profile.yml as the nanopub tools write it, with a key path relative to it
    monkeypatch.delenv("GOVSM_NANOPUB_KEY")
    shutil.copy(keys[0], tmp_path / "id_rsa")
    profile = tmp_path / "profile.yml"
    profile.write_text(f"orcid_id: {ORCID}\nname: Test Person\nprivate_key: id_rsa\n")
    again = tmp_path / "again"
    result = runner.invoke(app, [*BUILD, "--out", str(again), "--nanopub-profile", str(profile)])
    assert result.exit_code == 0, result.output
    creators = {
        str(o)
        for path in (files[0], again / "nanopubs" / files[0].name)
        for _, _, o, _ in _parse(path).quads((None, DCT.creator, None, None))
    }
    assert creators == {ORCID}  # from the profile; the env-var build named no creator
    assert not set(_parse(files[0]).quads((None, DCT.creator, None, None)))


def test_cli_verify_tampered_and_empty(built: pipeline.BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "nanopubs"
    shutil.copytree(built.out / "nanopubs", copy)  # type: ignore[operator]
    target = next(p for p in sorted(copy.glob("*.trig")) if p.name != "index.trig")
    text = target.read_text(encoding="utf-8")
    swapped = {"preventer": "driver", "driver": "preventer"}
    target.write_text(
        re.sub(
            r"(?<=ontology#hasDirection> <https://w3id.org/govsm/ontology#)(\w+)",
            lambda m: swapped[m.group(1)],
            text,
        ),
        encoding="utf-8",
    )
    assert target.read_text(encoding="utf-8") != text
    result = runner.invoke(app, ["nanopub", "verify", str(copy)])
    assert result.exit_code == 1, result.output
    assert target.name in " ".join(result.output.split())
    empty = runner.invoke(app, ["nanopub", "verify", str(tmp_path / "nothing")])
    assert empty.exit_code == 2, empty.output


def test_both_engines_sign_the_same_files(keys: tuple[Path, Path]) -> None:
    key = read_key(keys[0], ORCID)
    project = Project(data_dirs=(FIXTURE / "data",))
    signed = []
    for engine in ("oxigraph", "rdflib"):
        loaded, _, derivations = pipeline.load_and_derive(project, BuildOptions(engine=engine))
        signed.append([(s.slug, s.trig) for s in make_nanopubs(loaded, derivations, key)])
    assert len(signed[0]) >= 2
    assert signed[0] == signed[1]


def test_slugs_are_readable_and_unique() -> None:
    base = "https://example.org/kg/"
    taken: set[str] = set()
    iri = base + "id/classification/rule-a/ctx/sub-factor"
    assert slug_of(iri, base) == "rule-a--ctx--sub-factor"
    assert _unique("rule-a--ctx--sub-factor", taken) == "rule-a--ctx--sub-factor"
    assert _unique("rule-a--ctx--sub-factor", taken) == "rule-a--ctx--sub-factor-2"
    assert _unique("index", taken) == "index-finding"  # never an index's file name
    assert _unique("index-2", taken) == "index-2-finding"
