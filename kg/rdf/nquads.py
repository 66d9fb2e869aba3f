"""Canonical N-Quads: of N-Quads text, and of everything an engine holds.

Canonical means: blank nodes get labels computed from the data alone (kg.rdf.canon),
lines are sorted and unique, literals are as written (kg.rdf.literals), so the same data
always gives the same bytes. Only the quads that mention a blank node take part in
canonicalisation: a blank node's label is a function of the quads that mention it (and,
through them, of other blank nodes), never of ground quads, so ground quads are written
as they are and the (much smaller) rest is canonicalised — the same text as
canonicalising the whole dataset (tested), at a fraction of the cost. Lines are bytes
(kg.rdf.lines).

An engine's lines are made from its own dump of each graph (Engine.graph_dump: on the
oxigraph engine the Store writes it, no Python object per quad), a few graphs at a time
if need be: :func:`graph_lines` for some graphs (e.g. ahead, in a thread, for graphs that
will not change any more), :func:`dataset_lines` for the whole dataset, reusing those.
Given a folder to spill to, a large dataset's lines go to sorted runs on disk
(kg.rdf.runs) as they are made, instead of all staying in memory beside the Store.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.rdf.canon import canonical_blank_lines, split_line
from kg.rdf.engine import Engine
from kg.rdf.lines import line_blocks, sorted_unique, unique
from kg.rdf.literals import rewritable, rewritable_line, rewritable_triple
from kg.rdf.runs import SPILL_LINES, write_run

#: Quads serialised at a time.
_BATCH = 200_000
#: Bytes of a graph's dump split into lines at a time.
_DUMP_BLOCK = 1 << 25


def canonical_nquads(nquads: str) -> str:
    """Canonical N-Quads of N-Quads text."""
    lines = _quad_lines(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    return sorted_unique(lines).decode("utf-8")


def canonical_dump(engine: Engine) -> str:
    """Canonical N-Quads of everything an engine holds (its named graphs), literals
    exactly as loaded."""
    return sorted_unique(dataset_lines(engine).lines).decode("utf-8")


def _has_blank(quad: ox.Quad) -> bool:
    return (
        isinstance(quad.subject, ox.BlankNode | ox.Triple)
        or isinstance(quad.object, ox.BlankNode | ox.Triple)
        or isinstance(quad.graph_name, ox.BlankNode)
    )


def _quad_lines(quads: Iterable[ox.Quad]) -> list[bytes]:
    """The lines of the canonical N-Quads of ``quads``, unsorted. Ground quads are
    serialised a batch at a time, so neither a list of them nor the whole serialisation
    is ever held next to the lines."""
    lines: list[bytes] = []
    blank: list[ox.Quad] = []
    batch: list[ox.Quad] = []
    for quad in quads:
        if _has_blank(quad):
            blank.append(quad)
            continue
        batch.append(quad)
        if len(batch) >= _BATCH:
            lines += ox.serialize(batch, format=ox.RdfFormat.N_QUADS).split(b"\n")
            batch = []
    lines += ox.serialize(batch, format=ox.RdfFormat.N_QUADS).split(b"\n")
    blank_lines = ox.serialize(blank, format=ox.RdfFormat.N_QUADS).split(b"\n")
    return lines + canonical_blank_lines(blank_lines)


@dataclass
class GraphLines:
    """The canonical N-Quads lines of some graphs of an engine, unsorted, each once and
    none empty (the dumps rely on it): the ground ones, the lines with a blank node apart
    (their labels come from canonicalising every such line of the dataset together), and
    those canonicalised on their own (right when no other graph has a blank node)."""

    graphs: set[str] = field(default_factory=set)
    ground: list[bytes] = field(default_factory=list)
    blank: list[bytes] = field(default_factory=list)
    blank_lines: list[bytes] = field(default_factory=list)
    #: the ground lines spilled to disk (graph_lines ``spill``), sorted runs
    runs: list[Path] = field(default_factory=list)
    #: handed over (dataset_lines): its lists then belong to the caller
    taken: bool = False
    #: the engine's write count of each graph when its lines were made
    writes: dict[str, int] = field(default_factory=dict)


def graph_lines(
    engine: Engine, graphs: Iterable[str], sort: bool = False, spill: Path | None = None
) -> GraphLines:
    """The lines of ``graphs``, a graph at a time (the whole dump is never held next to
    its lines): every line of the engine's own dump is kept as written there except
    lines with a rewritable literal (replaced by the quads as loaded, kg.rdf.literals);
    lines mentioning a blank node are kept apart for canonical labels (kg.rdf.canon).
    ``sort``: the ground lines sorted (as dataset_lines merges them). ``spill``: a
    folder where the ground lines go in sorted runs once they reach SPILL_LINES (the
    rest too, then)."""
    out = GraphLines()
    ground_quads: list[ox.Quad] = []
    blank_quads: list[ox.Quad] = []
    for name in graphs:
        out.graphs.add(name)
        out.writes[name] = engine.writes.get(name, 0)
        for quad in _add_dump(out, engine, name, spill):
            (blank_quads if _has_blank(quad) else ground_quads).append(quad)
        _spill_full(out, spill)
    # the quads as written may repeat one (a file may state a triple twice); the engine's
    # own lines never do, nor meet these (those it may have rewritten are left out)
    written = unique(ox.serialize(ground_quads, format=ox.RdfFormat.N_QUADS).split(b"\n"))
    out.ground += written
    if blank_quads:  # (an empty list here would still count as blank nodes to label)
        out.blank += ox.serialize(blank_quads, format=ox.RdfFormat.N_QUADS).split(b"\n")[:-1]
    out.blank_lines = unique(canonical_blank_lines(out.blank))
    if spill is not None and out.runs and out.ground:
        out.runs.append(write_run(spill, out.ground))
        out.ground = []
    if sort:
        out.ground.sort()
    return out


def _spill_full(out: GraphLines, spill: Path | None) -> None:
    """Move the ground lines of ``out`` to a sorted run in ``spill`` once they reach
    SPILL_LINES."""
    if spill is not None and len(out.ground) >= SPILL_LINES:
        out.runs.append(write_run(spill, out.ground))
        out.ground = []


def _add_dump(
    out: GraphLines, engine: Engine, name: str, spill: Path | None = None
) -> list[ox.Quad]:
    """Add the lines of one graph's dump (Engine.graph_dump) to ``out``, the graph name
    appended (spilled as they reach SPILL_LINES, see graph_lines); return the quads to
    serialise here: those of the lines not written as pyoxigraph writes lines (parsed,
    but those with a rewritable literal), then the quads as written."""
    graph = ox.NamedNode(name)
    suffix = b" " + str(graph).encode("utf-8") + b" ."
    data, exact = engine.graph_dump(name)
    if b"_:" not in data and data.endswith(b" .\n"):
        # no blank node: every line as the engine wrote it, split at the line ends (no
        # Python work per line but the join), less those with a literal kept as written
        # (its quads as written come back instead); only a line with a '"' may be one.
        # A block at a time: a graph of millions of lines is never held as lines twice.
        for block in line_blocks(io.BytesIO(data), _DUMP_BLOCK):
            triples = block[:-3].split(b" .\n")
            if exact:
                triples = [t for t in triples if b'"' not in t or not rewritable_triple(t)]
            out.ground += [triple + suffix for triple in triples]
            _spill_full(out, spill)
        return exact
    unsplit = []
    for line in data.split(b"\n"):
        if b"_:" in line:  # "_:" may also stand inside a literal or an IRI
            terms = split_line(line)
            if terms is None:
                unsplit.append(line)
            elif not rewritable_line(line):
                if terms[0].startswith(b"_:") or terms[2].startswith(b"_:"):
                    out.blank.append(line[:-2] + suffix)
                else:
                    out.ground.append(line[:-2] + suffix)
        elif line and not rewritable_line(line):
            out.ground.append(line[:-2] + suffix)  # "<s> <p> <o> ." -> "... <g> ."
    del data
    parsed = ox.parse(b"\n".join(unsplit), format=ox.RdfFormat.N_TRIPLES) if unsplit else ()
    kept = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in parsed]
    return [q for q in kept if not rewritable(q.object)] + exact


@dataclass
class DatasetLines:
    """The lines of the canonical N-Quads of a dataset, each once and none empty: in
    memory, unsorted, or, when they were too many to hold (graph_lines ``spill``), all
    in sorted runs on disk (kg.rdf.runs)."""

    lines: list[bytes]
    runs: list[Path] = field(default_factory=list)


def dataset_lines(
    engine: Engine, prepared: Sequence[GraphLines] = (), spill: Path | None = None
) -> DatasetLines:
    """The lines of the canonical N-Quads of everything ``engine`` holds (once sorted,
    their triples are the default view's in order: kg.rdf.lines.triple_chunks).

    ``prepared``: the lines of some graphs made earlier (graph_lines), the others are
    made now; if the engine has written to one of those graphs since, every line is made
    again. Prepared lines are used once: the returned list is theirs (no copy of millions
    of lines at scale). ``spill``: a folder for sorted runs, used when a dataset is large
    (graph_lines); then every line goes to a run."""
    for done in prepared:
        if done.taken:  # the lines are sorted and rewritten in place by the dumps
            raise ValueError("these prepared dump lines were used already: prepare them again")
        done.taken = True
    parts = list(prepared)
    if any(engine.writes.get(g, 0) != n for done in parts for g, n in done.writes.items()):
        parts = []  # a graph changed since: make every line now
    # (the named graphs only, as in Engine.dump_nquads: nothing writes to the default graph)
    made = {g for done in parts for g in done.graphs}
    parts.append(graph_lines(engine, sorted(set(engine.graphs()) - made), spill=spill))
    # blank-node labels are canonical over the whole dataset
    with_blank = [done for done in parts if done.blank]
    if len(with_blank) == 1:
        blank_lines = with_blank[0].blank_lines
    else:
        blank_lines = unique(canonical_blank_lines([b for done in with_blank for b in done.blank]))
    runs = [run for done in parts for run in done.runs]
    lines = parts[0].ground
    for done in parts[1:]:
        lines += done.ground
    lines += blank_lines
    for done in parts:  # the caller's now: freed when it is done with them
        done.ground, done.blank, done.blank_lines, done.runs = [], [], [], []
    if runs:
        if lines:
            runs.append(write_run(spill or runs[0].parent, lines))
        return DatasetLines([], runs)
    return DatasetLines(lines)
