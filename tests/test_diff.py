"""`govsm diff` (kg.stages.diff), issue 18's scenario: between the review's build and a
build of its data with one quote changed, one study removed and one context assessment
flipped, the diff names exactly those changes and the classification they moved — as
text, CSV and RDF."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import rdflib
from support import built_dist
from typer.testing import CliRunner

from kg.build import pipeline
from kg.cli.app import app
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, PREFIXES
from kg.stages.diff import _version_key, diff, read_side, release_history

REPO = Path(__file__).resolve().parents[1]
REVIEW = REPO / "data" / "social-media-service-delivery"
ID = DEFAULT_BASE + "id/"
QUOTE = ID + "evidence/gregory-2016-trust/quote"
OLD_WORDS = "the findings suggested that the use of social media"
NEW_WORDS = "the findings hinted that the use of social media"
STUDY = ID + "study/gilpin-2010"
ASSESSMENT = ID + "assessment/iran/citizen-experience"
CLASSIFICATION = ID + "classification/classification-from-assessment/iran/citizen-experience"
runner = CliRunner()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path.name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _without_study(path: Path) -> None:
    """references.ttl without the study's block and its entry in the review's list."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"<{STUDY}>\n")
    end = text.index("\n\n", start) + 2
    text = text[:start] + text[end:]
    entry = f"        <{STUDY}> ,\n"
    assert text.count(entry) == 1
    path.write_text(text.replace(entry, ""), encoding="utf-8")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    old = built_dist(tmp_path_factory)
    root = tmp_path_factory.mktemp("changed")
    data = root / "data" / REVIEW.name
    shutil.copytree(REVIEW, data)
    _edit(data / "evidence.ttl", f'oa:exact "{OLD_WORDS}', f'oa:exact "{NEW_WORDS}')
    _without_study(data / "references.ttl")
    flipped = f"<{ASSESSMENT}>"
    text = (data / "context.ttl").read_text(encoding="utf-8")
    start = text.index(flipped)
    at = text.index("govsm:conditionMet", start)
    (data / "context.ttl").write_text(
        text[:at] + "govsm:conditionNotMet" + text[at + len("govsm:conditionMet") :],
        encoding="utf-8",
    )
    # the review's reported table flipped with it, so that the build verifies (reported
    # classifications are not among what a diff compares)
    reported = data / "reported.ttl"
    text = reported.read_text(encoding="utf-8")
    start = text.index(f"<{ID}reported/social-media-service-delivery/iran/citizen-experience>")
    at = text.index("govsm:hasDirection govsm:driver", start)
    reported.write_text(
        text[:at] + "govsm:hasDirection govsm:preventer" + text[at + 31 :], encoding="utf-8"
    )
    new = root / "dist"
    pipeline.build(Project(data_dirs=(root / "data",)), BuildOptions(out=new, reason=False))
    return old, new


def test_the_diff_names_exactly_the_changes_and_the_classification_moved(
    builds: tuple[Path, Path],
) -> None:
    changes = diff(*(read_side(p) for p in builds))
    assert {(c.kind, c.change, c.iri) for c in changes} == {
        ("quote", "changed", QUOTE),
        ("study", "removed", STUDY),
        ("context assessment", "changed", ASSESSMENT),
        ("classification", "changed", CLASSIFICATION),
    }
    details = {c.iri: c.detail for c in changes}
    assert OLD_WORDS in details[QUOTE] and NEW_WORDS in details[QUOTE]
    assert (
        details[ASSESSMENT] == "govsm:conditionStatus: govsm:conditionMet -> govsm:conditionNotMet"
    )
    assert details[CLASSIFICATION] == "govsm:hasDirection: govsm:driver -> govsm:preventer"
    removed = next(c for c in changes if c.change == "removed")
    assert removed.label.startswith("Organizational image construction")


def test_a_build_against_itself_has_no_change(builds: tuple[Path, Path]) -> None:
    old, _ = builds
    assert diff(read_side(old), read_side(old / "govsm.nq")) == []
    result = runner.invoke(app, ["diff", str(old), str(old)])
    assert result.exit_code == 0 and "no change" in result.output


def test_text_csv_and_rdf_say_the_same(builds: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = (str(p) for p in builds)
    text = runner.invoke(app, ["diff", old, new])
    assert text.exit_code == 0, text.output
    assert "study: 1 removed" in text.output and "classification: 1 changed" in text.output
    out = tmp_path / "changes.csv"
    assert runner.invoke(app, ["diff", old, new, "--format", "csv", "-o", str(out)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {(r["kind"], r["change"], r["iri"]) for r in rows} == {
        ("quote", "changed", QUOTE),
        ("study", "removed", STUDY),
        ("context assessment", "changed", ASSESSMENT),
        ("classification", "changed", CLASSIFICATION),
    }
    ttl = runner.invoke(app, ["diff", old, new, "--format", "ttl"])
    assert ttl.exit_code == 0, ttl.output
    graph = rdflib.Graph().parse(data=ttl.output, format="turtle")
    schema = rdflib.Namespace(PREFIXES["schema"])
    objects = {str(o) for o in graph.objects(None, schema.object)}
    assert objects == {QUOTE, STUDY, ASSESSMENT, CLASSIFICATION}
    assert set(graph.subjects(rdflib.RDF.type, schema.DeleteAction)) == set(
        graph.subjects(schema.object, rdflib.URIRef(STUDY))
    )


def test_a_side_that_is_not_a_build_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2 and "no govsm.nq" in result.output
    (tmp_path / "govsm.nq").write_text("not n-quads\n", encoding="utf-8")
    result = runner.invoke(app, ["diff", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2 and "not N-Quads" in result.output
    assert "Traceback" not in result.output


def test_the_dataset_page_lists_the_releases_with_their_changes(
    builds: tuple[Path, Path], tmp_path: Path
) -> None:
    """The site's version history: dataset.html lists the releases of the output folder,
    newest first, each with its date and its diff from the one before."""
    old, new = builds
    out = tmp_path / "dist"
    for version, build in (("0.1.0", old), ("0.2.0", new)):
        folder = out / "releases" / version
        folder.mkdir(parents=True)
        shutil.copy(build / "govsm.nq", folder / "govsm.nq")
    crate = {"@graph": [{"@id": "./", "datePublished": "2026-12-03"}]}
    (out / "releases" / "0.2.0" / "ro-crate-metadata.json").write_text(json.dumps(crate))
    history = release_history(out / "releases")
    assert [(r.version, r.date) for r in history] == [("0.2.0", "2026-12-03"), ("0.1.0", None)]
    assert history[1].changes == "first release"
    assert history[0].changes == (
        "study: 1 removed; quote: 1 changed; context assessment: 1 changed; "
        "classification: 1 changed"
    )
    pipeline.build(Project(), BuildOptions(out=out, reason=False))
    page = (out / "site" / "dataset.html").read_text(encoding="utf-8")
    assert "<strong>0.2.0</strong> (2026-12-03): study: 1 removed;" in page
    assert "<strong>0.1.0</strong>: first release" in page
    assert (out / "releases" / "0.1.0" / "govsm.nq").is_file()  # the build kept them


def test_versions_are_ordered_as_versions() -> None:
    versions = ["1.0.0", "0.10.0", "1.0.0-rc.1", "0.9.0"]
    assert sorted(versions, key=_version_key) == ["0.9.0", "0.10.0", "1.0.0-rc.1", "1.0.0"]
