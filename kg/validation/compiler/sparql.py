"""SPARQL-based constraints (``sh:sparql`` with ``sh:select``) at the top level: the
query joined with the shape's targets on ``$this``.

Pre-binding ``$this`` is a join as long as the query binds ``$this`` in a triple pattern
and projects it; anything else (``$currentShape``, ``$shapesGraph``, ``$PATH`` in a
path, ``SELECT *`` without ``$this``...) is not compiled.
"""

from __future__ import annotations

import re

import rdflib
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from kg.validation.compiler.base import Context, NotCompiled, Top, is_true, messages, query_for
from kg.validation.compiler.compiled import CompiledQuery

_PREFIX_DECL = re.compile(r"^\s*(PREFIX|BASE)\b", re.IGNORECASE | re.MULTILINE)
_VAR = re.compile(r"[?$](\w+)")
_THIS = re.compile(r"[?$]this\b")
_UNSUPPORTED = re.compile(r"\b(LIMIT|OFFSET|VALUES|MINUS)\b", re.IGNORECASE)
_SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


def sparql_queries(ctx: Context, top: Top) -> list[CompiledQuery]:
    """One query per active ``sh:sparql`` constraint of ``top``'s shape."""
    g = ctx.shapes
    out: list[CompiledQuery] = []
    for cons in g.objects(top.shape, SH.sparql):
        if is_true(g, cons, SH.deactivated):
            continue
        sparql, projected = _joined(g, cons, top.targets)
        out.append(
            query_for(
                ctx,
                top,
                SH.SPARQLConstraintComponent,
                sparql,
                kind="sparql",
                path_var="path" in projected,
                sparql_message=messages(g, cons),
                radius=None,
                # only an IRI: a blank node's label would not survive a reload of the
                # shapes (the incremental cache keeps results across runs)
                constraint=str(cons) if isinstance(cons, URIRef) else "",
            )
        )
    return out


def _joined(g: Graph, cons: rdflib.term.Node, targets: str) -> tuple[str, list[str]]:
    """The constraint's SELECT joined with the targets, and the variables it projects
    besides ``this``."""
    select = g.value(cons, SH.select)
    if select is None:
        raise NotCompiled("sh:sparql without sh:select")
    text = str(select)
    names = set(_VAR.findall(text))
    if names & {"currentShape", "shapesGraph", "PATH"}:
        raise NotCompiled("sh:sparql using $currentShape, $shapesGraph or $PATH")
    head = text.split("{", 1)[0]
    if not _THIS.search(head) or _UNSUPPORTED.search(text):
        raise NotCompiled(
            "sh:sparql whose SELECT does not project $this, or uses LIMIT/OFFSET/VALUES/MINUS"
        )
    if _SERVICE.search(text):
        raise NotCompiled("sh:sparql with SERVICE")
    prefixes = _prefix_block(g, cons)
    if _PREFIX_DECL.search(text):
        raise NotCompiled("sh:sparql with its own PREFIX/BASE declarations")
    projected = sorted(set(_VAR.findall(head)) - {"this"})
    head_vars = " ".join("?" + v for v in projected)
    # Each focus node once (a node can match several targets), as pySHACL has it.
    focus = f"{{ SELECT DISTINCT ?this WHERE {{ {targets} }} }}"
    return f"{prefixes}SELECT ?this {head_vars} WHERE {{ {focus} {{ {text} }} }}", projected


def _prefix_block(g: Graph, cons: rdflib.term.Node) -> str:
    lines = []
    for ont in g.objects(cons, SH.prefixes):
        for decl in g.objects(ont, SH.declare):
            prefix, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(sorted(set(lines)))
