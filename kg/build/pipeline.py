"""The build: load -> validate -> reason -> derive -> verify -> publish.

Each stage is a plain function of the stages before it; ``build`` runs them in order and
raises a :class:`StageFailure` subclass when one fails. Nothing is written to the output
folder unless every stage passed. Work that does not depend on the stage before runs
beside it: each file's scan for rewritten literals runs beside the next file's load, the
dump lines are made while derivation runs, and the reasoner (which reads the ontology
only) starts with the build at a low priority; its verdict is collected last, before the
output is swapped in.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib

from kg.background import in_background
from kg.build.dumps import write_atomically, write_dumps
from kg.config import BuildOptions, Project
from kg.rdf.load import Loaded, load
from kg.stages.derive import Derivation, Rule, derive, select_rules
from kg.stages.reason import Stopper
from kg.stages.reason import reason as run_reasoner
from kg.stages.report import Table, classification_table, to_html, to_markdown
from kg.stages.verify import VerifyReport, verify
from kg.validation import validate
from kg.web.site import RESOURCE_SUBJECTS, SiteInput, write_site

Log = Callable[[str], None]


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
    verification: VerifyReport | None = None
    table: Table | None = None
    validation: Any = None
    reasoning: Any = None
    out: Path | None = None
    warnings: list[str] = field(default_factory=list)
    #: the source graphs' dump lines, made while the later stages run (prepare_dumps)
    source_lines: Future[Any] | None = None


def _quiet(_: str) -> None:
    pass


def prepare_dumps(loaded: Loaded) -> Future[Any] | None:
    """Call once the source graphs are validated: on the oxigraph engine, starts making
    their dump lines (kg.build.dumps.start_store_lines), which no later stage changes, while
    reasoning and derivation run; hand the result to :func:`kg.build.dumps.write_dumps`."""
    from kg.build.dumps import start_store_lines
    from kg.rdf.engine import OxigraphEngine

    if not isinstance(loaded.engine, OxigraphEngine):
        return None
    return start_store_lines(loaded.engine, [s.graph for s in loaded.sources])


# --- reason --------------------------------------------------------------------------


@dataclass
class PreparedReasoning:
    """A reasoning run started early (prepare_reasoning): its report, and a way to stop
    it when the build fails before the report is wanted."""

    report: Future[Any]
    stopper: Stopper

    def stop(self) -> None:
        """Stop the run (HermiT killed) unless it has finished."""
        self.stopper.stop()


def prepare_reasoning(project: Project) -> PreparedReasoning | None:
    """Start the reasoning stage now, in a background thread: it reads the ontology
    only, not the data, and HermiT is a process of its own (at a low priority), so it
    runs on whatever core the other stages leave idle. Hand the result to
    :func:`reason` as late as possible; call its ``stop`` if the build fails first.
    None without Java (reason() says so)."""
    if shutil.which("java") is None:
        return None
    stopper = Stopper(low_priority=True)
    return PreparedReasoning(
        in_background(run_reasoner, project.ontology, stopper=stopper), stopper
    )


def reason(project: Project, log: Log = _quiet, prepared: PreparedReasoning | None = None) -> Any:
    """HermiT over the ontology and its alignments; None (with a warning) without Java.
    ``prepared``: the run prepare_reasoning started for the same project."""
    if shutil.which("java") is None:
        log("warning: Java not found, reasoning skipped (apt-get install default-jre-headless)")
        return None
    report = prepared.report.result() if prepared is not None else run_reasoner(project.ontology)
    if report.java is None:
        log(f"warning: reasoning skipped: {report.message}")
        return None
    if not report.ok:
        raise ReasoningFailed(report)
    return report


# --- the whole build ------------------------------------------------------------------


def load_and_derive(
    project: Project, options: BuildOptions, log: Log = _quiet
) -> tuple[Loaded, list[Rule], list[Derivation]]:
    """Load every source and run the chosen rule set (used by build, query, trace)."""
    rules = select_rules(project.queries, options.rules)
    loaded = load(project, options.base, options.engine)
    log(f"loaded {len(loaded.sources)} files into {options.engine}")
    derivations = derive(loaded.engine, rules, options.base)
    return loaded, rules, derivations


def build(
    project: Project,
    options: BuildOptions,
    log: Log = _quiet,
    validate_stage: bool = True,
) -> BuildResult:
    """Run every stage and publish into ``options.out`` (atomically)."""
    reasoning = prepare_reasoning(project) if options.reason else None
    try:
        return _build(project, options, log, validate_stage, reasoning)
    finally:
        if reasoning is not None:
            reasoning.stop()  # a failed build does not wait for HermiT; no-op once done


def _build(
    project: Project,
    options: BuildOptions,
    log: Log,
    validate_stage: bool,
    reasoning: PreparedReasoning | None,
) -> BuildResult:
    rules = select_rules(project.queries, options.rules)
    loaded = load(project, options.base, options.engine)
    result = BuildResult(loaded)
    log(f"load: {len(loaded.sources)} files, one named graph each ({options.engine})")

    if validate_stage:
        report = validate(loaded, project)
        result.validation = report
        if not report.conforms:
            raise ValidationFailed(report)
        log(f"validate: conforms ({len(report.warnings)} warning(s))")
    # after validation (which changes the store for a while), beside the next stages
    result.source_lines = prepare_dumps(loaded)

    def reason_stage() -> None:
        # Collected last, before the output is swapped in: a failure still fails the
        # build with nothing published, and HermiT has had the whole build to run.
        if options.reason:
            result.reasoning = reason(project, log, reasoning)
            if result.reasoning is None:
                result.warnings.append("reasoning skipped: Java not found")
            else:
                log(f"reason: {result.reasoning.message} ({result.reasoning.seconds:.1f} s)")
        else:
            log("reason: skipped (--no-reason)")

    result.derivations = derive(loaded.engine, rules, options.base)
    for d in result.derivations:
        log(f"derive: {d.rule.stem}: {d.classifications} classifications")

    result.verification = verify(loaded.engine, rules, options.base, project.queries)
    if not result.verification.ok:
        raise VerifyFailed(result.verification)
    log(f"verify: {result.verification.compared} classifications match the reported ones")

    rule_iri = rules[0].iri(options.base) if len(rules) == 1 else None
    result.table = classification_table(loaded.engine, project.queries, rule_iri)
    publish(result, options, project, log, before_swap=reason_stage)
    result.out = options.out
    log(f"publish: {options.out}/")
    return result


#: Above this many resources (IRIs under the base with a description) ``govsm build``
#: writes the static site without resource pages (the site-level pages only: landing
#: page, dataset, ontology, dumps, report; kg.web.site.write_site ``resources=False``)
#: unless asked to (``--site``). Measured by ``python -m bench --site`` (bench.site): a
#: static page costs about 2-3 ms per resource plus five files, rendering the same page
#: on demand from the store (kg.web.site.ondemand) about 2-5 ms; at 10^3 studies (7,000
#: resources) the static site took 22 s against 1.6 s for every other stage but
#: reasoning, and it grows with the resources: about a minute at 20,000 (about 3,000
#: studies), half an hour and 3.5 million files at 10^5 studies. Past that point pages
#: are better rendered when asked for (``govsm serve --on-demand``).
SITE_MAX_RESOURCES = 20_000


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
        f"warning: static site without resource pages: more than {SITE_MAX_RESOURCES:,} "
        "resources; serve it with `govsm serve --on-demand` (pages rendered from the store); "
        "--site forces them"
    )
    return False


def publish(
    result: BuildResult,
    options: BuildOptions,
    project: Project | None = None,
    log: Log = _quiet,
    before_swap: Callable[[], None] | None = None,
) -> None:
    """Write the dumps, the reports and the linked-data site (dist/site/, see kg.web.site)
    into ``options.out``, atomically. Large graphs get the site without resource pages
    (want_site). ``before_swap``: called once everything is written, before it is put
    in place; raising there leaves ``options.out`` as it was."""
    resources = want_site(result, options, log) if project is not None else None
    assert result.table is not None
    notes = [
        f"rule set: {options.rules} ({', '.join(d.rule.stem for d in result.derivations)})",
        f"base IRI: {options.base}",
        f"engine: {options.engine}",
        f"named graphs: {len(result.loaded.sources) + len(result.derivations)}",
        f"classifications compared with the reported ones: "
        f"{result.verification.compared if result.verification else 0}, all matching",
    ]
    title = "GovSM-KG: classification of sub-factors"
    links = [
        ("govsm.nq", "govsm.nq (N-Quads, all named graphs)"),
        ("govsm.ttl", "govsm.ttl (Turtle, union of the graphs)"),
        ("report.md", "report.md"),
        ("report.html", "report.html"),
    ]

    def write(folder: Path) -> None:
        # streamed: bounded memory at scale
        write_dumps(folder, result.loaded.engine, result.source_lines)
        write_reports(folder, result.table, title, notes, links)
        if project is not None and resources is not None:
            # a page per resource only for graphs of modest size: only then is the
            # whole dump read into memory
            text = (folder / "govsm.nq").read_text(encoding="utf-8") if resources else None
            site = site_input(result, options, project, text, title, notes)
            site.dump_dir = folder
            if resources:
                site.default_turtle = (folder / "govsm.ttl").read_text(encoding="utf-8")
            write_site(folder / "site", site, resources=resources)
        if before_swap is not None:
            before_swap()

    write_atomically(options.out, write)


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
        report_html=to_html(result.table, title, notes, [("index.html", "site home")]),
    )


def write_reports(
    folder: Path, table: Table, title: str, notes: list[str], links: list[tuple[str, str]]
) -> None:
    """report.md, report.html and the landing page index.html."""
    (folder / "report.md").write_text(to_markdown(table, title, notes), encoding="utf-8")
    (folder / "report.html").write_text(to_html(table, title, notes), encoding="utf-8")
    (folder / "index.html").write_text(to_html(table, title, notes, links), encoding="utf-8")
