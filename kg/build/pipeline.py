"""The build: load -> validate -> derive -> verify -> restate -> publish, with reasoning
beside them (restate: the standard-vocabulary view, kg.stages.views and kg.stages.entail).

:func:`build` runs the stages in the build's own thread, one after another, each on the
engine the load filled (validation changes it for a while, derivation adds graphs); it
raises a :class:`StageFailure` subclass when one fails. Work that needs none of the stage
before it runs beside them (kg.build.schedule: the reasoner from the start, the source
graphs' dump lines after validation). Everything is written into a temporary folder
first; the reasoner's verdict is collected last, and only then is the folder swapped in
(kg.build.atomic), so nothing is published unless every stage passed.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import rdflib
from rdflib.namespace import RDF

from kg.build.atomic import atomic_folder, prepare_output, scratch_folder
from kg.build.dumps import write_dumps
from kg.build.nanopub.write import write_nanopubs
from kg.build.schedule import Background, PreparedReasoning
from kg.build.store import finish_store, start_store, store_wanted
from kg.config import BuildOptions, Project
from kg.rdf.engine import Triple
from kg.rdf.load import Loaded, add_shapes, load, unread_note
from kg.sparql.catalogue import SH, catalogue_graph_iri, catalogue_triples
from kg.stages.about import about
from kg.stages.confidence import Confidence, assess
from kg.stages.derive import (
    Derivation,
    Rule,
    check_rule_set,
    derive,
    rule_set_name,
    select_rules,
)
from kg.stages.diff import release_history
from kg.stages.entail import Entailment, entail
from kg.stages.reason import reason as run_reasoner
from kg.stages.report import Table, classification_table, to_markdown
from kg.stages.verify import VerifyReport, verify
from kg.stages.verify import summary as verify_summary
from kg.stages.views import View, run_views
from kg.timings import Timings
from kg.validation import ValidationReport, validate
from kg.validation.inputs import shape_files
from kg.web.report import Report, standalone_page
from kg.web.site import SiteInput, write_site
from kg.web.site.facts import FactCounter
from kg.web.site.sitemap import RESOURCE_SUBJECTS
from kg.web.templates import project_templates

Log = Callable[[str], None]
SH_EXECUTABLE = rdflib.URIRef(SH + "SPARQLExecutable")
#: Subfolders of a previous dist/ that a build carries over (releases never change).
KEPT = ("releases",)


class StageFailure(Exception):
    """A stage found a problem that must fail the build (exit code 1)."""


class ValidationFailed(StageFailure):
    def __init__(self, report: Any) -> None:
        super().__init__("validation found violations")
        self.report = report


class ReasoningFailed(StageFailure):
    def __init__(self, report: Any) -> None:
        super().__init__(f"reasoning failed: {report.message}")
        self.report = report


class VerifyFailed(StageFailure):
    def __init__(self, report: VerifyReport) -> None:
        super().__init__(f"{len(report.differences)} difference(s) from the reported results")
        self.report = report


@dataclass
class BuildResult:
    """What a build did and produced."""

    loaded: Loaded
    derivations: list[Derivation] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    entailments: list[Entailment] = field(default_factory=list)
    verification: VerifyReport | None = None
    confidence: Confidence | None = None
    table: Table | None = None
    validation: Any = None
    reasoning: Any = None
    out: Path | None = None
    warnings: list[str] = field(default_factory=list)
    # seconds per stage (kg.timings), the publishing's parts as publish/..., site/...
    timings: Timings = field(default_factory=Timings)


def _quiet(_: str) -> None:
    pass


# --- reason --------------------------------------------------------------------------


def reason(project: Project, log: Log = _quiet, prepared: PreparedReasoning | None = None) -> Any:
    """HermiT over the ontology and its alignments; None (with a warning) without Java.
    ``prepared``: the run kg.build.schedule started for the same project."""
    if shutil.which("java") is None:
        log("warning: Java not found, reasoning skipped (apt-get install default-jre-headless)")
        return None
    report = prepared.report.result() if prepared is not None else run_reasoner(project.ontology)
    if report.java is None:
        log(f"warning: reasoning skipped: {report.message}")
        return None
    if report.load_error is not None:  # an unreadable or refused file: bad input
        raise report.load_error
    if not report.ok:
        raise ReasoningFailed(report)
    return report


# --- the whole build ------------------------------------------------------------------


def load_and_derive(
    project: Project, options: BuildOptions, log: Log = _quiet, standard_view: bool = False
) -> tuple[Loaded, list[Rule], list[Derivation]]:
    """Load every source and run the chosen rule set (used by query, trace, derive,
    verify); with ``standard_view`` also restate it (what a catalogue query may read;
    derive, verify and trace read only the project's own terms)."""
    check_rule_set(project.queries, options.rules)  # an unknown rule set fails before the load
    loaded = load(project, options.base, options.engine)
    log(f"loaded {len(loaded.sources)} files into {options.engine}")
    rules = select_rules(project.queries, options.rules, loaded.engine)
    derivations = derive(loaded.engine, rules, options.base)
    confidence = _assessed(loaded, project, options, derivations, log)
    if standard_view:
        restate(loaded, project, derivations, [confidence.graph])
    return loaded, rules, derivations


def _assessed(
    loaded: Loaded, project: Project, options: BuildOptions, derivations: list[Derivation], log: Log
) -> Confidence:
    """The confidence stage, with a warning naming the file of each reviewer judgement
    that matches no finding (a judgement is data like any other: a typo in its
    sub-factor or context must not pass unseen)."""
    confidence = assess(loaded.engine, project.queries, options.base, derivations)
    files = {s.graph: s.rel for s in loaded.sources}
    for unused in confidence.unused:
        log(f"confidence: warning: {files.get(unused.graph, unused.graph)}: {unused.message()}")
    return confidence


def restate(
    loaded: Loaded,
    project: Project,
    derivations: list[Derivation],
    derived_graphs: list[str] | None = None,
) -> tuple[list[View], list[Entailment]]:
    """The standard-vocabulary view: run the view rules, then materialise what the
    ontology implies onto external terms for the data, the derived graphs (with
    ``derived_graphs``: the confidence graph) and the views (each into graphs of its own)."""
    views = run_views(loaded.engine, project.queries, loaded.base)
    ontology = [s.graph for s in loaded.sources if s.kind == "ontology"]
    data = [s.graph for s in loaded.sources if s.kind != "ontology"]
    data += [d.graph for d in derivations] + list(derived_graphs or [])
    data += [v.graph for v in views if v.triples]
    return views, entail(loaded.engine, loaded.base, ontology, data)


def build(
    project: Project,
    options: BuildOptions,
    log: Log = _quiet,
    validate_stage: bool = True,
) -> BuildResult:
    """Run every stage and publish into ``options.out`` (atomically)."""
    timings = Timings()
    prepare_output(options.out)  # an output that cannot be written fails before any stage
    with (
        scratch_folder(options.out) as scratch,
        Background(scratch) as background,
        _collecting_less(),
    ):
        if options.reason:
            background.start_reasoning(project)
        check_rule_set(project.queries, options.rules)  # an unknown rule set fails early
        catalogue = catalogue_triples(project.queries, options.base)  # a bad header fails early
        with timings.stage("load"):
            loaded = load(project, options.base, options.engine)
        result = BuildResult(loaded, timings=timings)
        log(f"load: {len(loaded.sources)} files, one named graph each ({options.engine})")
        _log_unread(project, log)
        if validate_stage:
            with timings.stage("validate"):
                result.validation = _validated(loaded, project, log)
        # published as linked data (graph/shapes/FILE); validation did not see them
        add_shapes(loaded, shape_files(project.shapes))
        background.start_dump_lines(loaded)
        rules = _derive_and_verify(result, project, options, log, background)
        rule_iri = rules[0].iri(options.base) if len(rules) == 1 else None
        with timings.stage("table"):
            result.table = classification_table(loaded.engine, project.queries, rule_iri)
        _add_catalogue(loaded, catalogue, log)
        # the releases in dist/releases/ (kg.build.release) outlive the builds
        with atomic_folder(options.out, keep=KEPT) as folder:
            publish(folder, result, options, project, log, background)
            # last: a failure still fails the build with nothing published, and HermiT
            # has had the whole build to run
            with timings.stage("reason"):
                _collect_reasoning(result, project, options, log, background.reasoning)
    result.out = options.out
    log(f"publish: {options.out}/")
    return result


#: The cyclic collector's first-generation threshold while a build runs (CPython's is
#: 700 allocations): a build makes millions of short-lived containers (query rows, term
#: tuples, the dump lines' columns) and few cycles, and with the default the collector
#: walks them again and again (at 10^4 studies about an eighth of the build's CPU time,
#: measured against a build with the collector off).
GC_FIRST_GENERATION = 100_000


@contextmanager
def _collecting_less() -> Iterator[None]:
    """The build's block with the collector run less often (GC_FIRST_GENERATION)."""
    before = gc.get_threshold()
    gc.set_threshold(GC_FIRST_GENERATION, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _derive_and_verify(
    result: BuildResult, project: Project, options: BuildOptions, log: Log, background: Background
) -> list[Rule]:
    """The derive, verify, confidence and restate stages of a build (timed); the rules
    run. The derived and confidence graphs' dump lines start once they are made."""
    engine, timings = result.loaded.engine, result.timings
    with timings.stage("derive"):
        rules = select_rules(project.queries, options.rules, engine)
        result.derivations = derive(engine, rules, options.base)
    log(f"derive: rule set {rule_set_name(options.rules, result.derivations)}")
    for d in result.derivations:
        log(f"derive: {d.rule.stem}: {d.classifications} classifications")
    with timings.stage("verify"):
        result.verification = verify(engine, rules, options.base, project.queries)
    if not result.verification.ok:
        raise VerifyFailed(result.verification)
    log(f"verify: {verify_summary(result.verification)}")
    with timings.stage("confidence"):
        result.confidence = _assessed(result.loaded, project, options, result.derivations, log)
    log(
        f"confidence: {result.confidence.assessments} GRADE-CERQual profiles, "
        f"{result.confidence.checks} robustness checks"
    )
    made = [d.graph for d in result.derivations] + [result.confidence.graph]
    background.start_dump_lines(result.loaded, made)  # nothing writes to them again
    with timings.stage("restate"):
        result.views, result.entailments = restate(
            result.loaded, project, result.derivations, [result.confidence.graph]
        )
    log(
        f"restate: {sum(v.triples for v in result.views)} view triples, "
        f"{sum(e.triples for e in result.entailments)} entailed triples in "
        f"{len(result.entailments)} graphs"
    )
    return rules


def _add_catalogue(loaded: Loaded, triples: list[Triple], log: Log) -> None:
    """The query catalogue (kg.sparql.catalogue) into its own named graph, after
    verification: validation and derivation never see it, the dumps and the site do."""
    loaded.engine.add(catalogue_graph_iri(loaded.base), triples)
    queries = sum(1 for _, p, o in triples if p == RDF.type and o == SH_EXECUTABLE)
    log(f"catalogue: {queries} queries as sh:SPARQLExecutable in graph/catalogue")


def _log_unread(project: Project, log: Log) -> None:
    """Name the files of the data folders the load did not read."""
    note = unread_note(project)
    if note is not None:
        log(f"warning: {note}")


def _validated(loaded: Loaded, project: Project, log: Log) -> ValidationReport:
    """The validation stage of a build: its report, or ValidationFailed."""
    report = validate(loaded, project)
    if not report.conforms:
        raise ValidationFailed(report)
    log(f"validate: conforms ({len(report.warnings)} warning(s))")
    return report


def _collect_reasoning(
    result: BuildResult,
    project: Project,
    options: BuildOptions,
    log: Log,
    prepared: PreparedReasoning | None,
) -> None:
    """The reasoning stage of a build: the verdict of the run started early."""
    if not options.reason:
        log("reason: skipped (--no-reason)")
        return
    result.reasoning = reason(project, log, prepared)
    if result.reasoning is None:
        result.warnings.append("reasoning skipped: Java not found")
    else:
        log(f"reason: {result.reasoning.message} ({result.reasoning.seconds:.1f} s)")


#: Above this many resources (IRIs under the base with a description) ``govsm build``
#: writes the static site without resource pages (the site-level pages only: landing
#: page, dataset, ontology, dumps, report; kg.web.site.write_site ``resources=False``)
#: unless asked to (``--site``); ``govsm serve`` then renders them on demand from the
#: store (kg.web.site.ondemand). A static page costs about as much as rendering it on
#: demand, plus five files per resource: the static site is the build's dearest stage
#: from the first review on (about 1,600 resources) and grows with the resources (a
#: 10^3-study review: about 11,600 pages, 58,000 files, 40 s of a 56 s build). The cap
#: keeps the pages of the first review and examples/ and stops short of a 10^3-study
#: review; ``python -m bench --site`` (bench.site) measures both ways.
SITE_MAX_RESOURCES = 3_000


def count_resources(loaded: Loaded, limit: int | None = None) -> int:
    """IRIs under the base that are the subject of a triple (each would get a page),
    counted up to ``limit`` (enough to compare with a threshold)."""
    query = RESOURCE_SUBJECTS
    if limit is not None:
        query += f" LIMIT {int(limit)}"
    return len(loaded.engine.select(query, {"base": rdflib.Literal(loaded.base)}).rows)


def want_site(result: BuildResult, options: BuildOptions, log: Log = _quiet) -> bool | None:
    """Which static site to write: True with a page per resource, False only the
    site-level pages (resource pages on demand), None none (see BuildOptions.site and
    SITE_MAX_RESOURCES)."""
    if options.site is not None:
        return True if options.site else None
    resources = count_resources(result.loaded, SITE_MAX_RESOURCES + 1)
    if resources <= SITE_MAX_RESOURCES:
        return True
    log(
        f"warning: static site without resource pages (more than {SITE_MAX_RESOURCES:,} "
        "resources): `govsm serve` renders each resource's page on demand from "
        "dist/govsm.nq; --site writes them all"
    )
    return False


def publish(
    folder: Path,
    result: BuildResult,
    options: BuildOptions,
    project: Project | None = None,
    log: Log = _quiet,
    background: Background | None = None,
) -> None:
    """Write the dumps, the reports and the linked-data site (site/, see kg.web.site)
    into ``folder`` (the build's temporary folder, kg.build.atomic). Large graphs get the
    site without resource pages (want_site). ``background``: the build's, with the dump
    lines of graphs made early and where a large dataset's lines spill
    (kg.build.schedule)."""
    resources = want_site(result, options, log) if project is not None else None
    assert result.table is not None
    notes = [
        f"rule set: {rule_set_name(options.rules, result.derivations)} "
        f"({', '.join(d.rule.stem for d in result.derivations)})",
        f"base IRI: {options.base}",
        f"engine: {options.engine}",
        f"named graphs: {len(result.loaded.engine.graphs())}",
        f"verify: {verify_summary(result.verification)}"
        if result.verification
        else "verify: not run",
    ]
    title = about(result.loaded.engine).report_title
    links = [
        ("govsm.nq", "govsm.nq (N-Quads, all named graphs)"),
        ("govsm.ttl", "govsm.ttl (Turtle, union of the graphs)"),
        ("report.md", "report.md"),
        ("report.html", "report.html"),
    ]
    timings = result.timings
    # without resource pages the site's statistics are counted as the dumps are written
    summarise = partial(FactCounter, options.base) if resources is False else None
    with timings.stage("dumps"):  # streamed: bounded memory at scale
        started, spill = (background.dump_lines, background.spill) if background else ((), None)
        dumped = write_dumps(folder, result.loaded.engine, started, summarise, spill)
    # govsm serve's store, loaded while the rest is written, when serve would read it
    wanted = store_wanted(folder, options.store)
    store = start_store(folder, dumped.sums["govsm.nq"]) if wanted else None
    with timings.stage("nanopubs"):
        write_nanopubs(folder, result.loaded, result.derivations, options.nanopub, log)
    with timings.stage("reports"):
        write_reports(folder, result.table, title, notes, links, project_templates(project))
    if project is not None and resources is not None:
        # a page per resource only for graphs of modest size: only then is the whole
        # dump read into memory
        text = (folder / "govsm.nq").read_text(encoding="utf-8") if resources else None
        site = site_input(result, options, project, text, title, notes)
        site.dump_dir, site.facts, site.sums = folder, dumped.summary, dumped.sums
        if resources:
            site.default_turtle = (folder / "govsm.ttl").read_text(encoding="utf-8")
        with timings.stage("site"):
            write_site(folder / "site", site, resources=resources, timings=timings)
    if store is not None:
        with timings.stage("store"):  # the wait for it only
            finish_store(store, folder, log)


def site_input(
    result: BuildResult,
    options: BuildOptions,
    project: Project,
    canonical: str | None,
    title: str,
    notes: list[str],
) -> SiteInput:
    """What kg.web.site needs from a build."""
    assert result.table is not None
    rules = [d.rule for d in result.derivations]
    return SiteInput(
        canonical=canonical,
        base=options.base,
        ontology_graphs={s.graph for s in result.loaded.sources if s.kind == "ontology"},
        engine=result.loaded.engine,
        queries=project.queries,
        rule_iri=str(rules[0].iri(options.base)) if len(rules) == 1 else None,
        report=Report(result.table, title, notes),
        templates=project_templates(project),
        # before the swap, options.out is the previous output, whose releases carry over
        releases=release_history(options.out / "releases"),
    )


def write_reports(
    folder: Path,
    table: Table,
    title: str,
    notes: list[str],
    links: list[tuple[str, str]],
    templates: Path | None = None,
) -> None:
    """report.md, report.html and the landing page index.html (``templates``: the
    project's templates folder)."""
    report = Report(table, title, notes)
    (folder / "report.md").write_text(to_markdown(table, title, notes), encoding="utf-8")
    (folder / "report.html").write_text(standalone_page(report, (), templates), encoding="utf-8")
    page = standalone_page(report, links, templates)
    (folder / "index.html").write_text(page, encoding="utf-8")
