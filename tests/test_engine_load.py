"""Loading files into the oxigraph engine with the scans beside the loads.

Inside ``OxigraphEngine.loading()`` each file is bulk-loaded by the Store and scanned for
the quads whose literal the Store rewrites in a thread, while the next file loads. The
result must be what loading the files one after another without the thread gives: the
same quads in the Store, the same quads as written (``dataset``), the same graphs
loaded quad by quad (a blank subject with such a literal), and a syntax error still
names its file and line.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf.engine import OxigraphEngine, make_engine
from kg.rdf.load import ParseError

G = "https://example.org/graph/"

_FILES = {
    # typed literals on named subjects: bulk-loaded, the written forms kept apart
    "a.ttl": """
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:s1 ex:n "07"^^xsd:positiveInteger , "7"^^xsd:integer ; ex:l "Hi"@EN-gb ; ex:t "text" .
""",
    # nothing the Store rewrites: no second parse needed
    "b.ttl": """
@prefix ex: <https://example.org/> .
ex:s2 ex:p ex:o ; ex:t "plain" .
""",
    # a blank subject with a rewritten literal: the graph is loaded quad by quad
    "c.ttl": """
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] ex:n "010"^^xsd:int ; ex:q [ ex:d "1.50"^^xsd:decimal ] .
""",
    "d.ttl": """
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:s4 ex:y "2020"^^xsd:gYear .
""",
}


def _files(tmp_path: Path) -> list[tuple[Path, str]]:
    out = []
    for name, text in _FILES.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out.append((path, G + name))
    return out


def _state(engine: OxigraphEngine) -> tuple:
    """What the engine holds, with blank nodes canonicalised (labels differ per load)."""

    def canonical(quads: list[ox.Quad]) -> set[ox.Quad]:
        dataset = ox.Dataset(quads)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        return set(dataset)

    store = canonical(list(engine.store))
    written = canonical(list(engine.dataset))
    return store, written, frozenset(engine.quad_by_quad), dict(engine.writes)


def test_loads_with_scans_in_a_thread_equal_loads_one_after_another(tmp_path: Path) -> None:
    files = _files(tmp_path)
    alone = OxigraphEngine()
    for path, graph in files:
        alone.load(path, graph)
    beside = OxigraphEngine()
    with beside.loading():
        for path, graph in files:
            beside.load(path, graph)
    assert _state(beside) == _state(alone)
    assert beside.quad_by_quad == {G + "c.ttl"}
    written = {q.object for q in beside.dataset.exact_for(G + "a.ttl")}
    assert (
        ox.Literal("07", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#positiveInteger"))
        in written
    )
    assert ox.Literal("Hi", language="EN-gb") in written
    assert beside.dataset.exact_for(G + "b.ttl") == []
    # the Store itself holds its own forms ("07" positiveInteger as 7 integer)
    assert not any(q.object.value == "07" for q in beside.store if isinstance(q.object, ox.Literal))


def test_a_syntax_error_names_its_file_and_stops_the_scans(tmp_path: Path) -> None:
    from kg.config import Project
    from kg.rdf.load import load

    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    (root / "ontology").mkdir()
    for name, text in _FILES.items():
        (root / "data" / name).write_text(text, encoding="utf-8")
    (root / "data" / "e.ttl").write_text("@prefix ex: <https://example.org/> .\nex:s ex:p .\n")
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(ParseError) as caught:
        load(Project(root=root), "https://w3id.org/govsm/")
    assert caught.value.path.name == "e.ttl" and caught.value.line == 2
    left = {t.name for t in threading.enumerate()} - before
    assert not [name for name in left if name.startswith("govsm-scan")]


def test_files_with_typed_literals_load_first_and_the_rest_keep_their_order(
    tmp_path: Path,
) -> None:
    """Their scans then run beside the later loads; nothing else about a source changes."""
    from kg.rdf.load import Source, _load_order

    texts = {
        "1.ttl": "<https://e.org/s> <https://e.org/p> <https://e.org/o> .\n",
        "2.ttl": '<https://e.org/s> <https://e.org/p> "1"^^<https://e.org/t> .\n',
        "3.ttl": '<https://e.org/s> <https://e.org/p> "plain" .\n',
        "4.ttl": '<https://e.org/s> <https://e.org/p> "hi"@en .\n',
    }
    sources = []
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        sources.append(Source(tmp_path / name, f"data/{name}", G + name, "data"))
    first = _load_order(OxigraphEngine(), sources)
    assert [s.path.name for s in first] == ["2.ttl", "4.ttl", "1.ttl", "3.ttl"]
    # an engine that loads every file alike keeps the order discovered
    assert _load_order(make_engine("rdflib"), sources) == sources


def test_a_datatype_marker_across_two_blocks_is_seen(tmp_path: Path) -> None:
    from kg.rdf.load import Source, _load_order

    path = tmp_path / "big.ttl"
    lead = b"# " + b"x" * ((1 << 20) - 43) + b"\n"  # the first block ends inside "^^"
    path.write_bytes(lead + b'<https://e.org/s> <https://e.org/p> "1"^^<https://e.org/t> .\n')
    plain = tmp_path / "plain.ttl"
    plain.write_text("<https://e.org/s> <https://e.org/p> <https://e.org/o> .\n")
    sources = [
        Source(plain, "data/plain.ttl", G + "plain", "data"),
        Source(path, "data/big.ttl", G + "big", "data"),
    ]
    assert path.read_bytes().index(b"^^") == (1 << 20) - 1
    assert [s.path.name for s in _load_order(OxigraphEngine(), sources)] == ["big.ttl", "plain.ttl"]
