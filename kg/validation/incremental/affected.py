"""What a change touches: the focus nodes to re-check, the queries each of them can appear
in, and the predicates a query reads (to tell whether a changed triple can matter).

The focus nodes to re-check are:

- the subjects of the added and removed triples (a node whose own triples changed, or
  which gained or lost a target class), and their objects through predicates that shapes
  follow backwards (inverse paths);
- every node that reaches one of those within the longest path the compiled shapes look
  along (``Compiled.radius``: path length plus one hop for ``sh:class``, nested shapes
  included), walking the shapes' predicates backwards, in the new graph and through the
  removed triples.

A change to ``rdfs:subClassOf``, a path of unbounded length or a possible literal focus
node make the Core constraints run in full.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pyoxigraph as ox
from rdflib.namespace import RDF, RDFS
from rdflib.paths import Path as RdfPath
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import URIRef, Variable

from kg.validation.compiler import Compiled, CompiledQuery
from kg.validation.compiler.targets import fill_subclasses
from kg.validation.stores import Stores

OWN = "own"  # origin of a Core result about its own focus node

_SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
_RDF_TYPE = ox.NamedNode(str(RDF.type))
# How deep the algebra of a query is walked before it is taken to read anything.
_MAX_DEPTH = 200


def origin(i: int, cq: CompiledQuery) -> str:
    """Where a result of query ``i`` comes from: OWN for a Core query about its own focus
    nodes (re-checked per node), else the query itself (re-run whole)."""
    return OWN if cq.kind == "core" and cq.restrictable else f"query:{i}"


def affected_nodes(
    stores: Stores, compiled: Compiled, added: list[ox.Quad], removed: list[ox.Quad]
) -> set | None:
    """The focus nodes to re-check (store terms); None when the Core constraints must
    run in full."""
    if compiled.radius is None or compiled.literal_focus:
        return None
    backward = {ox.NamedNode(p) for p in compiled.inverse_predicates}
    seeds: set = set()
    for q in (*added, *removed):
        if q.predicate == _SUBCLASS_OF:
            return None
        seeds.add(q.subject)
        if q.predicate in backward and not isinstance(q.object, ox.Literal):
            seeds.add(q.object)
    return _reach(stores, compiled, seeds, removed)


def _reach(stores: Stores, compiled: Compiled, seeds: set, removed: list[ox.Quad]) -> set:
    """``seeds`` and every node within the shapes' radius of one, along the shapes'
    predicates (in the store and through the removed triples)."""
    forward = {ox.NamedNode(p) for p in compiled.predicates}
    backward = {ox.NamedNode(p) for p in compiled.inverse_predicates}
    removed_by_object: dict = {}
    removed_by_subject: dict = {}
    for q in removed:
        removed_by_object.setdefault(q.object, []).append(q)
        removed_by_subject.setdefault(q.subject, []).append(q)
    reached = set(seeds)
    frontier = set(seeds)
    for _ in range(max((compiled.radius or 0) - 1, 0)):
        step = set()
        for node in frontier:
            for q in (
                *stores.encoded.quads_for_pattern(None, None, node, None),
                *removed_by_object.get(node, ()),
            ):
                if q.predicate in forward:
                    step.add(q.subject)
            if backward:
                for q in (
                    *stores.encoded.quads_for_pattern(node, None, None, None),
                    *removed_by_subject.get(node, ()),
                ):
                    if q.predicate in backward and not isinstance(q.object, ox.Literal):
                        step.add(q.object)
        frontier = step - reached
        reached |= frontier
    return reached


def focus_by_query(stores: Stores, compiled: Compiled, nodes: set) -> dict[int, list]:
    """For each query about its own focus nodes, those of ``nodes`` its shape targets
    (by class, with the superclasses of the node's types; by node; by property)."""
    supers: dict[ox.NamedNode, set[str]] = {}

    def closure(cls: ox.NamedNode) -> set[str]:
        if cls not in supers:
            rows = stores.encoded.query(
                f"SELECT DISTINCT ?c WHERE {{ <{cls.value}> <{_SUBCLASS_OF.value}>* ?c }}",
                use_default_graph_as_union=True,
            )
            supers[cls] = {r["c"].value for r in rows if isinstance(r["c"], ox.NamedNode)}
            supers[cls].add(cls.value)
        return supers[cls]

    info = []
    for node in nodes:
        types: set[str] = set()
        for q in stores.encoded.quads_for_pattern(node, _RDF_TYPE, None, None):
            if isinstance(q.object, ox.NamedNode):
                types |= closure(q.object)
        key = f"<{node.value}>" if isinstance(node, ox.NamedNode) else None
        info.append((node, types, key))
    out: dict[int, list] = {}
    for i, cq in enumerate(compiled.queries):
        if origin(i, cq) != OWN:
            continue
        spec = cq.targets
        classes, named = set(spec.get("class", ())), set(spec.get("node", ()))
        props = [ox.NamedNode(p) for p in spec.get("subjectsOf", ())]
        hits = [
            node
            for node, types, key in info
            if not spec
            or types & classes
            or (key is not None and key in named)
            or any(next(stores.encoded.quads_for_pattern(node, p, None, None), None) for p in props)
        ]
        if hits:
            out[i] = hits
    return out


@functools.lru_cache(maxsize=512)
def query_predicates(text: str) -> frozenset[str] | None:
    """The predicate IRIs a SPARQL query's patterns (and property paths) use; None when
    a pattern has a variable predicate or the query cannot be read. Remembered per text
    for the process: rdflib's parse of one takes a fifth of a second, and a process that
    validates with a fresh cache again (an editor, the tests) has the same texts."""
    text = fill_subclasses(text, lambda cls: [cls])
    try:
        query = prepareQuery(text)
    except Exception:  # noqa: BLE001 - rdflib raises parser-specific types
        return None
    found: set[str] = set()
    if not _walk(query.algebra, found, 0):
        return None
    return frozenset(found)


def _walk(node: object, found: set[str], depth: int) -> bool:
    """Add the predicates of the patterns under ``node`` to ``found``; False when one
    is a variable (or the algebra is too deep to tell)."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(node, dict):
        triples = node.get("triples") if hasattr(node, "name") else None
        for p in _predicates_of(triples or []):
            if isinstance(p, Variable):
                return False
            _path_iris(p, found)
        return all(_walk(value, found, depth + 1) for value in list(node.values()))
    if isinstance(node, list | tuple):
        return all(_walk(value, found, depth + 1) for value in node)
    return True


def _path_iris(path: object, found: set[str]) -> None:
    """Add the IRIs of a predicate or property path to ``found``."""
    if isinstance(path, URIRef):
        found.add(str(path))
    elif isinstance(path, RdfPath):
        for attr in ("path", "args", "arg"):
            inner = getattr(path, attr, None)
            members: Iterable[object] = (
                inner if isinstance(inner, list | tuple) else [inner] if inner is not None else []
            )
            for p in members:
                _path_iris(p, found)


def _predicates_of(triples: list) -> list:
    """Predicates of a list of triples, given as 3-tuples (algebra) or as flat lists of
    terms (the parser's triples blocks inside EXISTS)."""
    out = []
    for item in triples:
        if isinstance(item, tuple | list) and len(item) == 3 and not isinstance(item[0], list):
            out.append(item[1])
        elif isinstance(item, list):
            out += [item[i] for i in range(1, len(item), 3)]
    return out
