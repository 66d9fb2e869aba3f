"""The fast publishing path gives what the straightforward one gives.

- canonical N-Quads canonicalise only the quads with blank nodes: the text must equal
  canonicalising the whole dataset (the reference below), on the review's data and on a
  synthetic review with many blank-node author lists;
- the default-view Turtle written by pyoxigraph holds exactly the union of the graphs;
- the oxigraph engine keeps the literals exactly as written (positiveInteger, 0.50).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from bench.generate import generate
from kg.build import dumps as dump_module
from kg.build.dumps import _subject_boundary, write_dumps
from kg.config import Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf import lines as line_module
from kg.rdf import nquads
from kg.rdf.engine import Engine
from kg.rdf.load import ParseError, load
from kg.rdf.nquads import canonical_dump, canonical_nquads
from kg.rdf.turtle import default_view_turtle


def reference_canonical(nquads: str) -> str:
    """pyoxigraph's canonicalisation of the whole dataset: equal for two inputs exactly
    when they are isomorphic (used to compare up to blank-node labels)."""
    dataset = ox.Dataset(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    return "\n".join(sorted({line for line in text.splitlines() if line.strip()})) + "\n"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Project:
    generated = generate(tmp_path_factory.mktemp("syn"), studies=300, seed=11)
    return Project(root=generated.root)


def in_memory(engine: Engine) -> tuple[str, str]:
    """The two dumps held in memory: canonical N-Quads, and the default view's Turtle."""
    canonical = canonical_dump(engine)
    return canonical, default_view_turtle(canonical)


def relabelled(nquads: str, seed: int) -> str:
    """The same dataset with other blank-node labels, lines shuffled."""
    import random

    lines = [re.sub(r"_:(\w+)", r"_:other\1x", line) for line in nquads.splitlines()]
    random.Random(seed).shuffle(lines)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("which", ["review", "synthetic"])
def test_canonical_dump_is_the_dataset_with_canonical_blank_node_labels(
    which: str, synthetic: Project
) -> None:
    project = Project() if which == "review" else synthetic
    engine = load(project, DEFAULT_BASE).engine
    raw = engine.dump_nquads()
    assert "_:" in raw, "the data must have blank nodes for this test to mean anything"
    fast = canonical_dump(engine)
    assert reference_canonical(fast) == reference_canonical(raw)  # the same dataset
    assert canonical_nquads(raw) == fast
    assert canonical_nquads(relabelled(raw, 1)) == fast  # labels from the data alone
    assert re.search(r"_:c[0-9a-f]{16} ", fast), "tree-shaped: kg.rdf.canon's own labels"


def test_default_view_turtle_is_the_union_of_the_graphs(synthetic: Project) -> None:
    canonical = canonical_dump(load(synthetic, DEFAULT_BASE).engine)
    union = {
        str(ox.Triple(q.subject, q.predicate, q.object))
        for q in ox.parse(canonical, format=ox.RdfFormat.N_QUADS)
    }
    text = default_view_turtle(canonical)
    # pyoxigraph keeps blank-node labels as written (_:c14n...), so triples compare as text
    parsed = {str(t) for t in ox.parse(text, format=ox.RdfFormat.TURTLE)}
    assert parsed == union
    assert len(rdflib.Graph().parse(data=text, format="turtle")) == len(union)
    head = [line for line in text.splitlines() if line.startswith("@prefix")]
    assert head == sorted(head)
    assert text == default_view_turtle(canonical)


def one_file_project(tmp_path: Path, turtle: str) -> Project:
    """A project whose only source is data/x/a.ttl holding ``turtle`` (xsd: declared)."""
    data = tmp_path / "data" / "x"
    data.mkdir(parents=True)
    (data / "a.ttl").write_text(
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n" + turtle, encoding="utf-8"
    )
    return Project(root=tmp_path, ontology_dir=tmp_path / "none")


def test_literals_are_dumped_as_written(tmp_path: Path) -> None:
    project = one_file_project(
        tmp_path,
        '<https://w3id.org/govsm/id/a> <https://w3id.org/govsm/ontology#n> "1"^^xsd:positiveInteger'
        ' , "0.50"^^xsd:decimal .\n',
    )
    dump = canonical_dump(load(project, DEFAULT_BASE).engine)
    assert '"1"^^<http://www.w3.org/2001/XMLSchema#positiveInteger>' in dump
    assert '"0.50"^^<http://www.w3.org/2001/XMLSchema#decimal>' in dump
    assert '"0.5"^^' not in dump and dump.count("\n") == 2  # not the Store's form beside it


def test_parse_error_names_file_line_and_column(tmp_path: Path) -> None:
    data = tmp_path / "data" / "x"
    data.mkdir(parents=True)
    (data / "ok.ttl").write_text("<http://a> <http://b> <http://c> .\n", encoding="utf-8")
    (data / "bad.ttl").write_text(
        '<http://a> <http://b> "x" ;\n  <http://c> <http://d> ,, .\n', encoding="utf-8"
    )
    project = Project(root=tmp_path, ontology_dir=tmp_path / "none")
    for engine in ("oxigraph", "rdflib"):
        with pytest.raises(ParseError) as info:
            load(project, DEFAULT_BASE, engine)
        assert info.value.path.name == "bad.ttl"
        assert (info.value.line, info.value.column) == (2, 26)


def test_typed_literal_on_a_blank_node_keeps_store_and_dumps_consistent(tmp_path: Path) -> None:
    """A typed literal on a blank node: the file is loaded quad by quad (one parse for the
    Store and the exact copy), so the dump's blank node is the Store's."""
    project = one_file_project(
        tmp_path,
        "<https://w3id.org/govsm/id/a> <https://w3id.org/govsm/ontology#n>"
        ' [ <https://w3id.org/govsm/ontology#v> "07"^^xsd:int ] .\n',
    )
    engine = load(project, DEFAULT_BASE).engine
    dump = canonical_dump(engine)
    assert '"07"^^<http://www.w3.org/2001/XMLSchema#int>' in dump
    lines = [line for line in dump.splitlines() if line.startswith("_:")]
    assert len(lines) == 1  # one blank node, linked to its subject: labels agree
    label = lines[0].split()[0]
    assert any(
        line.endswith(f"{label} <{DEFAULT_BASE}graph/data/x/a.ttl> .") for line in dump.splitlines()
    )
    assert len(engine.store) == 2


@pytest.mark.parametrize("batch", [None, 7])
@pytest.mark.parametrize("which", ["review", "synthetic"])
def test_streamed_dump_files_equal_the_in_memory_dumps(
    which: str,
    batch: int | None,
    synthetic: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``batch``: lines a chunk; 7 makes thousands of chunks (boundaries everywhere)."""
    if batch is not None:
        monkeypatch.setattr(dump_module, "_CHUNK", batch)
        monkeypatch.setattr(line_module, "BATCH", batch)
    project = Project() if which == "review" else synthetic
    engine = load(project, DEFAULT_BASE).engine
    written = write_dumps(tmp_path, engine).written
    canonical, turtle = in_memory(engine)
    assert (tmp_path / "govsm.nq").read_text(encoding="utf-8") == canonical
    assert (tmp_path / "govsm.ttl").read_text(encoding="utf-8") == turtle
    assert written == len(canonical.encode()) + len(turtle.encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["govsm.nq", "govsm.ttl"]


@pytest.mark.parametrize("later", ["ground", "blank", "into-a-source"])
def test_dump_lines_made_early_give_the_same_dumps(
    later: str, synthetic: Project, tmp_path: Path
) -> None:
    """The source graphs' lines made in the background right after the load
    (kg.build.dumps.start_dump_lines), then graphs added (as derivation does) and their
    lines made apart (as after the confidence stage): the same files as dumping
    everything at the end — also when a later graph has blank nodes, whose labels must
    then be canonical over the whole dataset, and when a graph whose lines were made is
    written to afterwards."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import XSD

    from kg.build.dumps import start_dump_lines
    from kg.rdf.load import load as load_project

    loaded = load_project(synthetic, DEFAULT_BASE)
    engine = loaded.engine
    prepared = start_dump_lines(engine, [s.graph for s in loaded.sources])
    prepared.result()  # made before the later graph exists
    node = BNode() if later == "blank" else URIRef(DEFAULT_BASE + "id/later")
    # "into-a-source": written into a graph whose lines were made already (stale)
    later_graph = DEFAULT_BASE + "graph/derived/later"
    engine.add(
        loaded.sources[-1].graph if later == "into-a-source" else later_graph,
        [
            (
                node,
                URIRef(DEFAULT_BASE + "ontology#n"),
                Literal("07", datatype=XSD.int, normalize=False),
            ),
            (URIRef(DEFAULT_BASE + "id/x"), URIRef(DEFAULT_BASE + "ontology#p"), node),
        ],
    )
    started = [prepared]
    if later != "into-a-source":  # the later graph's lines apart
        started.append(start_dump_lines(engine, [later_graph]))
    early, late = tmp_path / "early", tmp_path / "late"
    write_dumps(early, engine, started)
    write_dumps(late, engine)
    with pytest.raises(ValueError, match="used already"):  # its lines were rewritten
        write_dumps(tmp_path / "again", engine, [prepared])
    text = (early / "govsm.nq").read_text(encoding="utf-8")
    assert text == (late / "govsm.nq").read_text(encoding="utf-8")
    assert (early / "govsm.ttl").read_bytes() == (late / "govsm.ttl").read_bytes()
    assert text == canonical_nquads(engine.dump_nquads())
    assert reference_canonical(text) == reference_canonical(engine.dump_nquads())
    assert '"07"^^<http://www.w3.org/2001/XMLSchema#int>' in text


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 100])
def test_unique_chunks_drop_repeats_and_empty_lines_across_chunk_boundaries(
    batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(line_module, "BATCH", batch)
    lines = sorted([b"", b"", b"a", b"a", b"a", b"b", b"c", b"c", b"d", b"d", b"d", b"d", b"e"])
    chunks = list(line_module.unique_chunks(lines))
    assert b"".join(chunks) == b"a\nb\nc\nd\ne\n"
    assert all(chunks)
    assert list(line_module.unique_chunks([])) == []
    ended = b"".join(line_module.unique_chunks(lines, b" .\n"))
    assert ended == b"a .\nb .\nc .\nd .\ne .\n"


# Triples one of which begins another, in several graphs: a literal and the same
# literal typed or tagged, blank-node labels one of which begins another, a literal
# holding " <g> .", a shorter object IRI.
_QUADS = [
    b'<s> <p> "a" <g1> .',
    b'<s> <p> "a" <g2> .',
    b'<s> <p> "a"@en <g1> .',
    b'<s> <p> "a"^^<http://www.w3.org/2001/XMLSchema#token> <g2> .',
    b'<s> <p> "a <g1> ." <g1> .',
    b'<s> <p> "a <g1> ." <g3> .',
    b"<s> <p> _:b1 <g1> .",
    b"<s> <p> _:b12 <g1> .",
    b"<s> <p> _:b12 <g2> .",
    b"_:b1 <p> <o> <g2> .",
    b"_:b12 <p> <o> <g1> .",
    b"<s> <p> <o> <g3> .",
    b"<s> <p> <o/> <g1> .",
    b"<s> <q> <o> <g1> .",
    b"<s> <q> <o> <g2> .",
    b"<s> <q> <o> <g3> .",
]


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 100])
def test_triple_chunks_of_sorted_quads_are_the_sorted_unique_triples(
    batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Turtle writers and the site's facts take the triples straight from the sorted
    N-Quads lines (kg.rdf.lines.triple_chunks): they must come sorted and each once,
    across batch boundaries and from any start."""
    monkeypatch.setattr(line_module, "BATCH", batch)
    lines = sorted(_QUADS)
    expected = sorted(set(line_module.triples_of(lines)))
    assert b"".join(line_module.triple_chunks(lines)) == b"".join(t + b" .\n" for t in expected)
    half = _subject_boundary(lines, len(lines) // 2)  # as write_dumps splits them
    assert 0 < half < len(lines)
    first = b"".join(line_module.triple_chunks(lines, 0, half))
    second = b"".join(line_module.triple_chunks(lines, half))
    assert first + second == b"".join(t + b" .\n" for t in expected)
    assert list(line_module.triple_chunks([])) == []


def test_triples_of_lines_cut_the_graph_name_and_the_end() -> None:
    lines = [b"", b'<s> <p> "o <x> ." <g> .', b"<s> <p> <o> <http://g/1> ."]
    assert line_module.triples_of(lines) == [b'<s> <p> "o <x> ."', b"<s> <p> <o>"]


def test_graph_lines_of_a_plain_graph_split_at_line_ends_are_its_quads(tmp_path: Path) -> None:
    """A graph with neither blank nodes nor literals kept as written is split at the
    Store's line ends: its lines must be what serialising its quads gives,
    also for literals that hold " .", escaped line ends, quotes and other scripts."""
    from kg.rdf.engine import OxigraphEngine

    data = tmp_path / "plain.ttl"
    data.write_text(
        "@prefix ex: <https://example.org/> .\n"
        'ex:a ex:p "ends with ." , "two\\nlines .\\n" , "quote \\" ." , "été 漢 ." ;\n'
        "    ex:q ex:b , <https://example.org/c%20d> .\n"
        'ex:b ex:p "x" .\n',
        encoding="utf-8",
    )
    engine = OxigraphEngine()
    engine.load(data, "https://example.org/g")
    assert engine.dataset.exact_for("https://example.org/g") == []
    out = nquads.graph_lines(engine, ["https://example.org/g"])
    expected = ox.serialize(
        list(engine.store.quads_for_pattern(None, None, None, None)),
        format=ox.RdfFormat.N_QUADS,
    ).split(b"\n")
    assert sorted(line for line in out.ground if line) == sorted(line for line in expected if line)
    assert len(out.ground) == 7 and not out.blank


def test_a_triple_stated_twice_is_dumped_once(tmp_path: Path) -> None:
    """The quads as written keep a repeated statement twice (the Store keeps it once):
    the N-Quads dump, written without a dedupe pass, must still have each line once."""
    from kg.rdf.engine import OxigraphEngine

    data = tmp_path / "twice.ttl"
    data.write_text(
        "@prefix ex: <https://example.org/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'ex:a ex:n "07"^^xsd:int , "07"^^xsd:int ; ex:l "x"@EN , "x"@EN ; ex:p ex:b .\n'
        'ex:a ex:n "07"^^xsd:int .\n'
        '[] ex:n "08"^^xsd:int , "08"^^xsd:int ; ex:p ex:b .\n',
        encoding="utf-8",
    )
    engine = OxigraphEngine()
    engine.load(data, "https://example.org/g")
    assert len(engine.dataset.exact_for("https://example.org/g")) > 3  # repeats kept
    write_dumps(tmp_path / "out", engine)
    lines = (tmp_path / "out" / "govsm.nq").read_bytes().split(b"\n")
    assert lines[-1] == b"" and b"" not in lines[:-1]
    assert lines[:-1] == sorted(set(lines[:-1]))
    assert (tmp_path / "out" / "govsm.nq").read_text(encoding="utf-8") == canonical_nquads(
        engine.dump_nquads()
    )


def test_graph_lines_of_graphs_without_blank_nodes_have_none_to_label(synthetic: Project) -> None:
    """A graph without blank nodes (as derivation writes) must not make the dumps label
    every blank node of the dataset again (kg.rdf.nquads.dataset_lines)."""
    loaded = load(synthetic, DEFAULT_BASE)
    with_blank = nquads.graph_lines(loaded.engine, [s.graph for s in loaded.sources])
    assert with_blank.blank and with_blank.blank_lines
    assert all(line for line in with_blank.blank)
    plain = [s.graph for s in loaded.sources if s.rel.endswith("evidence.ttl")]
    assert plain, [s.rel for s in loaded.sources]
    none = nquads.graph_lines(loaded.engine, plain)
    assert none.ground and none.blank == [] and none.blank_lines == []


def test_turtle_child_writes_the_in_memory_turtle(tmp_path: Path) -> None:
    from kg.rdf.turtle import TurtleWriter

    nt = b'<http://example.org/s> <http://purl.org/dc/terms/title> "T" .\n'
    writer = TurtleWriter(tmp_path / "out.ttl")
    writer.feed([nt[:20], nt[20:]])
    size = writer.finish()
    writer.stop()
    text = (tmp_path / "out.ttl").read_bytes()
    assert (
        size == len(text)
        and text == default_view_turtle(nt.decode().replace(" .", " <g> .")).encode()
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]  # no scratch left


def test_turtle_child_failure_is_an_error_with_its_message(tmp_path: Path) -> None:
    from kg.rdf.turtle import TurtleWriter

    writer = TurtleWriter(tmp_path / "out.ttl")
    writer.feed([b"<http://example.org/s> not n-triples .\n"])
    with pytest.raises(RuntimeError, match="out.ttl failed: .*"):
        writer.finish()
    writer.stop()


def test_a_failed_dump_stops_the_turtle_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.rdf import turtle

    started: list[turtle.TurtleWriter] = []
    real = turtle.TurtleWriter

    def keep(target: Path, body_only: bool = False) -> turtle.TurtleWriter:
        started.append(real(target, body_only))
        return started[-1]

    def explode(*_args: object) -> list[bytes]:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(dump_module, "TurtleWriter", keep)
    monkeypatch.setattr(dump_module, "dataset_lines", explode)
    engine = load(Project(), DEFAULT_BASE, "rdflib").engine
    with pytest.raises(OSError, match="simulated"):
        write_dumps(tmp_path, engine)
    assert len(started) == 2 and all(w._process.poll() is not None for w in started)


def test_only_graphs_with_literals_the_store_may_rewrite_are_parsed_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg.rdf import engine as engine_module
    from kg.rdf.engine import OxigraphEngine

    plain = tmp_path / "plain.ttl"
    plain.write_text(
        '<http://example.org/s> <http://example.org/p> "text", <http://example.org/o> .\n'
    )
    shorthand = tmp_path / "shorthand.ttl"  # an integer and a language tag, neither quoted typed
    shorthand.write_text(
        '<http://example.org/s> <http://example.org/n> 007 ; <http://example.org/l> "x"@EN .\n'
    )
    parsed: list[str] = []
    real_parse = engine_module.ox.parse

    def counting(*args: object, **kwargs: object) -> object:
        parsed.append(str(kwargs.get("path")))
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(engine_module.ox, "parse", counting)
    engine = OxigraphEngine()
    engine.load(plain, "http://example.org/g/plain")
    engine.load(shorthand, "http://example.org/g/shorthand")
    assert parsed == [str(shorthand)]
    text = canonical_dump(engine)
    assert '"007"^^<http://www.w3.org/2001/XMLSchema#integer>' in text
    assert '"x"@en' in text and '"text"' in text  # (the parser lower-cases tags)


@pytest.mark.parametrize("at", [0, 1, 2, 3, 4, 5, 6])
def test_subject_boundary_never_splits_a_subject(at: int) -> None:
    triples = [
        b"<a> <p> 1 .",
        b"<a> <q> 2 .",
        b"<b> <p> 1 .",
        b"<c> <p> 1 .",
        b"<c> <q> 2 .",
        b"<c> <r> 3 .",
    ]
    cut = dump_module._subject_boundary(triples, at)
    assert at <= cut <= len(triples)
    assert cut in (0, 2, 3, 6)  # the places where a subject begins, or the end
    assert cut == min(c for c in (0, 2, 3, 6) if c >= at)


def test_turtle_halves_put_end_to_end_equal_the_whole(tmp_path: Path) -> None:
    from kg.rdf.turtle import TurtleWriter

    engine = load(Project(), DEFAULT_BASE).engine
    canonical, turtle = in_memory(engine)
    triples = sorted(set(line_module.triples_of(canonical.encode().splitlines())))
    half = dump_module._subject_boundary(triples, len(triples) // 2)
    assert 0 < half < len(triples)
    parts = []
    for i, (chunk, body) in enumerate([(triples[:half], False), (triples[half:], True)]):
        writer = TurtleWriter(tmp_path / f"part{i}.ttl", body_only=body)
        writer.feed([b" .\n".join(chunk) + b" .\n"])
        writer.finish()
        parts.append((tmp_path / f"part{i}.ttl").read_text(encoding="utf-8"))
    assert not parts[1].startswith("@prefix") and parts[0].startswith("@prefix")
    assert parts[0] + parts[1] == turtle
