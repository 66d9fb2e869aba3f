"""What ``govsm build`` says about its own speed, and the parts made cheap (issue 20):

- every stage's seconds: a ``timings:`` line always, a table with ``--timings`` (the
  publishing's and the site's parts included); their content, never their values;
- the terminal's classification table summarises a Sources cell ("and N more", N from
  the data) while report.md keeps every source;
- the ontology page of a graph read from a store (the site without resource pages)
  never fetches every instance of a class;
- bench.command reads a wrapped ``timings:`` line.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from bench.command import stage_seconds
from bench.generate import generate
from kg.build import pipeline
from kg.build.store import read_stamp, store_state
from kg.cli import output
from kg.cli.app import app
from kg.cli.output import SOURCES_SHOWN, print_table, summarise_sources
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, GOVSM, PREFIXES
from kg.stages.report import Table
from kg.timings import Timings
from kg.web.site import ontology_docs
from kg.web.site.graph import SiteGraph

runner = CliRunner()
STAGES = ["load", "validate", "derive", "verify", "confidence", "restate", "table", "dumps"]
STAGES += ["nanopubs", "reports", "site", "reason", "terminal"]
SITE_PARTS = ["dumps", "void", "ontology", "shapes", "pages", "landing", "sitemap", "write"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 120 studies: rows backed by more sources than the terminal shows
    return generate(tmp_path_factory.mktemp("timings"), studies=120, seed=4).root


@pytest.fixture(scope="module")
def built(project: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("timed") / "dist"
    args = ["build", "--no-reason", "--timings", "--project", str(project), "--out", str(out)]
    with pytest.MonkeyPatch.context() as mp:  # wide enough for a row on one line
        mp.setattr(output.console, "width", 1000)
        mp.setattr(output.err, "width", 1000)
        result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_the_timings_line_names_every_stage_in_order(built: tuple[Path, str]) -> None:
    line = next(x for x in built[1].splitlines() if x.startswith("timings: "))
    names = re.findall(r"([\w/]+) [0-9]+\.[0-9]{2} s", line)
    assert names == [*STAGES, "total"]  # sub-stages are in the table only


def test_the_timings_table_lists_the_stages_and_the_site_parts(built: tuple[Path, str]) -> None:
    output = built[1]
    assert "Stage timings" in output
    rows = re.findall(r"│ ( *)([\w]+) *│ +([0-9]+\.[0-9]{2}) │ +([0-9]+)% │", output)
    top = [name for indent, name, _, _ in rows if not indent.strip(" ") and len(indent) == 0]
    assert top == [*STAGES, "other", "total"]
    at = [name for _, name, _, _ in rows].index("site")
    assert [name for _, name, _, _ in rows[at + 1 : at + 1 + len(SITE_PARTS)]] == SITE_PARTS
    assert all(len(indent) == 2 for indent, *_ in rows[at + 1 : at + 1 + len(SITE_PARTS)])
    assert rows[-1][3] == "100"  # total


def test_without_the_option_only_the_line(project: Path, tmp_path: Path) -> None:
    """(And --store: the build writes govsm serve's store, and times its wait for it.)"""
    args = ["build", "--no-reason", "--no-site", "--store", "--project", str(project)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "Stage timings" not in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("timings: "))
    assert line.startswith("timings: load ") and ", store " in line
    assert store_state(tmp_path / "dist") is None  # written, and it is the dump's
    stamp, dump = read_stamp(tmp_path / "dist"), (tmp_path / "dist" / "govsm.nq").read_bytes()
    assert stamp is not None and stamp.sha256 == hashlib.sha256(dump).hexdigest()  # the writer's


def test_the_terminal_summarises_sources_and_the_report_keeps_them(
    built: tuple[Path, str],
) -> None:
    out, output = built
    report = (out / "report.md").read_text(encoding="utf-8")
    heading = next(x for x in report.splitlines() if x.startswith("| ") and "Sources" in x)
    column = [c.strip() for c in heading.strip("|").split("|")].index("Sources")
    cells = [
        [c.strip() for c in line.strip("|").split("|")][column]
        for line in report.splitlines()[report.splitlines().index(heading) + 2 :]
        if line.startswith("| ")
    ]
    long = [c for c in cells if len(c.split("; ")) > SOURCES_SHOWN]
    assert long, "the generated review should have rows with many sources"
    for cell in long:
        sources = cell.split("; ")
        shown = "; ".join(sources[:SOURCES_SHOWN])
        assert f"{shown} and {len(sources) - SOURCES_SHOWN} more" in output
        assert cell not in output  # the whole list is not printed


def test_summarise_sources_counts_what_it_leaves_out() -> None:
    assert summarise_sources("") == ""
    assert summarise_sources("A 2001; B 2002; C 2003") == "A 2001; B 2002; C 2003"
    cell = "; ".join(f"Author{i} {2000 + i}" for i in range(11))
    assert summarise_sources(cell) == "Author0 2000; Author1 2001; Author2 2002 and 8 more"


def test_print_table_summarises_only_the_sources_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    many = "; ".join(f"S{i}" for i in range(7))
    print_table(Table(["Factor", "Sources"], [["a; b; c; d; e", many]]))
    out = capsys.readouterr().out
    assert "a; b; c; d; e" in out and "S0; S1; S2 and 4 more" in out


def test_timings_rows_and_summary() -> None:
    timings = Timings()
    with timings.stage("load"):
        time.sleep(0.01)
    timings.add("site", 0.5)
    timings.add("site/void", 0.2)
    timings.add("site/pages", 0.25)
    timings.add("load", 0.0)
    names = [name for name, _ in timings.rows()]
    assert names == ["load", "site", "site/void", "site/pages", "other", "total"]
    rows = dict(timings.rows())
    assert rows["load"] >= 0.01 and rows["site"] == 0.5
    assert rows["total"] >= rows["load"]  # the wall clock since the Timings was made
    summary = timings.summary()
    assert summary.startswith("timings: load 0.0") and "site 0.50 s" in summary
    assert "void" not in summary and summary.endswith(" s")


def test_stage_seconds_reads_a_wrapped_line() -> None:
    stderr = (
        "load: 3 files\ntimings: load 0.25 s, validate 1.50\ns, site 2.00 s,\n"
        "reason 0.00 s, total 4.10 s\nbuilt"
    )
    assert stage_seconds(stderr) == {
        "load": 0.25,
        "validate": 1.5,
        "site": 2.0,
        "reason": 0.0,
        "total": 4.1,
    }
    assert stage_seconds("no line") == {}


def test_the_ontology_page_from_a_store_reads_no_class_whole(project: Path, tmp_path: Path) -> None:
    """A class's instances are listed up to MAX_INSTANCES: with 120 studies the store is
    asked for at most one more, never for every triple pointing at govsm:Study."""
    out = tmp_path / "dist"
    result = pipeline.build(Project(root=project), BuildOptions(out=out, reason=False, site=False))
    store = ox.Store()
    store.bulk_load(path=str(out / "govsm.nq"), format=ox.RdfFormat.N_QUADS)
    onto = {s.graph for s in result.loaded.sources if s.kind == "ontology"}
    lazy = SiteGraph.from_store(store, DEFAULT_BASE, onto)
    study = ox.NamedNode(GOVSM + "Study")
    typed = (PREFIXES["rdf"] + "type",)
    assert len(lazy.subjects(study, typed)) == 120
    assert len(lazy.subjects(study, typed, limit=31)) == 31
    page = ontology_docs.ontology_page(lazy, lazy.ontology_triples)
    assert 'id="Study"' in page
    assert study not in lazy.inc  # never fetched whole
