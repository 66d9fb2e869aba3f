"""A review with evidence only (no contexts, no assessments, nothing reported): the rule
set ``auto`` picks the evidence-majority rule, which classifies each sub-factor for the
whole review (no govsm:inContext); verify, the catalogue and the trace read such
classifications; where a review has contexts nothing changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from support.importing import TWO_STUDIES_BIB
from typer.testing import CliRunner

from kg.build.pipeline import load_and_derive
from kg.cli.app import app
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, GOVSM
from kg.rdf.engine import ENGINES
from kg.rdf.load import load
from kg.sparql.files import QueryError, read_query
from kg.stages.derive import AUTO, choose_rule_set, rule_sets, select_rules
from kg.stages.trace import trace
from kg.stages.verify import verify

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
ID = DEFAULT_BASE + "id/"
RULE = "classification-from-evidence-majority"
runner = CliRunner()

BIB = TWO_STUDIES_BIB
# Policies: two drivers and a barrier (driver); Usability: one of each (mixed);
# Skills: a barrier (preventer); Training: coded with no direction (no classification).
CSV = """study,factor,subfactor,direction,quote,location,coder
mergel2016,Organisational,Policies,facilitator,"a written policy helped",Findings,Ana
smith2020,Organisational,Policies,enabler,"the policy made it routine",Results,Ana
smith2020,Organisational,Policies,barrier,"the policy was unclear",Results,Ana
mergel2016,Technological,Usability,driver,"easy to post",Findings,Ana
smith2020,Technological,Usability,obstacle,"citizens could not find the service",Results,Ben
smith2020,Human,Skills,inhibitor,"staff lacked the skills",Results,Ben
mergel2016,Human,Training,,"training was discussed",Findings,Ben
"""
EXPECTED = {"policies": "driver", "usability": "mixed", "skills": "preventer"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A review made with govsm init + govsm import only: its data folder."""
    root = tmp_path_factory.mktemp("primary")
    assert runner.invoke(app, ["init", str(root / "p"), "--title", "Primary"]).exit_code == 0
    (root / "refs.bib").write_text(BIB, encoding="utf-8")
    (root / "coding.csv").write_text(CSV, encoding="utf-8")
    files = [str(root / "refs.bib"), str(root / "coding.csv")]
    result = runner.invoke(app, ["import", *files, "--project", str(root / "p")])
    assert result.exit_code == 0, result.output
    return root / "p" / "data"


def _project(*data: Path) -> Project:
    return Project(data_dirs=data)


def _classifications(engine_name: str, data: Path) -> dict[str, tuple[str, bool]]:
    loaded, rules, _ = load_and_derive(_project(data), BuildOptions(engine=engine_name))
    assert [r.stem for r in rules] == [RULE]
    rows = loaded.engine.select(
        """PREFIX govsm: <https://w3id.org/govsm/ontology#>
        SELECT ?c ?direction (BOUND(?context) AS ?inContext) WHERE {
          ?c a govsm:DerivedClassification ; govsm:hasDirection ?direction .
          OPTIONAL { ?c govsm:inContext ?context }
        }"""
    ).dicts()
    return {
        str(r["c"]).removeprefix(f"{ID}classification/{RULE}/"): (
            str(r["direction"]).rsplit("#", 1)[-1],
            bool(r["inContext"].toPython()),
        )
        for r in rows
    }


@pytest.mark.parametrize("engine_name", ENGINES)
def test_evidence_only_review_is_classified_for_the_whole_review(
    data: Path, engine_name: str
) -> None:
    found = _classifications(engine_name, data)
    assert found == {slug: (direction, False) for slug, direction in EXPECTED.items()}


def test_auto_chooses_the_assessment_rules_where_there_are_assessments(data: Path) -> None:
    review = load(Project(), DEFAULT_BASE)
    assert [r.stem for r in select_rules(QUERIES, AUTO, review.engine)] == [
        "classification-from-assessment"
    ]
    primary = load(_project(data), DEFAULT_BASE)
    assert [r.stem for r in select_rules(QUERIES, AUTO, primary.engine)] == [RULE]


def test_auto_is_the_most_specific_applicable_rule_set(tmp_path: Path, data: Path) -> None:
    """The choice reads the rules' `# requires:` headers, not rule-set names."""
    derive = tmp_path / "derive"
    derive.mkdir()
    for path in (QUERIES / "derive").glob("*.rq"):
        shutil.copy(path, derive / path.name)
    extra = (derive / f"{RULE}.rq").read_text(encoding="utf-8")
    extra = extra.replace("# rule-set: evidence-majority", "# rule-set: coded-by")
    extra = extra.replace(
        "# requires: govsm:EvidenceItem", "# requires: govsm:EvidenceItem, foaf:Person"
    )
    (derive / "classification-coded-by.rq").write_text(extra, encoding="utf-8")
    sets = rule_sets(tmp_path)
    primary = load(_project(data), DEFAULT_BASE)
    # the coders are foaf:Person: the set needing more classes wins
    assert choose_rule_set(primary.engine, sets) == "coded-by"
    extra = extra.replace("foaf:Person", "govsm:ServiceChannel")
    (derive / "classification-coded-by.rq").write_text(extra, encoding="utf-8")
    assert choose_rule_set(primary.engine, rule_sets(tmp_path)) == "evidence-majority"
    empty = load(Project(data_dirs=(data,)), DEFAULT_BASE)
    empty.engine.store.update("DELETE WHERE { GRAPH ?g { ?s a ?o } }")
    # nothing applies: the set needing the fewest classes (it derives nothing)
    assert choose_rule_set(empty.engine, rule_sets(QUERIES)) == "evidence-majority"


def test_a_requires_header_must_name_a_known_prefix(tmp_path: Path) -> None:
    derive = tmp_path / "derive"
    derive.mkdir()
    text = (QUERIES / "derive" / f"{RULE}.rq").read_text(encoding="utf-8")
    (derive / "r.rq").write_text(text.replace("govsm:EvidenceItem", "nope:Thing"))
    rule = rule_sets(tmp_path)["evidence-majority"][0]
    with pytest.raises(QueryError, match="nope:Thing"):
        _ = rule.requires


def _add_reported(data: Path, folder: Path, context: str | None, direction: str) -> Path:
    """A copy of the review's data with a reported classification of Policies."""
    shutil.copytree(data, folder)
    where = f"govsm:inContext <{context}> ;" if context else ""
    (folder / "primary" / "reported.ttl").write_text(
        f"""@prefix govsm: <https://w3id.org/govsm/ontology#> .
<{ID}reported/primary/policies> a govsm:ReportedClassification ;
    govsm:classifiedSubFactor <{ID}subfactor/policies> ; {where}
    govsm:hasDirection govsm:{direction} ;
    govsm:reportedIn <{ID}review/primary> ;
    govsm:reportedLabel "facilitator" .
""",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("engine_name", ENGINES)
def test_verify_compares_classifications_for_the_whole_review(
    tmp_path: Path, data: Path, engine_name: str
) -> None:
    cases = [
        (None, "driver", 1, []),  # the same: compared, matches
        (None, "preventer", 1, ["direction differs"]),
        # reported in a context the derived classification does not have: not the same
        (f"{ID}context/somewhere", "driver", 1, ["missing derived"]),
    ]
    for n, (context, direction, compared, statuses) in enumerate(cases):
        folder = _add_reported(data, tmp_path / str(n), context, direction)
        loaded, rules, _ = load_and_derive(_project(folder), BuildOptions(engine=engine_name))
        report = verify(loaded.engine, rules, DEFAULT_BASE, QUERIES)
        assert report.compared == compared, (context, direction)
        assert [d.status for d in report.differences] == statuses
        # the derived classifications no reported one is compared with
        assert report.unreported == (3 if context else 2)


@pytest.mark.parametrize(
    ("query", "column", "expected", "elsewhere"),
    [
        ("drivers", "subfactorLabel", ["Policies"], []),
        ("preventers-by-factor", "subfactorLabel", ["Skills"], []),
        ("factor-summary", "drivers", [0, 1, 0], [0, 0, 0]),
        ("factor-summary", "preventers", [1, 0, 0], [0, 0, 0]),
    ],
)
def test_catalogue_queries_read_classifications_without_context(
    data: Path, query: str, column: str, expected: list, elsewhere: list
) -> None:
    loaded, _, _ = load_and_derive(_project(data), BuildOptions())
    text = read_query(QUERIES / "cq" / f"{query}.rq").text

    def values(bindings: dict) -> list:
        rows = loaded.engine.select(text, bindings).dicts()
        return [r[column].toPython() if isinstance(r[column], Literal) else r[column] for r in rows]

    assert values({}) == expected
    # in a context the data does not have, no classification holds
    assert values({"context": URIRef(ID + "context/x")}) == elsewhere


def test_trace_and_table_say_for_the_whole_review(data: Path) -> None:
    loaded, _, _ = load_and_derive(_project(data), BuildOptions())
    found = trace(loaded.engine, QUERIES, URIRef(ID + "subfactor/policies"))
    (step,) = found.classifications
    assert step.context is None and step.direction == "driver"
    assert len(step.evidence) == 3
    result = runner.invoke(app, ["trace", "policies", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "driver for the whole review" in result.output
    result = runner.invoke(app, ["derive", "--data", str(data)])
    assert result.exit_code == 0, result.output
    # nothing reported: no Reported/Match columns to leave empty
    assert "Derived" in result.output and "Reported" not in result.output
    assert "Match" not in result.output


def test_the_build_publishes_classifications_with_their_review(tmp_path: Path, data: Path) -> None:
    out = tmp_path / "dist"
    result = runner.invoke(app, ["build", "--no-reason", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rule set evidence-majority (chosen from the data: auto)" in result.output
    page = out / "site" / "id" / "classification" / RULE / "policies.html"
    text = page.read_text(encoding="utf-8")
    assert "for the whole review" in text and "Primary" in text
    nq = (out / "govsm.nq").read_text(encoding="utf-8")
    assert f"<{ID}classification/{RULE}/policies> <{GOVSM}derivedByRule>" in nq


def test_evidence_items_still_need_a_type(data: Path) -> None:
    """The fixture's evidence is what the rule counts (guards the fixture itself)."""
    loaded = load(_project(data), DEFAULT_BASE)
    items = loaded.engine.select(
        "SELECT ?i WHERE { ?i a ?t }", {"t": URIRef(GOVSM + "EvidenceItem")}
    ).rows
    assert len(items) == 7
