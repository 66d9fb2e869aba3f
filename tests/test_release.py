"""``govsm release VERSION`` on the miniature fixture: RDFC-1.0 N-Quads, SHA256SUMS,
refusals, byte-identical releases."""

from __future__ import annotations

import datetime
import hashlib
import shutil
from importlib import metadata
from pathlib import Path

import pyoxigraph as ox
import pytest
from rocrate.rocrate import ROCrate
from starlette.testclient import TestClient
from typer.testing import CliRunner

from kg.build import release as release_module
from kg.build.release import SUMS, ReleaseError, check_version, release_date
from kg.cli import exits
from kg.cli.app import app
from kg.prefixes import DEFAULT_BASE, ONTOLOGY_IRI, PREFIXES
from kg.rdf.canon import rdfc10_nquads
from kg.web.server import make_app

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline"
runner = CliRunner()
OWL_VERSION_IRI = PREFIXES["owl"] + "versionIRI"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z: the release date comes from it, not the clock
REVIEW = """@prefix govsm: <https://w3id.org/govsm/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/govsm/id/review/mini> a govsm:Review ;
    dcterms:title "A miniature review for release tests"@en ;
    dcterms:creator <https://w3id.org/govsm/id/person/mini-b> ,
        <https://w3id.org/govsm/id/person/mini-a> .
<https://w3id.org/govsm/id/person/mini-a> foaf:name "Ada Mini" .
<https://w3id.org/govsm/id/person/mini-b> rdfs:label "Author B"@en .
"""


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    """A private project folder: a copy of the miniature review."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURE, target)
    return target


def release(project: Path, version: str, *extra: str) -> Path:
    """Run ``govsm release VERSION --no-reason --project PROJECT``; the release folder."""
    args = ["release", version, "--no-reason", "--project", str(project), *extra]
    result = runner.invoke(app, args, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == exits.OK, result.output
    return project / "dist" / "releases" / version


def contents(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``: its bytes by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_release_nquads_are_rdfc10_of_the_parsed_dataset(mini: Path) -> None:
    """The acceptance point: the N-Quads equal RDFC-1.0 of themselves parsed (and so of
    the build's dataset, which they parse back to), with the standard's labels."""
    folder = release(mini, "0.1.0")
    text = (folder / "govsm.nq").read_text(encoding="utf-8")
    assert "_:c14n0 " in text, "the fixture has blank nodes: they get RDFC-1.0 labels"
    parsed = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    assert rdfc10_nquads(parsed) == text
    built = runner.invoke(app, ["build", "--no-reason", "--project", str(mini)])
    assert built.exit_code == exits.OK, built.output
    build_nq = (mini / "dist" / "govsm.nq").read_bytes()
    assert build_nq.decode("utf-8") != text, "everyday builds keep their fast labels"
    assert rdfc10_nquads(ox.parse(build_nq, format=ox.RdfFormat.N_QUADS)) == text


def test_sha256sums_cover_and_verify_every_file(mini: Path) -> None:
    folder = release(mini, "1.2.3-rc.1")
    lines = (folder / SUMS).read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert set(listed) == files - {SUMS}
    assert {"govsm.nq", "govsm.ttl"} <= set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_two_releases_of_the_same_sources_are_byte_identical(mini: Path, tmp_path: Path) -> None:
    first = release(mini, "1.0.0")
    second = release(mini, "1.0.0", "--releases", str(tmp_path / "elsewhere"))
    names = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    assert names == sorted(
        p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file()
    )
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_an_existing_version_is_refused_and_left_whole(mini: Path) -> None:
    folder = release(mini, "0.1.0")
    before = contents(folder)
    result = runner.invoke(app, ["release", "0.1.0", "--no-reason", "--project", str(mini)])
    assert result.exit_code == exits.USAGE
    assert "exists already" in result.output
    assert contents(folder) == before


@pytest.mark.parametrize("version", ["v1.0.0", "1.0", "01.0.0", "1.0.0-", "1.0.0/x", "latest"])
def test_a_version_that_is_not_semantic_is_refused(mini: Path, version: str) -> None:
    with pytest.raises(ReleaseError):
        check_version(version)
    result = runner.invoke(app, ["release", version, "--no-reason", "--project", str(mini)])
    assert result.exit_code == exits.USAGE
    assert "not a semantic version" in result.output
    assert not (mini / "dist").exists(), "refused before building"


def test_a_failed_build_writes_no_release(mini: Path) -> None:
    data = next((mini / "data").rglob("*.ttl"))
    data.write_text(data.read_text(encoding="utf-8") + "\n this is not turtle", encoding="utf-8")
    result = runner.invoke(app, ["release", "0.1.0", "--no-reason", "--project", str(mini)])
    assert result.exit_code == exits.USAGE
    assert not (mini / "dist" / "releases" / "0.1.0").exists()


def test_a_build_keeps_the_releases(mini: Path) -> None:
    """govsm build replaces dist/ whole: the releases in dist/releases/ survive it."""
    folder = release(mini, "0.1.0")
    before = contents(folder)
    built = runner.invoke(app, ["build", "--no-reason", "--project", str(mini)])
    assert built.exit_code == exits.OK, built.output
    assert (mini / "dist" / "govsm.nq").is_file()
    assert contents(folder) == before


def test_the_ro_crate_describes_the_release(mini: Path) -> None:
    """ro-crate-metadata.json, read back with rocrate's reader: the dataset's name from
    the data, licence, creators, version, date, every file with its media type and
    SHA-256, and the software as the CreateAction's instrument."""
    (mini / "data" / "mini-review" / "review.ttl").write_text(REVIEW, encoding="utf-8")
    folder = release(mini, "2.0.0")
    crate = ROCrate(folder)
    root = crate.root_dataset
    assert root["name"] == "GovSM-KG: A miniature review for release tests 2.0.0"
    assert "A miniature review for release tests" in root["description"]
    assert root["version"] == "2.0.0"
    assert root["datePublished"] == "2026-01-01"
    assert root["license"].id == "https://creativecommons.org/licenses/by/4.0/"
    people = [(p.id, p.get("name")) for p in root["creator"]]
    assert people == [
        ("https://w3id.org/govsm/id/person/mini-a", "Ada Mini"),
        ("https://w3id.org/govsm/id/person/mini-b", "Author B"),
    ]
    formats = {
        "govsm.nq": "application/n-quads",
        "govsm.ttl": "text/turtle",
        "ontology/0.1.0.ttl": "text/turtle",
    }
    described = {entity.id: entity for entity in crate.data_entities}
    assert set(described) == set(formats)
    for name, media_type in formats.items():
        assert described[name]["encodingFormat"] == media_type
        assert described[name]["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (action,) = [e for e in crate.contextual_entities if e.type == "CreateAction"]
    software = action["instrument"]
    assert software.type == "SoftwareApplication"
    assert (software["name"], software["version"]) == ("govsm-kg", metadata.version("govsm-kg"))
    assert {e.id for e in action["result"]} == set(formats)
    sums = (folder / SUMS).read_text(encoding="utf-8")
    assert "  ro-crate-metadata.json\n" in sums


def test_the_date_is_the_given_one_not_the_clock() -> None:
    assert release_date("2025-02-03") == datetime.date(2025, 2, 3)
    with pytest.raises(ReleaseError):
        release_date("yesterday")


def test_the_ontology_version_iri_dereferences(mini: Path) -> None:
    """owl:versionIRI …/ontology/0.1.0 (from the ontology, not hard-coded): the site has
    its documents, govsm serve answers it by content negotiation as it does /ontology,
    and each document is the ontology's, declaring that version IRI."""
    built = runner.invoke(app, ["build", "--no-reason", "--site", "--project", str(mini)])
    assert built.exit_code == exits.OK, built.output
    site = mini / "dist" / "site"
    ontology = ox.Dataset(ox.parse(path=site / "ontology.ttl", format=ox.RdfFormat.TURTLE))
    versions = [q.object.value for q in ontology if q.predicate.value == OWL_VERSION_IRI]
    assert len(versions) == 1 and versions[0].startswith(ONTOLOGY_IRI + "/")
    path = "/" + versions[0][len(DEFAULT_BASE) :]
    client = TestClient(make_app(site, DEFAULT_BASE), follow_redirects=False)
    for accept, ext in (
        ("text/turtle", "ttl"),
        ("text/html", "html"),
        ("application/ld+json", "jsonld"),
    ):
        for where in ("/ontology", path):
            answer = client.get(where, headers={"Accept": accept})
            assert answer.status_code == 303, (where, accept)
            assert answer.headers["location"].endswith(f"{where}.{ext}")
    turtle = client.get(f"{path}.ttl")
    assert turtle.status_code == 200
    assert turtle.content == (site / "ontology.ttl").read_bytes()
    page = client.get(f"{path}.html")
    assert page.status_code == 200 and b'href="../style.css"' in page.content
    assert client.get("/ontology/9.9.9", headers={"Accept": "text/turtle"}).status_code == 404


def test_the_release_holds_the_ontology_under_its_version(mini: Path) -> None:
    """ontology/0.1.0.ttl, named after the ontology's owl:versionIRI: the triples of the
    release's ontology graphs, blank nodes and all."""
    folder = release(mini, "0.3.0")
    quads = ox.parse(path=folder / "govsm.nq", format=ox.RdfFormat.N_QUADS)
    graphs = DEFAULT_BASE + "graph/ontology/"
    expected = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in quads
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(graphs)
    }
    version = next(t.object.value for t in expected if t.predicate.value == OWL_VERSION_IRI)
    name = version[len(DEFAULT_BASE) :] + ".ttl"
    assert name == "ontology/0.1.0.ttl"
    got = ox.Dataset(
        ox.Quad(t.subject, t.predicate, t.object)
        for t in ox.parse(path=folder / name, format=ox.RdfFormat.TURTLE)
    )
    want = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in expected)
    assert len(got) == len(want) > 100
    assert rdfc10_nquads(got) == rdfc10_nquads(want)


def test_each_release_prepends_a_changelog_entry(mini: Path) -> None:
    """CHANGELOG.md beside dist/: newest entry first, dated from SOURCE_DATE_EPOCH (not
    the clock); text written by hand above and below is kept."""
    changelog = mini / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\nBy hand.\n\n## [0.0.1] - 2025-01-01\n\n- Old.\n")
    first = release(mini, "0.1.0")
    result = runner.invoke(
        app,
        ["release", "0.2.0", "--no-reason", "--project", str(mini), "--date", "2026-03-04"],
    )
    assert result.exit_code == exits.OK, result.output
    text = changelog.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## [0.2.0] - 2026-03-04",
        "## [0.1.0] - 2026-01-01",
        "## [0.0.1] - 2025-01-01",
    ]
    assert text.startswith("# Changelog\n\nBy hand.\n\n## [0.2.0]")
    digest = hashlib.sha256((first / "govsm.nq").read_bytes()).hexdigest()
    quads = len((first / "govsm.nq").read_bytes().splitlines())
    assert f"- {quads} quads (`govsm.nq`, RDFC-1.0 canonical N-Quads, SHA-256 {digest})" in text
    assert text.endswith("- Old.\n")


def test_a_dataset_rdfc10_refuses_writes_no_release(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RDFC-1.0's guard refusing the dataset (here: a limit no dataset passes) is a clear
    error, exit 2, and no release folder."""
    monkeypatch.setattr(release_module, "rdfc10_nquads", lambda data: rdfc10_nquads(data, limit=-1))
    result = runner.invoke(app, ["release", "0.1.0", "--no-reason", "--project", str(mini)])
    assert result.exit_code == exits.USAGE, result.output
    assert "cannot release" in result.output and "permute" in result.output
    assert not (mini / "dist" / "releases" / "0.1.0").exists()
