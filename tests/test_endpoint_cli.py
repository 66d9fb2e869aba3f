"""``govsm serve`` with the endpoint: the limit options reach the service (its
description and its answers say so), bad limits exit 2, ``--no-sparql`` serves only the
site."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import rdflib
from support import built_dist, serve_command
from typer.testing import CliRunner

from kg.cli.app import app as cli

ROOT = Path(__file__).resolve().parents[1]
GOVSM = rdflib.Namespace("https://w3id.org/govsm/ontology#")
runner = CliRunner()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


def test_limits_from_the_command_line(dist: Path) -> None:
    options = ["--timeout", "2.5", "--max-rows", "5", "--max-body", "4000"]
    with serve_command(
        "--dist",
        str(dist),
        *options,
        "--max-concurrent",
        "3",
        "--workers",
        "1",
        "--worker-memory",
        "700",
        "--max-running",
        "2",
    ) as url:
        sd = httpx.get(url + "sparql", timeout=30)
        assert sd.status_code == 200 and sd.headers["content-type"].startswith("text/turtle")
        g = rdflib.Graph().parse(data=sd.content, format="turtle")
        me = rdflib.URIRef(url + "sparql")
        assert float(g.value(me, GOVSM.queryTimeLimit).toPython()) == 2.5
        assert g.value(me, GOVSM.resultRowLimit).toPython() == 5
        assert g.value(me, GOVSM.requestBodyLimit).toPython() == 4000
        assert g.value(me, GOVSM.concurrentQueryLimit).toPython() == 3
        assert g.value(me, GOVSM.queryWorkerCount).toPython() == 1
        assert g.value(me, GOVSM.workerMemoryLimit).toPython() == 700
        assert g.value(me, GOVSM.runningQueryLimit).toPython() == 1  # never over W
        r = httpx.get(url + "sparql", params={"query": "SELECT * { ?s ?p ?o }"}, timeout=30)
        assert r.headers["x-result-row-limit"] == "5" and r.headers["x-result-truncated"] == "true"
        assert len(r.json()["results"]["bindings"]) == 5
        # The site is still there.
        assert "GovSM-KG" in httpx.get(url, headers={"accept": "text/html"}, timeout=30).text


def test_no_sparql_serves_only_the_site(dist: Path) -> None:
    with serve_command("--dist", str(dist), "--no-sparql") as url:
        assert httpx.get(url + "sparql", timeout=30).status_code == 404
        assert httpx.get(url, timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--workers", "0"),
        ("--timeout", "0"),
        ("--max-rows", "0"),
        ("--max-body", "-1"),
        ("--worker-memory", "-1"),
        ("--max-running", "-1"),
    ],
)
def test_bad_limits_exit_2(dist: Path, option: str, value: str) -> None:
    result = runner.invoke(cli, ["serve", "--dist", str(dist), "--port", "0", option, value])
    assert result.exit_code == 2
    assert "bad limit" in result.output


def test_queries_option_sets_the_catalogue(dist: Path, tmp_path: Path) -> None:
    catalogue = tmp_path / "cq"
    catalogue.mkdir()
    source = ROOT / "queries" / "cq" / "factor-summary.rq"
    (catalogue / "factor-summary.rq").write_text(source.read_text(encoding="utf-8"), "utf-8")
    with serve_command("--dist", str(dist), "--workers", "1", "--queries", str(catalogue)) as url:
        listed = httpx.get(url + "api/queries", headers={"accept": "application/json"}, timeout=30)
        assert [q["name"] for q in listed.json()["queries"]] == ["factor-summary"]


def test_missing_queries_folder_exits_2(dist: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["serve", "--dist", str(dist), "--port", "0", "--queries", str(tmp_path / "none")]
    )
    assert result.exit_code == 2 and "not a folder" in result.output
    assert result.output.count("error:") == 1  # one line, not a second "error: 2"


def test_bad_catalogue_header_exits_2_naming_the_file(dist: Path, tmp_path: Path) -> None:
    catalogue = tmp_path / "cq"
    catalogue.mkdir()
    (catalogue / "broken.rq").write_text(
        "# title: Broken\n# question: ?\n# parameters: study (no-such-type)\n"
        "SELECT * WHERE { ?s ?p ?o }\n",
        "utf-8",
    )
    result = runner.invoke(
        cli, ["serve", "--dist", str(dist), "--port", "0", "--queries", str(catalogue)]
    )
    assert result.exit_code == 2, result.output
    assert "query catalogue" in result.output and "broken.rq" in result.output
    assert "Traceback" not in result.output
