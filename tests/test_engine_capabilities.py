"""What the Engine protocol offers in place of asking which engine one has: both engines
answer each method alike (up to blank-node labels), each in its own way."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf.engine import ENGINES, Engine, make_engine
from kg.rdf.nquads import canonical_dump

EX = "https://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATA = f"""@prefix ex: <{EX}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a a ex:Thing ; ex:n "7"^^xsd:int ; ex:y "2020"^^xsd:gYear ; ex:l "hi"@en ;
    ex:list ( ex:b ex:c ) ; ex:t "plain" .
ex:b a ex:Thing ; ex:knows ex:a .
"""
CONSTRUCT = f"""PREFIX ex: <{EX}>
CONSTRUCT {{ ?s a ex:Seen ; ex:from ?o . }} WHERE {{ ?s a ex:Thing ; ?p ?o . }}"""


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    path = tmp_path / "a.ttl"
    path.write_text(DATA, encoding="utf-8")
    return path


def loaded(name: str, source: Path) -> Engine:
    engine = make_engine(name)
    with engine.loading():
        engine.load(source, EX + "g/a")
    return engine


def test_construct_into_counts_alike_on_both_engines(source: Path) -> None:
    counts = []
    for name in ENGINES:
        engine = loaded(name, source)
        before = engine.writes.get(EX + "g/derived", 0)
        counts.append(engine.construct_into(CONSTRUCT, None, EX + "g/derived", EX + "Seen"))
        assert engine.writes[EX + "g/derived"] > before  # work prepared from it is stale
        assert len(engine.triples(EX + "g/derived")) == counts[-1][0]
    assert counts[0] == counts[1] and counts[0][1] == 2


def test_quads_are_the_triples_as_written(source: Path) -> None:
    for name in ENGINES:
        engine = loaded(name, source)
        quads = engine.quads(EX + "g/a")
        assert len(quads) == len(engine.triples(EX + "g/a")) == 12
        assert {q.graph_name for q in quads} == {ox.NamedNode(EX + "g/a")}
        literals = {q.object for q in quads if isinstance(q.object, ox.Literal)}
        assert ox.Literal("2020", datatype=ox.NamedNode(XSD + "gYear")) in literals


def test_written_quads_are_those_the_store_may_rewrite(source: Path) -> None:
    oxigraph, rdflib_engine = (loaded(name, source) for name in ("oxigraph", "rdflib"))
    written = {str(q.object) for q in oxigraph.written_quads(EX + "g/a")}
    assert written == {f'"7"^^<{XSD}int>', f'"2020"^^<{XSD}gYear>', '"hi"@en'}
    assert rdflib_engine.written_quads(EX + "g/a") == []


def test_graph_dumps_give_one_canonical_dump(source: Path) -> None:
    """The oxigraph engine's Store lines with its written quads, and the rdflib engine's
    quads alone, make the same canonical N-Quads."""
    dumps = [canonical_dump(loaded(name, source)) for name in ENGINES]
    assert dumps[0] == dumps[1]
    assert '"7"^^<http://www.w3.org/2001/XMLSchema#int>' in dumps[0] and "_:c" in dumps[0]


def test_capabilities_say_what_each_engine_can_do(source: Path) -> None:
    oxigraph, rdflib_engine = (loaded(name, source) for name in ("oxigraph", "rdflib"))
    assert oxigraph.strict_parser and oxigraph.concurrent_reads
    assert isinstance(oxigraph.store, ox.Store) and len(oxigraph.store) > 0
    assert not rdflib_engine.strict_parser and not rdflib_engine.concurrent_reads
    assert rdflib_engine.store is None
    assert oxigraph.loads_early(source) and not rdflib_engine.loads_early(source)


@pytest.mark.parametrize("name", ENGINES)
def test_an_insert_sees_the_union_exactly_where_the_engine_says(name: str, source: Path) -> None:
    engine = loaded(name, source)
    seen = engine.insert_into("?s a <urn:x:Seen>", f"?s a <{EX}Thing>", EX + "g/seen", EX + "Thing")
    assert (seen[0] > 0) == engine.insert_sees_union
    named = f"GRAPH ?g {{ ?s a <{EX}Thing> }}"
    assert engine.insert_into("?s a <urn:x:Named>", named, EX + "g/named", EX + "Thing")[0] == 2


@pytest.mark.parametrize("name", ENGINES)
def test_construct_all_into_reads_the_graph_as_it_was_before_any_result(
    name: str, source: Path
) -> None:
    """The confidence rules of a phase run side by side (Engine.construct_all_into): each
    query reads the data as it was before any of them added to it, on either engine, and
    together they add what each adds on its own."""
    engine = loaded(name, source)
    seen = CONSTRUCT.replace("?p ?o .", "?p ?o FILTER (!isBlank(?o))")  # labels differ
    assert seen != CONSTRUCT
    seen_again = f"""PREFIX ex: <{EX}>
    CONSTRUCT {{ ?s a ex:SeenAgain }} WHERE {{ ?s a ex:Seen }}"""
    count = f"""PREFIX ex: <{EX}>
    CONSTRUCT {{ ex:count ex:n ?n }} WHERE {{ SELECT (COUNT(*) AS ?n) {{ ?s ?p ?o }} }}"""
    before = len(engine.triples(EX + "g/a"))
    triples, seen_count = engine.construct_all_into(
        [(seen, None), (seen_again, None), (count, None)], EX + "g/all", EX + "Seen"
    )
    found = {(str(s), str(p), str(o)) for s, p, o in engine.triples(EX + "g/all")}
    assert seen_count == 2 and triples == len(found)
    assert not any(o == EX + "SeenAgain" for _, _, o in found)  # Seen was not there yet
    assert (EX + "count", EX + "n", str(before)) in found
    one_by_one = loaded(name, source)
    one_by_one.construct_into(seen, None, EX + "g/all", EX + "Seen")
    alone = {(str(s), str(p), str(o)) for s, p, o in one_by_one.triples(EX + "g/all")}
    assert alone | {(EX + "count", EX + "n", str(before))} == found
