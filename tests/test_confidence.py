"""GRADE-CERQual confidence profiles and robustness (kg.stages.confidence and the rules
queries/derive/confidence-*.rq).

The first review is loaded and derived on pyoxigraph only (well under a second); the
adequacy and coherence the rules give are recomputed here in Python from an rdflib
reading of its data files (no SPARQL). The tiny review of tests/fixtures/confidence/ has
planted evidence directions and a reviewer judgement; it runs on both engines.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from support.evidence import folder_graph

from bench.generate import generate
from kg.build.pipeline import load_and_derive
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, GOVSM
from kg.rdf.engine import ENGINES, Engine
from kg.sparql.files import QueryError
from kg.stages.confidence import confidence_graph_iri, confidence_rules
from kg.stages.trace import trace

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "social-media-service-delivery"
TINY = ROOT / "tests" / "fixtures" / "confidence" / "data"
G = GOVSM
PREFIX = (
    "PREFIX govsm: <https://w3id.org/govsm/ontology#>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"
)
#: The ranks of the coding bases (queries/derive/confidence-adequacy.rq).
RANK = {
    G + "basisStudyFullText": 4,
    G + "basisStudyAbstract": 3,
    G + "basisReviewSummary": 2,
    G + "basisReviewStatement": 1,
}


@cache
def engine_for(data: Path, engine: str) -> Engine:
    """The data folder loaded and derived (the rule set the data calls for), once."""
    loaded, _rules, _derivations = load_and_derive(
        Project(data_dirs=(data,)), BuildOptions(engine=engine)
    )
    return loaded.engine


def local(term: object) -> str:
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def components(engine: Engine, which: str = "in-force") -> dict[tuple[str, str], dict]:
    """(sub-factor local name, component local name) -> level, counts and what it cites,
    of the components ``which``: in force, derived (by a rule) or all."""
    link = "govsm:componentInForce" if which == "in-force" else "govsm:hasComponentAssessment"
    only = "FILTER EXISTS { ?part govsm:assessedByRule ?anyRule }" if which == "derived" else ""
    rows = engine.select(
        PREFIX
        + f"""SELECT ?subfactor ?part ?component ?level ?items ?studies ?agreeing ?conflicting
               ?cited ?rule ?agent WHERE {{
          ?assessment a govsm:ConfidenceAssessment ; govsm:assessesFinding ?c ;
              {link} ?part .
          ?c govsm:classifiedSubFactor ?subfactor .
          ?part govsm:cerqualComponent ?component ; govsm:concernLevel ?level .
          OPTIONAL {{ ?part govsm:evidenceItemCount ?items }}
          OPTIONAL {{ ?part govsm:studyCount ?studies }}
          OPTIONAL {{ ?part govsm:agreeingItemCount ?agreeing }}
          OPTIONAL {{ ?part govsm:conflictingItemCount ?conflicting }}
          OPTIONAL {{ ?part prov:wasDerivedFrom ?cited }}
          OPTIONAL {{ ?part govsm:assessedByRule ?rule }}
          OPTIONAL {{ ?part prov:wasAttributedTo ?agent }}
          {only}
        }}"""
    ).dicts()
    found: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (local(row["subfactor"]), local(row["component"]))
        entry = found.setdefault(key, {"cited": set(), "parts": set(), "levels": set()})
        entry["parts"].add(str(row["part"]))
        entry["levels"].add(local(row["level"]))
        for name in ("items", "studies", "agreeing", "conflicting"):
            if row[name] is not None:
                entry[name] = int(row[name])
        if row["cited"] is not None:
            entry["cited"].add(str(row["cited"]))
        entry["rule"] = row["rule"] and str(row["rule"])
        entry["agent"] = row["agent"] and str(row["agent"])
    return found


def overall(engine: Engine) -> dict[str, str]:
    rows = engine.select(
        PREFIX
        + """SELECT ?subfactor ?level WHERE { ?a govsm:overallConfidence ?level ;
              govsm:assessesFinding/govsm:classifiedSubFactor ?subfactor }"""
    ).dicts()
    return {local(r["subfactor"]): local(r["level"]) for r in rows}


def robustness(engine: Engine) -> dict[str, tuple[str, str | None]]:
    rows = engine.select(
        PREFIX
        + """SELECT ?subfactor ?result ?other WHERE { ?check a govsm:RobustnessCheck ;
              govsm:assessesFinding/govsm:classifiedSubFactor ?subfactor ;
              govsm:robustness ?result .
              OPTIONAL { ?check govsm:comparedDirection ?other } }"""
    ).dicts()
    return {
        local(r["subfactor"]): (local(r["result"]), r["other"] and local(r["other"])) for r in rows
    }


# --- the first review: recomputed in Python from the data files ---------------------------


def findings_in_python(graph: Graph) -> dict[str, dict]:
    """The assessment rule by hand (met: driver, not met: preventer, with at least one
    evidence item about the sub-factor), then adequacy and coherence by their stated
    thresholds, walking triples only."""
    items_of: dict[URIRef, set] = defaultdict(set)
    for item in graph.subjects(RDF.type, URIRef(G + "EvidenceItem")):
        for subfactor in graph.objects(item, URIRef(G + "aboutSubFactor")):
            items_of[subfactor].add(item)
    studies = set(graph.subjects(RDF.type, URIRef(G + "Study")))
    directions = {G + "conditionMet": G + "driver", G + "conditionNotMet": G + "preventer"}
    found = {}
    for assessment in graph.subjects(RDF.type, URIRef(G + "ContextAssessment")):
        status = str(graph.value(assessment, URIRef(G + "conditionStatus")))
        subfactor = graph.value(assessment, URIRef(G + "assessedSubFactor"))
        if status not in directions or not items_of[subfactor]:
            continue
        items = items_of[subfactor]
        best: dict[URIRef, int] = {}
        for item in items:
            rank = max(
                [RANK.get(str(b), 0) for b in graph.objects(item, URIRef(G + "codingBasis"))] or [0]
            )
            for source in graph.objects(item, URIRef(G + "evidenceSource")):
                if source in studies:
                    best[source] = max(best.get(source, 0), rank)
        text = sum(1 for r in best.values() if r >= 3)
        summary = sum(1 for r in best.values() if r >= 2)
        adequacy = (
            "noOrVeryMinorConcerns"
            if text >= 3
            else "minorConcerns"
            if text >= 2 or summary >= 3
            else "moderateConcerns"
            if summary >= 1
            else "seriousConcerns"
        )
        direction = directions[status]
        directed = {i for i in items if graph.value(i, URIRef(G + "indicatesDirection"))}
        agreeing = {
            i
            for i in directed
            if str(graph.value(i, URIRef(G + "indicatesDirection"))) == direction
            or direction == G + "mixed"
        }
        conflicting = len(directed) - len(agreeing)
        coherence = (
            "notAssessed"
            if not directed
            else "noOrVeryMinorConcerns"
            if conflicting == 0
            else "minorConcerns"
            if 4 * conflicting <= len(directed)
            else "moderateConcerns"
            if 2 * conflicting <= len(directed)
            else "seriousConcerns"
        )
        found[local(subfactor)] = {
            "items": {str(i) for i in items},
            "studies": {str(s) for s in best},
            "directed": {str(i) for i in directed},
            "agreeing": len(agreeing),
            "conflicting": conflicting,
            "adequacy": adequacy,
            "coherence": coherence,
        }
    return found


@pytest.mark.skipif(not REAL.is_dir(), reason="real review data not present")
def test_each_finding_of_the_review_has_a_profile_whose_components_cite_what_they_counted() -> None:
    engine = engine_for(ROOT / "data", "oxigraph")
    expected = findings_in_python(folder_graph(REAL))
    assert len(expected) == 16
    found = components(engine)
    assert overall(engine).keys() == expected.keys()
    for subfactor, python in expected.items():
        for component in ("methodologicalLimitations", "coherence", "adequacyOfData", "relevance"):
            assert len(found[(subfactor, component)]["levels"]) == 1, (subfactor, component)
        adequacy = found[(subfactor, "adequacyOfData")]
        # adequacy cites every item it counted and their studies; coherence the directed ones
        assert adequacy["cited"] == python["items"] | python["studies"], subfactor
        assert found[(subfactor, "coherence")]["cited"] == python["directed"], subfactor
        # nothing here is appraised or located: "not assessed", never "no concerns"
        assert found[(subfactor, "methodologicalLimitations")]["levels"] == {"notAssessed"}
        assert found[(subfactor, "relevance")]["levels"] == {"notAssessed"}


@pytest.mark.skipif(not REAL.is_dir(), reason="real review data not present")
def test_adequacy_and_coherence_recomputed_in_python_from_the_evidence() -> None:
    engine = engine_for(ROOT / "data", "oxigraph")
    expected = findings_in_python(folder_graph(REAL))
    found = components(engine)
    levels = set()
    for subfactor, python in expected.items():
        adequacy, coherence = found[(subfactor, "adequacyOfData")], found[(subfactor, "coherence")]
        assert adequacy["levels"] == {python["adequacy"]}, subfactor
        assert adequacy["items"] == len(python["items"]), subfactor
        assert adequacy["studies"] == len(python["studies"]), subfactor
        assert coherence["levels"] == {python["coherence"]}, subfactor
        assert coherence["items"] == len(python["directed"]), subfactor
        assert (coherence["agreeing"], coherence["conflicting"]) == (
            python["agreeing"],
            python["conflicting"],
        ), subfactor
        levels |= {python["adequacy"], python["coherence"]}
    # the comparison is not vacuous: the data gives several levels of each
    assert {"seriousConcerns", "moderateConcerns", "noOrVeryMinorConcerns"} <= levels


# --- the tiny review: planted directions, a reviewer judgement, both engines ---------------


@pytest.mark.parametrize("engine", ENGINES)
def test_planted_disagreement_gets_the_coherence_level_the_rules_say(engine: str) -> None:
    coherence = {
        sf: components(engine_for(TINY, engine), "derived")[(sf, "coherence")]
        for sf in ("alpha", "beta", "gamma", "delta")
    }
    assert {sf: c["levels"] for sf, c in coherence.items()} == {
        "alpha": {"minorConcerns"},  # 1 of 4 directed items disagrees
        "beta": {"seriousConcerns"},  # 3 of 4
        "gamma": {"notAssessed"},  # no item indicates a direction
        "delta": {"moderateConcerns"},  # 2 of 4
    }
    assert (coherence["beta"]["agreeing"], coherence["beta"]["conflicting"]) == (1, 3)
    assert (coherence["delta"]["agreeing"], coherence["delta"]["conflicting"]) == (2, 2)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_other_components_follow_their_stated_thresholds(engine: str) -> None:
    found = components(engine_for(TINY, engine))
    levels = {key: next(iter(value["levels"])) for key, value in found.items()}
    assert levels[("alpha", "methodologicalLimitations")] == "minorConcerns"  # s4 < tool's 0.8
    assert levels[("beta", "methodologicalLimitations")] == "notAssessed"
    assert levels[("alpha", "adequacyOfData")] == "noOrVeryMinorConcerns"
    assert levels[("beta", "adequacyOfData")] == "minorConcerns"
    assert levels[("gamma", "adequacyOfData")] == "seriousConcerns"
    assert levels[("delta", "adequacyOfData")] == "moderateConcerns"
    assert levels[("alpha", "relevance")] == "noOrVeryMinorConcerns"
    assert levels[("beta", "relevance")] == "minorConcerns"
    assert levels[("gamma", "relevance")] == "notAssessed"
    assert levels[("delta", "relevance")] == "seriousConcerns"
    cited = found[("alpha", "methodologicalLimitations")]["cited"]
    assert DEFAULT_BASE + "id/appraisal/s4" in cited and DEFAULT_BASE + "id/study/s4" in cited
    assert DEFAULT_BASE + "id/context/land" in found[("delta", "relevance")]["cited"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_reviewer_judgement_overrides_the_derived_component_and_both_are_kept(
    engine: str,
) -> None:
    store = engine_for(TINY, engine)
    judgement = DEFAULT_BASE + "id/judgement/land/alpha/coherence"
    derived = components(store, "all")[("alpha", "coherence")]
    in_force = components(store)[("alpha", "coherence")]
    # both are components of the assessment; only the reviewer's is in force
    assert judgement in derived["parts"] and len(derived["parts"]) == 2
    assert derived["levels"] == {"minorConcerns", "seriousConcerns"}
    assert in_force["parts"] == {judgement} and in_force["levels"] == {"seriousConcerns"}
    assert in_force["agent"] == DEFAULT_BASE + "id/person/reviewer"
    rows = store.select(
        PREFIX + "SELECT ?old WHERE { ?j prov:wasRevisionOf ?old }", {"j": URIRef(judgement)}
    ).rows
    assert [str(r[0]) for r in rows] == [
        DEFAULT_BASE + "id/confidence/classification-from-assessment/land/alpha/coherence"
    ]
    # the overall confidence uses the reviewer's: serious is two levels down (low); with
    # the derived minor concerns (and minor methodological limitations) it is moderate
    assert overall(store)["alpha"] == "lowConfidence"


def test_without_the_reviewer_judgement_the_derived_component_is_in_force(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    (data / "tiny" / "confidence.ttl").unlink()
    store = engine_for(data, "oxigraph")
    assert components(store)[("alpha", "coherence")]["levels"] == {"minorConcerns"}
    assert overall(store)["alpha"] == "moderateConfidence"


def test_a_reviewer_judgement_that_matches_no_finding_is_named_in_a_warning(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    judged = data / "tiny" / "confidence.ttl"
    text = judged.read_text(encoding="utf-8")
    assert "govsm:judgedSubFactor id:subfactor\\/alpha ;" in text
    judged.write_text(text.replace("id:subfactor\\/alpha ;", "id:subfactor\\/alpah ;"))
    said: list[str] = []
    loaded, _rules, _derivations = load_and_derive(
        Project(data_dirs=(data,)), BuildOptions(), said.append
    )
    warnings = [line for line in said if "warning" in line]
    assert warnings == [
        "confidence: warning: data/tiny/confidence.ttl: the reviewer judgement "
        f"<{DEFAULT_BASE}id/judgement/land/alpha/coherence> names sub-factor "
        f"<{DEFAULT_BASE}id/subfactor/alpah> in context <{DEFAULT_BASE}id/context/land>, "
        "for which no rule derived a classification: it is not used"
    ]
    # and the derived component stays in force
    assert components(loaded.engine)[("alpha", "coherence")]["levels"] == {"minorConcerns"}


@pytest.mark.parametrize("engine", ENGINES)
def test_robustness_against_the_other_applicable_rule_set(engine: str) -> None:
    assert robustness(engine_for(TINY, engine)) == {
        "alpha": ("rulesAgree", "preventer"),
        "beta": ("rulesDisagree", "preventer"),
        "gamma": ("otherRuleSilent", None),
        "delta": ("rulesDisagree", "mixed"),
    }
    assert set(overall(engine_for(TINY, engine)).values()) == {"lowConfidence", "veryLowConfidence"}


def test_the_confidence_graph_is_the_same_on_both_engines() -> None:
    graphs = [
        {tuple(t.n3() for t in triple) for triple in engine_for(TINY, name).triples(graph)}
        for name in ENGINES
        for graph in [confidence_graph_iri(DEFAULT_BASE)]
    ]
    assert graphs[0] == graphs[1] and len(graphs[0]) > 100


def test_the_rules_state_and_cite_their_thresholds() -> None:
    rules = confidence_rules(ROOT / "queries")
    assert [r.phase for r in rules] == ["component"] * 4 + ["in-force", "overall"]
    for rule in rules:
        note = rule.query.header.get("note", "")
        if rule.phase != "in-force":
            assert "Implementation Science 2018;13(Suppl 1)" in note, rule.stem


def test_an_unknown_phase_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "derive").mkdir()
    (tmp_path / "derive" / "confidence-x.rq").write_text(
        "# title: x\n# question: x?\n# confidence: sideways\nCONSTRUCT {} WHERE {}\n"
    )
    with pytest.raises(QueryError, match="confidence-x.rq.*sideways"):
        confidence_rules(tmp_path)


def test_the_trace_shows_the_profile_with_both_judgements_and_the_robustness() -> None:
    (step,) = trace(engine_for(TINY, "oxigraph"), ROOT / "queries", "alpha").classifications
    confidence = step.confidence
    assert confidence is not None and confidence.overall == "low confidence"
    coherence = [p for p in confidence.components if p.component == "coherence"]
    assert {(p.level, p.in_force, p.agent is not None) for p in coherence} == {
        ("minor concerns", False, False),
        ("serious concerns", True, True),
    }
    assert len(confidence.components) == 5  # four derived, one reviewer's
    assert [(r.result, r.direction) for r in confidence.robustness] == [("agree", "preventer")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated review (bench.generate): its evidence directions are drawn from the
    seed, so its findings disagree with some of their evidence."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, studies=24, contexts=1, seed=5, copy_project=False)
    return out / "data"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_generated_review_gets_the_coherence_the_rules_say(generated: Path, engine: str) -> None:
    expected = findings_in_python(folder_graph(generated / "synthetic"))
    found = components(engine_for(generated, engine))
    levels = {}
    for subfactor, python in expected.items():
        coherence = found[(subfactor, "coherence")]
        assert coherence["levels"] == {python["coherence"]}, subfactor
        assert (coherence["agreeing"], coherence["conflicting"]) == (
            python["agreeing"],
            python["conflicting"],
        ), subfactor
        levels[subfactor] = python["coherence"]
    # the planted disagreement reaches several levels, so the comparison can fail
    assert len(set(levels.values())) >= 3, levels
