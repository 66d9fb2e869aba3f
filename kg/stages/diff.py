"""Diff: what changed between two builds (or releases) of a review — the studies, evidence
items, quotes, context assessments and derived classifications added, removed or changed,
each with what changed (a quote's words, an assessment's status, the direction a
classification moved to).

Each side is a build's ``govsm.nq``, read into a store of its own; graph names are
ignored (a statement moved between files is no change). A resource is compared by its own
statements, blank nodes followed (an author list), other resources by IRI: an evidence
item whose quote changed is unchanged itself, the quote is reported. The changes are
data: as text, CSV, or RDF in schema.org's actions (``schema:AddAction``,
``schema:DeleteAction``, ``schema:UpdateAction``, ``schema:object`` the resource).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.prefixes import PREFIXES, compact

GOVSM, OA, RDF = PREFIXES["govsm"], PREFIXES["oa"], PREFIXES["rdf"]
#: What a diff compares: kind -> the class whose instances are that kind.
KINDS = {
    "study": GOVSM + "Study",
    "evidence item": GOVSM + "EvidenceItem",
    "quote": OA + "TextQuoteSelector",
    "context assessment": GOVSM + "ContextAssessment",
    "classification": GOVSM + "DerivedClassification",
}
# The one statement whose change says what changed, per kind (else: which properties).
_TELLING = {
    "quote": OA + "exact",
    "context assessment": GOVSM + "conditionStatus",
    "classification": GOVSM + "hasDirection",
}
_LABELS = (
    PREFIXES["dcterms"] + "title",
    PREFIXES["rdfs"] + "label",
    PREFIXES["skos"] + "prefLabel",
    OA + "exact",
)
_MAX_DEPTH = 64  # blank-node nesting followed (RDF lists of authors are far shorter)

Signature = tuple[tuple[str, object], ...]


class DiffError(ValueError):
    """A side of the diff that cannot be read (no govsm.nq, not N-Quads)."""


@dataclass(frozen=True)
class Change:
    """One resource added, removed or changed; ``detail`` says what changed."""

    kind: str
    change: str  # added, removed, changed
    iri: str
    label: str
    detail: str = ""


def read_side(path: Path) -> ox.Store:
    """The store of a build folder's (or a release's) ``govsm.nq``, or of that file."""
    nq = path / "govsm.nq" if path.is_dir() else path
    if not nq.is_file():
        raise DiffError(f"{path}: no govsm.nq (a build folder, a release folder, or the file)")
    store = ox.Store()
    try:
        store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    except (SyntaxError, ValueError, OSError) as exc:
        raise DiffError(f"{nq}: not N-Quads ({exc})") from exc
    return store


def _signature(store: ox.Store, node: ox.NamedNode | ox.BlankNode, depth: int = 0) -> Signature:
    """The node's statements (predicate, object), blank objects by their own signature."""
    said = set()
    for quad in store.quads_for_pattern(node, None, None, None):
        obj = quad.object
        if isinstance(obj, ox.BlankNode) and depth < _MAX_DEPTH:
            value: object = ("_", _signature(store, obj, depth + 1))
        else:
            value = str(obj)
        said.add((quad.predicate.value, value))
    return tuple(sorted(said, key=repr))


def _instances(store: ox.Store, cls: str) -> set[str]:
    kind = ox.NamedNode(cls)
    return {
        q.subject.value
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"), kind, None)
        if isinstance(q.subject, ox.NamedNode)
    }


def _label(store: ox.Store, iri: str) -> str:
    for predicate in _LABELS:
        for quad in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None, None):
            text = quad.object.value
            return text if len(text) <= 80 else text[:77] + "..."
    return compact(iri)


def _values(signature: Signature, predicate: str) -> str:
    found = sorted(str(v) for p, v in signature if p == predicate)
    return ", ".join(compact(v.strip("<>")) if v.startswith("<") else v for v in found) or "none"


def _detail(kind: str, old: Signature, new: Signature) -> str:
    """What changed between two signatures of one resource."""
    telling = _TELLING.get(kind)
    if telling is not None and _values(old, telling) != _values(new, telling):
        return f"{compact(telling)}: {_values(old, telling)} -> {_values(new, telling)}"
    changed = sorted({p for p, _ in set(old) ^ set(new)})
    return "changed: " + ", ".join(compact(p) for p in changed)


def diff(old: ox.Store, new: ox.Store) -> list[Change]:
    """Every resource of the compared kinds added, removed or changed, by kind and IRI."""
    changes: list[Change] = []
    for kind, cls in KINDS.items():
        before, after = _instances(old, cls), _instances(new, cls)
        for iri in sorted(after - before):
            changes.append(Change(kind, "added", iri, _label(new, iri)))
        for iri in sorted(before - after):
            changes.append(Change(kind, "removed", iri, _label(old, iri)))
        for iri in sorted(before & after):
            was, now = (_signature(s, ox.NamedNode(iri)) for s in (old, new))
            if was != now:
                changes.append(
                    Change(kind, "changed", iri, _label(new, iri), _detail(kind, was, now))
                )
    return changes


def as_text(changes: list[Change]) -> str:
    """A line per change, grouped by kind, and a count per kind and change."""
    if not changes:
        return "no change in studies, evidence items, quotes, assessments or classifications\n"
    lines = []
    for kind in KINDS:
        mine = [c for c in changes if c.kind == kind]
        if not mine:
            continue
        counts = ", ".join(
            f"{sum(1 for c in mine if c.change == what)} {what}"
            for what in ("added", "removed", "changed")
            if any(c.change == what for c in mine)
        )
        lines.append(f"{kind}: {counts}")
        for c in mine:
            detail = f" — {c.detail}" if c.detail else ""
            lines.append(f"  {c.change:8} {compact(c.iri)} ({c.label}){detail}")
    return "\n".join(lines) + "\n"


def as_csv(changes: list[Change]) -> str:
    """The changes as CSV: kind, change, iri, label, detail."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "change", "iri", "label", "detail"])
    writer.writerows([c.kind, c.change, c.iri, c.label, c.detail] for c in changes)
    return out.getvalue()


_ACTIONS = {"added": "AddAction", "removed": "DeleteAction", "changed": "UpdateAction"}


def as_turtle(changes: list[Change]) -> str:
    """The changes as schema.org actions, one blank node each, in Turtle."""
    schema = PREFIXES["schema"]
    triples = []
    for n, c in enumerate(changes):
        action = ox.BlankNode(f"change{n}")
        triples += [
            ox.Triple(
                action, ox.NamedNode(RDF + "type"), ox.NamedNode(schema + _ACTIONS[c.change])
            ),
            ox.Triple(action, ox.NamedNode(schema + "object"), ox.NamedNode(c.iri)),
            ox.Triple(action, ox.NamedNode(schema + "name"), ox.Literal(f"{c.kind}: {c.label}")),
        ]
        if c.detail:
            triples.append(
                ox.Triple(action, ox.NamedNode(schema + "description"), ox.Literal(c.detail))
            )
    prefixes = {"schema": schema}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode("utf-8")


@dataclass(frozen=True)
class ReleaseEntry:
    """One release of a releases folder: its version, date and what changed since the
    release before it."""

    version: str
    date: str | None
    changes: str


_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def _version_key(version: str) -> tuple:
    found = _VERSION.match(version)
    numbers = tuple(int(n) for n in found.groups()) if found else (-1, -1, -1)
    # a pre-release (1.0.0-rc1) before its release (1.0.0)
    return (*numbers, version == (found.group(0) if found else ""), version)


def summary(changes: list[Change]) -> str:
    """The changes counted per kind and change, in a line."""
    if not changes:
        return "no change in studies, evidence items, quotes, assessments or classifications"
    parts = []
    for kind in KINDS:
        for what in ("added", "removed", "changed"):
            n = sum(1 for c in changes if c.kind == kind and c.change == what)
            if n:
                parts.append(f"{kind}: {n} {what}")
    return "; ".join(parts)


def release_history(releases: Path) -> list[ReleaseEntry]:
    """The releases under ``releases`` (``govsm release``'s folders), newest first, each
    with its date (its RO-Crate's ``datePublished``) and a summary of its diff from the
    release before it."""
    if not releases.is_dir():
        return []
    found = [d for d in releases.iterdir() if (d / "govsm.nq").is_file()]
    entries: list[ReleaseEntry] = []
    previous = None
    for folder in sorted(found, key=lambda d: _version_key(d.name)):
        store = read_side(folder)
        changes = "first release" if previous is None else summary(diff(previous, store))
        entries.append(ReleaseEntry(folder.name, _date(folder), changes))
        previous = store
    return entries[::-1]


def _date(folder: Path) -> str | None:
    """The release's date, from its RO-Crate (None without one)."""
    try:
        crate = json.loads((folder / "ro-crate-metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    root = next((e for e in crate.get("@graph", []) if e.get("@id") == "./"), {})
    date = root.get("datePublished")
    return str(date) if date else None
