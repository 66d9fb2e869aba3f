"""The incremental run: validate a project, re-checking only what changed since the
cached run.

A run hashes every source file. Nothing changed: the cached report is given back. The
shapes, the check queries, the base, the validation code or any ontology file changed,
or there is no cache: everything is validated in memory and the stores are saved (a
*full* run). Otherwise each changed data file's graph is patched block by block
(:mod:`.patch`) and the focus nodes the change can reach are re-checked (:mod:`.affected`).

The compiled Core constraints whose results are about their own focus nodes run for those
nodes only (``?this`` bound by substitution, and only the queries whose targets the node
matches); their previous results for every other focus node are kept. A SPARQL-based
constraint, a check query, or a Core query whose results are about other nodes
(``sh:property`` nested in a property shape) re-runs over everything when its patterns
use a predicate of a changed triple (always, when a pattern has a variable predicate),
else its previous results are kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from kg.config import Project, check_base
from kg.rdf.load import Source, check_syntax, discover_sources
from kg.validation.compiler.literals import decode
from kg.validation.fast import FocusNodes, iter_compiled, run_checks_ox, run_fallback
from kg.validation.incremental.affected import OWN, affected_nodes, focus_by_query, origin
from kg.validation.incremental.cache import (
    Cache,
    Prepared,
    config_digest,
    default_cache_dir,
    prepare,
    sha256,
)
from kg.validation.incremental.patch import file_entry, load_all, patch_file, save
from kg.validation.report import ValidationReport, ValidationResult, fallback_notes, result_order
from kg.validation.stores import Stores, source_files
from kg.validation.terms import term_str

#: A result and its origin (OWN, "query:N", "check:NAME" or "fallback").
Found = list[tuple[ValidationResult, str]]


@dataclass
class Outcome:
    """What an incremental run did."""

    report: ValidationReport
    mode: str  # "full", "incremental" or "unchanged"
    reason: str = ""
    changed: list[str] = field(default_factory=list)
    rechecked: int = 0
    since: str = ""

    def summary(self) -> str:
        """One line for the user: what was re-checked and why."""
        if self.mode == "unchanged":
            return f"no source file changed since {self.since}: previous report"
        if self.mode == "full":
            return f"validated everything ({self.reason})"
        files = ", ".join(self.changed)
        return (
            f"re-checked {self.rechecked} focus node(s) from {files}; "
            f"others unchanged since {self.since}"
        )


def validate_incremental(
    project: Project,
    base: str,
    cache_dir: Path | None = None,
    full: bool = False,
) -> Outcome:
    """Validate ``project`` with the fast path, re-checking only what changed since the
    cached run (see the module docstring); ``full`` ignores the cache and refreshes it."""
    check_base(base)
    cache = Cache(cache_dir or default_cache_dir(project))
    sources = discover_sources(project, base)
    digests = {s.rel: sha256(s.path) for s in sources}
    config = config_digest(project, base)
    state, reason, changed = _previous(cache, sources, digests, config, full)
    if state is not None and not changed:
        report = ValidationReport(
            [ValidationResult(**r) for r in state["results"]],
            fallback_notes(state.get("fallback", {})),
        )
        return Outcome(report, "unchanged", since=state["time"])
    # A full run checks every file first (file:line:column errors); an incremental run
    # parses only the changed blocks and checks the whole file when one does not parse.
    if state is None:
        check_syntax(sources)
    prepared = prepare(cache, config, project)
    cache.invalidate()  # a run that stops half-way leaves no state to trust
    with cache.stores() as stores:
        stores.graphs = [ox.NamedNode(s.graph) for s in sources]
        if state is None:
            found, files, outcome = _full(cache, stores, sources, base, prepared, reason)
        else:
            found, files, outcome = _patched(cache, stores, sources, base, prepared, state, changed)
            outcome.changed, outcome.since = changed, state["time"]
        for rel_name, digest in digests.items():
            files.setdefault(rel_name, {})["sha256"] = digest
        results, origins = _finish(stores, _data_files(sources), found)  # (no-op when done)
        outcome.report = ValidationReport(results, fallback_notes(prepared.compiled.fallback))
        cache.write_state(
            {
                "config": config,
                "time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "files": files,
                "results": [dict(vars(r)) for r in results],
                "origins": origins,
                "fallback": prepared.compiled.fallback,
            }
        )
    return outcome


def _previous(
    cache: Cache, sources: list[Source], digests: dict[str, str], config: str, full: bool
) -> tuple[dict | None, str, list[str]]:
    """The cached state to build on (None: validate everything, for the reason given)
    and the files changed since."""
    state = None if full else cache.read_state()
    reason = "asked for" if full else "no previous run"
    if state is not None and state.get("config") != config:
        state, reason = None, "the shapes, check queries, base or validation code changed"
    if state is None:
        return None, reason, []
    old = state["files"]
    changed = sorted(
        {rel for rel in digests if old.get(rel, {}).get("sha256") != digests[rel]}
        | (set(old) - set(digests))
    )
    kinds = {s.rel: s.kind for s in sources} | {r: v["kind"] for r, v in old.items()}
    if any(kinds[rel] != "data" for rel in changed):
        return None, "an ontology file changed", changed
    return state, reason, changed


def _full(
    cache: Cache,
    stores: Stores,
    sources: list[Source],
    base: str,
    prepared: Prepared,
    reason: str,
) -> tuple[Found, dict[str, dict], Outcome]:
    """Everything validated in memory (on-disk stores answer more slowly), then saved."""
    memory = Stores(ox.Store(), ox.Store(), stores.graphs)
    files = load_all(cache, memory, sources, base)
    # The copy to disk runs beside the validation (pyoxigraph releases the GIL).
    saver = threading.Thread(target=save, args=(memory, stores))
    saver.start()
    try:
        found = _run(memory, prepared, None, None)
        found = list(zip(*_finish(memory, _data_files(sources), found), strict=True))
    finally:
        saver.join()
    return found, files, Outcome(ValidationReport([]), "full", reason=reason)


def _patched(
    cache: Cache,
    stores: Stores,
    sources: list[Source],
    base: str,
    prepared: Prepared,
    state: dict,
    changed: list[str],
) -> tuple[Found, dict[str, dict], Outcome]:
    """The ``changed`` files patched into the stores, and what they affect re-checked."""
    by_rel = {s.rel: s for s in sources}
    files = {r: dict(v) for r, v in state["files"].items() if r in by_rel}
    added: list[ox.Quad] = []
    removed: list[ox.Quad] = []
    for name in changed:
        if name in by_rel:
            # The entry patch_file updates (blank-node mode, repeated triples) is the
            # one saved.
            entry = files.setdefault(name, {})
            entry.update(file_entry(by_rel[name]))
        else:
            entry = state["files"][name]  # a file that is gone
        a, r = patch_file(cache, stores, by_rel.get(name), entry, base)
        added += a
        removed += r
    focus = affected_nodes(stores, prepared.compiled, added, removed)
    touched = {q.predicate.value for q in (*added, *removed)}
    found, outcome = _rerun(state, stores, prepared, focus, touched)
    return found, files, outcome


def _data_files(sources: list[Source]) -> dict[str, str]:
    """Graph IRI -> relative path of each data file."""
    return {s.graph: s.rel for s in sources if s.kind == "data"}


def _finish(
    stores: Stores, rel: dict[str, str], found: Found
) -> tuple[list[ValidationResult], list[str]]:
    """Results with their source files, in report order, and their origins."""
    # Kept results keep their file: a focus node whose triples changed is re-checked.
    missing = [r.focus for r, _ in found if r.source_file is None]
    sources_of = source_files(stores, rel, missing)
    with_files = [
        r if r.source_file is not None else replace(r, source_file=sources_of.get(r.focus))
        for r, _ in found
    ]
    pairs = sorted(
        zip(with_files, (o for _, o in found), strict=True), key=lambda p: result_order(p[0])
    )
    return [r for r, _ in pairs], [o for _, o in pairs]


def _rerun(
    state: dict, stores: Stores, prepared: Prepared, focus: set | None, touched: set[str]
) -> tuple[Found, Outcome]:
    """Re-check ``focus`` (everything when None) and the queries whose triple patterns
    could match a changed triple; keep the rest of the previous report."""
    if focus is None:
        found = _run(stores, prepared, None, None)
        why = "the change reaches too far for a partial re-check"
        return found, Outcome(ValidationReport([]), "full", reason=why)
    rerun = {"fallback"} | {
        name for name, preds in prepared.predicates.items() if preds is None or set(preds) & touched
    }
    names = {term_str(decode(n)) for n in focus}
    kept = [
        # A kept result about a re-checked node may now come from another file.
        (ValidationResult(**{**r, "source_file": None} if r["focus"] in names else r), name)
        for r, name in zip(state["results"], state["origins"], strict=True)
        if (name == OWN and r["focus"] not in names) or (name != OWN and name not in rerun)
    ]
    by_query = focus_by_query(stores, prepared.compiled, focus)
    found = kept + _run(stores, prepared, by_query, rerun)
    return found, Outcome(ValidationReport([]), "incremental", rechecked=len(focus))


def _run(
    stores: Stores, prepared: Prepared, focus: FocusNodes | None, rerun: set[str] | None
) -> Found:
    """(result, origin) for the compiled queries (own results: only for the focus nodes
    ``focus`` gives each query, when given; others: only the origins in ``rerun``, when
    given), the pySHACL fallback and the check queries."""
    compiled, shapes = prepared.compiled, prepared.shapes
    origins = {id(cq): origin(i, cq) for i, cq in enumerate(compiled.queries)}
    found: Found = [
        (r, OWN)
        for _cq, r in iter_compiled(
            stores, compiled, shapes, {}, only=lambda cq: origins[id(cq)] == OWN, focus=focus
        )
    ]
    others = iter_compiled(
        stores,
        compiled,
        shapes,
        {},
        only=lambda cq: origins[id(cq)] != OWN and (rerun is None or origins[id(cq)] in rerun),
    )
    found += [(r, origins[id(cq)]) for cq, r in others]
    found += [(r, "fallback") for r in run_fallback(stores, compiled, shapes, {})]
    for check in prepared.checks:
        name = f"check:{check.name}"
        if rerun is None or name in rerun:
            found += [(r, name) for r in run_checks_ox(stores.plain, [check], {})]
    return found
