"""The scale benchmark's plumbing (no timings are asserted: benchmarks live in bench/).

- bench.measure runs our stages on a generated review and reports the counts that let
  the harness compare systems (results, classifications, comparisons);
- python -m bench writes results.csv and scale.svg and exits 0 when the systems agree;
- a system whose counts differ from ours is reported as a mismatch (exit 1);
- Jena's baseline (opt-in: GOVSM_SLOW_TESTS=1, needs libapache-jena-java) agrees with ours.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import command, jena
from bench.__main__ import Measured, consistency, main
from bench.generate import REPO_ROOT, generate
from bench.measure import main as measure_main


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("bench"), studies=40, seed=2).root


def test_measure_ours_reports_every_stage_and_the_counts(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert measure_main(["ours", str(project), str(tmp_path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    stages = {line["stage"]: line for line in lines if "stage" in line}
    # as in the build, the reasoner's verdict (HermiT started with the load) comes last
    assert list(stages) == ["load", "validate", "derive", "verify", "dumps", "reason"]
    assert all(line["cpu_s"] >= 0 for line in stages.values())
    assert lines[-1] == {"done": True}
    assert stages["validate"]["violations"] == 0
    assert stages["derive"]["classifications"] == 16 * 4
    assert stages["verify"] == stages["verify"] | {"compared": 64, "differences": 0}
    assert (tmp_path / "govsm.nq").stat().st_size + (tmp_path / "govsm.ttl").stat().st_size == (
        stages["dumps"]["bytes"]
    )
    assert all(line["seconds"] >= 0 and line["rss_mb"] > 0 for line in stages.values())


@dataclass
class Run:
    """One ``python -m bench`` run at 40 studies (ours and the floor, with the site), its
    folders and what it printed."""

    out: Path
    data: Path
    printed: str

    def rows(self, system: str) -> list[dict[str, str]]:
        with (self.out / "results.csv").open(encoding="utf-8") as handle:
            return [r for r in csv.DictReader(handle) if r["system"] == system]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run serves the CSV, SVG, site and cache tests: each run builds and reasons."""
    tmp = tmp_path_factory.mktemp("bench-run")
    args = ["--scales", "40", "--seed", "2", "--systems", "ours,floor", "--site"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main([*args, "--out", str(tmp / "bench"), "--data", str(tmp / "data")])
    assert code == 0
    return Run(tmp / "bench", tmp / "data", printed.getvalue())


def test_bench_writes_csv_and_svg(run: Run) -> None:
    ours = {r["stage"] for r in run.rows("ours")}
    assert ours >= {"load", "validate", "reason", "derive", "verify", "dumps", "total"}
    assert {r["stage"] for r in run.rows("floor")} >= {"load"}
    assert all(r["status"] == "ok" for r in run.rows("ours") + run.rows("floor"))
    svg = ET.parse(run.out / "scale.svg").getroot()
    assert svg.tag.endswith("svg")
    assert "ours" in (run.out / "scale.svg").read_text(encoding="utf-8")


def test_cached_data_is_measured_with_the_projects_current_queries(
    run: Run, tmp_path: Path
) -> None:
    """The cache keeps the generated data, not copies of queries and shapes made the day
    the data was generated: a change to a rule must be what the next run measures."""
    root = run.data / "40-2-4-2"
    rule = root / "queries" / "derive" / "classification-from-assessment.rq"
    current = (REPO_ROOT / "queries" / "derive" / rule.name).read_text(encoding="utf-8")
    assert rule.read_text(encoding="utf-8") == current
    rule.write_text("# stale copy\n", encoding="utf-8")
    (root / "shapes" / "stale.ttl").write_text("", encoding="utf-8")
    evidence = sorted((root / "data").rglob("*.ttl"))
    stamps = [path.stat().st_mtime_ns for path in evidence]
    args = ["--scales", "40", "--seed", "2", "--systems", "ours", "--data", str(run.data)]
    assert main([*args, "--out", str(tmp_path / "second")]) == 0
    assert rule.read_text(encoding="utf-8") == current
    assert not (root / "shapes" / "stale.ttl").exists()
    # the data itself came from the cache
    assert [path.stat().st_mtime_ns for path in evidence] == stamps


def test_site_measurement_reports_both_ways_of_publishing(run: Run) -> None:
    """``--site``: the static site, the site-level pages alone, pages on demand and the
    largest pages, printed and in the CSV."""
    assert "static site:" in run.printed and "site-level pages only" in run.printed
    assert "page with the most incoming links (" in run.printed
    site = {r["stage"]: r for r in run.rows("site")}
    assert {"static", "partial", "ondemand-start", "ondemand-page"} <= set(site)
    assert {"ondemand-most-incoming", "ondemand-subfactor"} <= set(site)
    static, partial = (json.loads(site[k]["note"]) for k in ("static", "partial"))
    assert partial["files"] < static["files"]  # no page per resource


def test_a_system_that_disagrees_is_a_mismatch() -> None:
    ours = Measured("ours", {"validate": {"seconds": 1.0, "results": 71}})
    other = Measured("jena", {"validate": {"seconds": 2.0, "results": 70}})
    assert consistency({"ours": ours, "jena": other}) == ["jena validate: results 70 != ours 71"]
    same = Measured("rdflib", {"validate": {"seconds": 2.0, "results": 71}})
    assert consistency({"ours": ours, "rdflib": same}) == []


@pytest.mark.skipif(not os.environ.get("GOVSM_SLOW_TESTS"), reason="set GOVSM_SLOW_TESTS=1")
@pytest.mark.skipif(jena.missing() is not None, reason=str(jena.missing()))
def test_jena_baseline_does_the_same_work(project: Path, tmp_path: Path) -> None:
    stages = {s["stage"]: s for s in jena.stages(project, tmp_path, cap=600)}
    assert all(s["status"] == "ok" for s in stages.values())
    assert set(stages) == {"load", "validate", "derive", "verify", "dumps"}
    assert stages["validate"]["check_rows"] == 0
    expected = json.loads((project / "generated.json").read_text(encoding="utf-8"))["expected"]
    assert stages["validate"]["results"] == len(expected)  # the warnings, as pySHACL gives
    assert stages["derive"]["classifications"] == 64
    assert (stages["verify"]["compared"], stages["verify"]["differences"]) == (64, 0)


def test_merge_combines_runs_made_in_parallel(tmp_path: Path) -> None:
    fields = "studies,triples,system,stage,seconds,lower_bound,peak_rss_mb,status,note\n"
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text(
        fields
        + "".join(
            f"100,6292,ours,{s},1.0,False,90,ok,\n"
            for s in ("load", "validate", "reason", "derive", "verify", "dumps")
        )
        + "100,6292,ours,total,6.0,False,95,ok,\n",
        encoding="utf-8",
    )
    b.write_text(
        fields
        + "".join(
            f"100,6292,rdflib,{s},10.0,False,80,ok,\n"
            for s in ("load", "derive", "verify", "dumps")
        )
        + "100,6292,rdflib,validate,300.0,True,80,timeout,cut off\n"
        + "100,6292,ours,load,9.0,False,90,ok,\n",  # the first run's figures are kept
        encoding="utf-8",
    )
    out = tmp_path / "merged"
    assert main(["--merge", str(a), str(b), "--out", str(out)]) == 0
    with (out / "results.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    load = [r for r in rows if r["system"] == "ours" and r["stage"] == "load"]
    assert [r["seconds"] for r in load] == ["1.0"]
    validate = next(r for r in rows if r["system"] == "rdflib" and r["stage"] == "validate")
    assert validate["lower_bound"] == "True"
    ET.parse(out / "scale.svg")


def test_command_pairs_time_the_whole_build(project: Path, tmp_path: Path) -> None:
    """bench.command: the floor and govsm build in fresh processes, measured from outside,
    the build's own stage line read back (its content, not its times)."""
    found = command.pairs(project, tmp_path / "command", count=1, reason=False)
    assert len(found) == 1
    pair = found[0]
    assert pair["floor_load"] > 0 and pair["build_wall"] > pair["floor_load"]
    assert pair["build_tree_mb"] > 0 and pair["floor_tree_mb"] > 0
    assert list(pair["stages"])[:2] == ["load", "validate"] and "site" in pair["stages"]
    assert list(pair["stages"])[-1] == "total"
    assert (tmp_path / "command" / "dist" / "site" / "dataset.html").is_file()
    text = command.summary(found, reason=False)
    ratio = pair["build_wall"] / pair["floor_load"]
    assert f"= {ratio:.1f}x" in text and "govsm build --no-reason" in text
