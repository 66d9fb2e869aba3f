"""The build pipeline on the miniature fixture: exit codes, atomic output, determinism."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build import pipeline, schedule
from kg.build.atomic import atomic_folder
from kg.cli.app import app
from kg.config import BuildOptions, ConfigError, Project
from kg.rdf.load import ParseError, load
from kg.stages.reason import Cancelled

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline"
runner = CliRunner()


@pytest.fixture()
def mini(tmp_path: Path) -> Path:
    """A private copy of the miniature review (data/ and shapes/), safe to break."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURE, target)
    return target


def build_args(mini: Path, out: Path, *extra: str) -> list[str]:
    return [
        "build", "--no-reason", "--data", str(mini / "data"), "--shapes", str(mini / "shapes"),
        "--out", str(out), *extra,
    ]  # fmt: skip


def previous_dist(tmp_path: Path) -> Path:
    """A dist/ from an earlier build, to show that failures leave it whole."""
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "govsm.nq").write_text("previous\n")
    return dist


def assert_untouched(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == ["govsm.nq"]
    assert (dist / "govsm.nq").read_text() == "previous\n"
    leftovers = [p.name for p in dist.parent.iterdir() if p.name.startswith(".dist.")]
    assert leftovers == []


def test_build_writes_dumps_and_reports(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = runner.invoke(app, build_args(mini, out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "govsm.nq", "govsm.ttl", "report.md", "report.html", "index.html", "site",
    }  # fmt: skip
    assert (out / "site" / "index.html").is_file()
    nq = (out / "govsm.nq").read_text()
    assert "<https://w3id.org/govsm/graph/data/mini-review/evidence.ttl> ." in nq
    assert "<https://w3id.org/govsm/graph/ontology/govsm.ttl> ." in nq
    assert "<https://w3id.org/govsm/graph/derived/classification-from-assessment> ." in nq
    assert nq.splitlines() == sorted(set(nq.splitlines()))
    report = (out / "report.md").read_text()
    assert (
        "| infrastructural | legal infrastructure | preventer | preventer | preventive | yes |"
        in report
    )
    assert "Linke & Zerfass 2013" in report and "Norris et al. 2001" in report
    assert "legal infrastructure" in result.output  # the table is printed too


def test_parse_error_exits_2_with_position_and_leaves_dist(mini: Path, tmp_path: Path) -> None:
    dist = previous_dist(tmp_path)
    broken = mini / "data" / "mini-review" / "context.ttl"
    broken.write_text(broken.read_text() + '\n<https://w3id.org/govsm/id/x> a "unterminated .\n')
    result = runner.invoke(app, build_args(mini, dist))
    assert result.exit_code == 2, result.output
    lines = broken.read_text().count("\n")
    assert f"context.ttl:{lines}:" in result.output.replace("\n", "")
    assert_untouched(dist)


def test_parse_error_names_file_line_column() -> None:
    project = Project(data_dirs=(FIXTURE / "data",))
    load(project, "https://w3id.org/govsm/")  # the fixture itself parses
    bad = FIXTURE.parent / "does-not-exist"
    assert not bad.exists()


def test_parse_error_object(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "bad.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;\n  ex:d .\n"
    )
    with pytest.raises(ParseError) as info:
        load(Project(data_dirs=(data,), ontology_dir=tmp_path / "none"), "https://w3id.org/govsm/")
    assert info.value.path.name == "bad.ttl"
    assert info.value.line == 3
    assert info.value.column > 0
    assert "\n" not in info.value.reason


def test_shacl_violation_exits_1_and_leaves_dist(mini: Path, tmp_path: Path) -> None:
    dist = previous_dist(tmp_path)
    evidence = mini / "data" / "mini-review" / "evidence.ttl"
    evidence.write_text(
        evidence.read_text()
        + "\n<https://w3id.org/govsm/id/evidence/unquoted> a govsm:EvidenceItem .\n"
    )
    result = runner.invoke(app, build_args(mini, dist))
    assert result.exit_code == 1, result.output
    assert "evidence/unquoted" in result.output.replace("\n", "")
    assert_untouched(dist)


def test_verify_mismatch_exits_1_with_table(mini: Path, tmp_path: Path) -> None:
    dist = previous_dist(tmp_path)
    context = mini / "data" / "mini-review" / "context.ttl"
    text = context.read_text().replace(
        "govsm:conditionMet ;", "govsm:conditionNotMet ;"
    )  # technical infrastructure flips: derived preventer, reported driver
    context.write_text(text)
    result = runner.invoke(app, build_args(mini, dist))
    assert result.exit_code == 1, result.output
    assert "Derived vs reported: differences" in result.output
    assert "direction differs" in result.output
    assert "technical infrastructure" in result.output
    assert_untouched(dist)


def test_missing_derived_fails_and_unreported_is_counted(mini: Path) -> None:
    # govsm verify runs load -> derive -> verify only. Reported classifications are
    # optional: one the review does not report is counted, not compared; with none at all
    # the derived classifications are the findings.
    verify_args = ["verify", "--data", str(mini / "data")]
    reported = mini / "data" / "mini-review" / "reported.ttl"
    text = reported.read_text()
    reported.write_text(
        text[: text.index("<https://w3id.org/govsm/id/reported/mini-review/iran/user-training>")]
    )
    result = runner.invoke(app, verify_args)
    assert result.exit_code == 0, result.output
    assert "1 derived classification(s) not reported, not compared" in result.output
    reported.unlink()
    result = runner.invoke(app, verify_args)
    assert result.exit_code == 0, result.output
    assert "the data reports no classification" in result.output
    reported.write_text(text)
    context = mini / "data" / "mini-review" / "context.ttl"
    status = (
        "govsm:conditionNotMet ;\n    govsm:assessmentBasis govsm:inferredFromGeneralStatement ;\n"
    )
    status += '    govsm:justification "Fixture: users'
    assert status in context.read_text()
    context.write_text(
        context.read_text().replace(status, status.replace("conditionNotMet", "conditionPartlyMet"))
    )
    result = runner.invoke(app, verify_args)
    assert result.exit_code == 1, result.output
    assert "missing derived" in result.output  # partly met: the rule derives nothing


def _run_build_subprocess(mini: Path, out: Path) -> None:
    code = "from kg.cli.app import app; app()"
    subprocess.run(
        [sys.executable, "-c", code, *build_args(mini, out)], check=True, capture_output=True
    )


def test_two_builds_are_byte_identical(mini: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    _run_build_subprocess(mini, first)
    _run_build_subprocess(mini, second)
    for name in ("govsm.nq", "govsm.ttl", "report.md", "report.html", "index.html"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert "_:" in (first / "govsm.nq").read_text()  # author lists: canonical labels


def test_engines_publish_the_same_nquads(mini: Path, tmp_path: Path) -> None:
    for engine in ("oxigraph", "rdflib"):
        result = runner.invoke(app, build_args(mini, tmp_path / engine, "--engine", engine))
        assert result.exit_code == 0, result.output
    nq = [(tmp_path / e / "govsm.nq").read_text() for e in ("oxigraph", "rdflib")]
    assert nq[0] == nq[1]
    assert "/graph/derived/classification-from-assessment> ." in nq[0]
    assert "XMLSchema#gYear>" in nq[0]  # literals keep their datatypes as written


def test_failure_mid_publish_keeps_previous_dist(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = previous_dist(tmp_path)

    def explode(folder: Path, *args: object) -> None:
        (folder / "report.md").write_text("half written")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(pipeline, "write_reports", explode)
    project = Project(data_dirs=(mini / "data",), shapes_dir=mini / "shapes")
    with pytest.raises(OSError, match="simulated"):
        pipeline.build(project, BuildOptions(out=dist, reason=False))
    assert_untouched(dist)


needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="Java (HermiT) missing")


@needs_java
def test_reasoning_failure_exits_1_and_leaves_dist(mini: Path, tmp_path: Path) -> None:
    """HermiT runs beside the other stages and its verdict is collected last, just
    before the swap: an unsatisfiable class still fails the build, nothing published."""
    ontology = tmp_path / "ontology"
    shutil.copytree(ROOT / "ontology", ontology)
    core = ontology / "govsm.ttl"
    broken = ROOT / "tests" / "fixtures" / "reasoning" / "unsatisfiable-class.ttl"
    core.write_text(core.read_text() + "\n" + broken.read_text())
    dist = previous_dist(tmp_path)
    args = [a for a in build_args(mini, dist, "--ontology", str(ontology)) if a != "--no-reason"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "reasoning failed" in result.output
    assert "ProcessThatIsAPlan" in result.output.replace("\n", "")
    assert "verify:" in result.output  # the stages after it ran meanwhile
    assert_untouched(dist)


@needs_java
def test_failed_build_stops_the_reasoner_it_started(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[schedule.PreparedReasoning] = []
    prepare = schedule.prepare_reasoning

    def keep(project: Project) -> schedule.PreparedReasoning | None:
        prepared = prepare(project)
        assert prepared is not None
        started.append(prepared)
        return prepared

    monkeypatch.setattr(schedule, "prepare_reasoning", keep)
    evidence = mini / "data" / "mini-review" / "evidence.ttl"
    evidence.write_text(
        evidence.read_text()
        + "\n<https://w3id.org/govsm/id/evidence/unquoted> a govsm:EvidenceItem .\n"
    )
    project = Project(data_dirs=(mini / "data",), shapes_dir=mini / "shapes")
    with pytest.raises(pipeline.ValidationFailed):
        pipeline.build(project, BuildOptions(out=tmp_path / "dist", reason=True))
    (prepared,) = started
    assert prepared.stopper.stopped
    # the run ends soon (HermiT killed, or never started) instead of being waited for
    with pytest.raises(Cancelled):
        prepared.report.result(timeout=60)
    assert not (tmp_path / "dist").exists()


def test_publish_replaces_previous_dist(tmp_path: Path) -> None:
    dist = previous_dist(tmp_path)
    with atomic_folder(dist) as folder:
        (folder / "new.txt").write_text("new")
        assert (dist / "govsm.nq").read_text() == "previous\n"  # not yet swapped in
    assert sorted(p.name for p in dist.iterdir()) == ["new.txt"]
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".dist.")] == []


def test_an_error_inside_the_atomic_block_keeps_previous_dist(tmp_path: Path) -> None:
    dist = previous_dist(tmp_path)
    with pytest.raises(RuntimeError, match="verdict"), atomic_folder(dist) as folder:
        (folder / "govsm.nq").write_text("new\n")
        raise RuntimeError("a late verdict (simulated)")
    assert_untouched(dist)


def test_atomic_folder_creates_an_output_that_did_not_exist(tmp_path: Path) -> None:
    out = tmp_path / "new" / "dist"
    with atomic_folder(out) as folder:
        (folder / "a.txt").write_text("a")
    assert [p.name for p in out.iterdir()] == ["a.txt"]
    assert [p.name for p in out.parent.iterdir()] == ["dist"]


def test_base_option_rewrites_instance_iris(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    base = "https://example.org/govsm/"
    result = runner.invoke(app, build_args(mini, out, "--base", base))
    assert result.exit_code == 0, result.output
    nq = (out / "govsm.nq").read_text()
    assert "https://w3id.org/govsm/id/" not in nq
    assert (
        f"<{base}id/classification/classification-from-assessment/iran/legal-infrastructure>" in nq
    )
    assert f"<{base}rule/classification-from-assessment>" in nq
    assert f"<{base}graph/data/mini-review/evidence.ttl> ." in nq
    assert "<https://w3id.org/govsm/ontology#DerivedClassification>" in nq  # terms stay


def test_bad_base_is_a_usage_error(mini: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, build_args(mini, tmp_path / "d", "--base", "not an iri"))
    assert result.exit_code == 2
    with pytest.raises(ConfigError):
        load(Project(data_dirs=(mini / "data",)), "ftp://x/")


def test_unknown_rule_set_is_a_usage_error(mini: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, build_args(mini, tmp_path / "d", "--rules", "nonsense"))
    assert result.exit_code == 2
    assert "assessment" in result.output and "evidence-majority" in result.output


def test_validate_and_verify_commands(mini: Path) -> None:
    data = ["--data", str(mini / "data")]
    assert runner.invoke(app, ["validate", *data, "--shapes", str(mini / "shapes")]).exit_code == 0
    assert runner.invoke(app, ["verify", *data]).exit_code == 0
    result = runner.invoke(app, ["verify", *data, "--rules", "evidence-majority"])
    assert result.exit_code == 1  # technical infrastructure: 1 driver, 1 preventer -> mixed
    assert "mixed" in result.output
    assert runner.invoke(app, ["derive", *data, "--engine", "rdflib"]).exit_code == 0


def test_dump_lines_start_early_only_on_an_engine_read_beside_writes(mini: Path) -> None:
    project = Project(data_dirs=(mini / "data",))
    for engine, early in (("oxigraph", True), ("rdflib", False)):
        loaded = load(project, "https://w3id.org/govsm/", engine)
        with schedule.Background() as background:
            background.start_dump_lines(loaded)
            assert bool(background.dump_lines) is early, engine
            if background.dump_lines:
                (started,) = background.dump_lines
                assert started.result(timeout=60).graphs == {s.graph for s in loaded.sources}
