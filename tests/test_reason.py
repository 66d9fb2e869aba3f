"""Reasoning stage: HermiT consistency and satisfiability of the ontology and examples."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from kg.background import in_background
from kg.stages.reason import Cancelled, ReasonReport, Stopper, java_version, reason, render

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology"
FIXTURES = REPO / "tests" / "fixtures"
EXAMPLES = sorted((FIXTURES / "examples").glob("*.ttl"))
# The pinned external vocabularies HermiT is run with in full. SEPIO is left out:
# HermiT took 493 s to classify SEPIO with the GovSM core alone (and reports
# prov:SoftwareAgent unsatisfiable inside SEPIO), far beyond the test budget;
# GovSM only maps to it with skos:closeMatch. The CPSV-AP SHACL shapes and example
# are not vocabularies.
FULL_VOCABULARIES = (
    "prov-o.ttl",
    "skos.rdf",
    "dublin_core_terms.ttl",
    "bibo.owl",
    "fabio.ttl",
    "cito.ttl",
    "oa.ttl",
    "dcat3.ttl",
    "cpsv-ap-3.2.0.ttl",
    "cpov-2.1.2.ttl",
    "org.ttl",
    "schemaorg-current-https.ttl",
    "sioc.ttl",
)

needs_java = pytest.mark.skipif(java_version() is None, reason="Java (for HermiT) not installed")


def _assert_clean(report: ReasonReport) -> None:
    assert report.java is not None
    assert report.consistent, report.message
    assert report.unsatisfiable == [], report.unsatisfiable
    assert report.ok


@needs_java
def test_ontology_with_alignments_and_import_modules_is_consistent() -> None:
    report = reason(ONTOLOGY)
    _assert_clean(report)


@needs_java
def test_ontology_with_full_pinned_vocabularies_examples_and_data(vocab_dir: Path) -> None:
    """(b): the FULL external vocabularies, plus every example and the review's data."""
    vocab = [vocab_dir / name for name in FULL_VOCABULARIES]
    data = sorted((REPO / "data").glob("*/*.ttl"))
    report = reason(ONTOLOGY, extra_files=vocab, abox_files=[*EXAMPLES, *data])
    _assert_clean(report)


@needs_java
@pytest.mark.skipif(
    os.environ.get("GOVSM_SLOW_TESTS") != "1",
    reason="SEPIO with HermiT takes about 3 minutes (measured 179 s); set GOVSM_SLOW_TESTS=1",
)
def test_ontology_with_every_pinned_vocabulary_including_sepio_is_consistent(
    vocab_dir: Path,
) -> None:
    """Each of our classes satisfiable (hence consistent) with SEPIO too: classifying
    all of SEPIO took 493 s and more, so only our own classes are checked."""
    vocab = [vocab_dir / name for name in (*FULL_VOCABULARIES, "sepio.owl")]
    report = reason(ONTOLOGY, extra_files=vocab, classify=False, own_classes=True)
    _assert_clean(report)
    assert "own" in report.message and "classes satisfiable" in report.message


@needs_java
def test_own_class_mode_finds_an_unsatisfiable_own_class() -> None:
    """The per-class mode reports an unsatisfiable class of ours (fast, no SEPIO)."""
    fixture = FIXTURES / "reasoning" / "unsatisfiable-own-class.ttl"
    report = reason(ONTOLOGY, extra_files=[fixture], classify=False, own_classes=True)
    assert report.consistent
    assert [iri for iri, _ in report.unsatisfiable] == ["https://w3id.org/govsm/ontology#Study"]
    assert not report.ok


@needs_java
def test_own_class_mode_passes_on_the_ontology() -> None:
    report = reason(ONTOLOGY, classify=False, own_classes=True)
    _assert_clean(report)


@needs_java
def test_unsatisfiable_class_is_reported_by_iri_and_label() -> None:
    report = reason(ONTOLOGY, extra_files=[FIXTURES / "reasoning" / "unsatisfiable-class.ttl"])
    assert report.consistent
    assert report.unsatisfiable == [
        ("https://w3id.org/govsm/ontology/test#ProcessThatIsAPlan", "process that is a plan")
    ]
    assert not report.ok
    text = render(report)
    assert "FAILED" in text and "ProcessThatIsAPlan" in text and "process that is a plan" in text


@needs_java
def test_inconsistent_abox_is_reported() -> None:
    report = reason(ONTOLOGY, abox_files=[FIXTURES / "reasoning" / "inconsistent-abox.ttl"])
    assert not report.consistent and not report.ok
    assert "inconsistent" in report.message


@needs_java
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_each_example_reasons_cleanly(example: Path) -> None:
    _assert_clean(reason(ONTOLOGY, abox_files=[example]))


def test_examples_cover_every_requirement() -> None:
    stems = {p.stem for p in EXAMPLES}
    assert {
        "review-method",
        "appraisal-glynn",
        "evidence-quote",
        "context-assessment",
        "classifications",
        "public-service",
        "citation",
    } <= stems


@needs_java
def test_a_stopped_run_kills_hermit_and_raises_cancelled() -> None:
    stopper = Stopper()
    run = in_background(reason, ONTOLOGY, stopper=stopper)
    deadline = time.monotonic() + 60
    while stopper._process is None and not run.done() and time.monotonic() < deadline:
        time.sleep(0.01)
    process = stopper._process
    assert process is not None, "HermiT did not start"
    stopper.stop()
    with pytest.raises(Cancelled):
        run.result(timeout=60)
    assert process.poll() is not None


@needs_java
def test_a_run_stopped_before_hermit_never_starts_it() -> None:
    stopper = Stopper()
    stopper.stop()
    with pytest.raises(Cancelled):
        reason(ONTOLOGY, stopper=stopper)
    assert stopper._process is None


@needs_java
def test_low_priority_runs_hermit_under_nice(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []
    popen = subprocess.Popen

    def record(command: list[str], **kwargs: object) -> subprocess.Popen[str]:
        commands.append(command)
        return popen(command, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", record)
    assert reason(ONTOLOGY, stopper=Stopper(low_priority=True)).ok
    assert reason(ONTOLOGY).ok
    hermit = [c for c in commands if "org.semanticweb.HermiT.cli.CommandLine" in c]
    assert len(hermit) == 2
    assert Path(hermit[0][0]).name == "nice" and hermit[0][1:3] == ["-n", "15"]
    assert Path(hermit[1][0]).name != "nice"


def test_missing_java_gives_one_line_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import owlready2

    monkeypatch.setattr(owlready2, "JAVA_EXE", "/nonexistent/java-for-test")
    report = reason(ONTOLOGY)
    assert report.java is None and not report.ok
    text = render(report)
    assert "\n" not in text
    assert "Java" in text and "apt-get install default-jre-headless" in text


def test_missing_import_is_reported_not_fetched(tmp_path: Path) -> None:
    (tmp_path / "govsm.ttl").write_text(
        "<https://w3id.org/govsm/ontology> a <http://www.w3.org/2002/07/owl#Ontology> ;"
        " <http://www.w3.org/2002/07/owl#imports> <http://example.org/elsewhere> .\n"
    )
    if java_version() is None:
        pytest.skip("Java (for HermiT) not installed")
    report = reason(tmp_path)
    assert not report.ok and "http://example.org/elsewhere" in report.message


@needs_java
def test_cli_exit_codes() -> None:
    from typer.testing import CliRunner

    from kg.cli.app import app

    runner = CliRunner()
    assert runner.invoke(app, ["reason", "--ontology-dir", str(ONTOLOGY)]).exit_code == 0
    bad = runner.invoke(
        app,
        [
            "reason",
            "--ontology-dir",
            str(ONTOLOGY),
            "--extra",
            str(FIXTURES / "reasoning" / "unsatisfiable-class.ttl"),
        ],
    )
    assert bad.exit_code == 1 and "ProcessThatIsAPlan" in bad.output


def test_examples_conform_to_the_shapes(repo_root: Path, tmp_path: Path) -> None:
    """The examples, over the review's data (minus its context assessments, which the
    example assessment would duplicate), conform to the SHACL shapes. The dataset-level
    completeness check queries are not run: the examples are fragments."""
    from support.projects import validate_files

    data = [p for p in sorted((repo_root / "data").glob("*/*.ttl")) if p.name != "context.ttl"]
    report = validate_files(tmp_path, *data, *EXAMPLES, ontology=ONTOLOGY, checks=False)
    assert report.conforms, "\n".join(
        f"{r.shape} {r.focus} {r.path}: {r.message}" for r in report.violations
    )
