"""The build's concurrency schedule: what runs beside what, and why.

The stages run one after another in the build's own thread (kg.build.pipeline: load,
validate, derive, verify, publish; the reasoner's verdict is collected last). Work that
does not need the stage before it runs beside them: :class:`Background` starts the
build's own background work at its point in the build, hands it over when it is wanted,
and stops what still runs when the build fails. Every thread or child process a build
starts, including those that stay inside lower modules — what, when, why it may:

1. HermiT (reasoning): a child process ``java`` at ``nice 15``, waited for by a daemon
   thread (:func:`prepare_reasoning`, kg.stages.reason). From the start of the build
   until just before the output is swapped in. It reads the ontology files, never the
   store; at a low priority it takes only the cores the stages leave idle; a failed
   build kills it.
2. The scans for rewritten literals: one thread (``govsm-scan``,
   OxigraphEngine.loading in kg.rdf.engine). During the load. A second parse of a
   loaded file (Python objects) while the Store bulk-loads the next file (its loader
   releases the GIL); the load waits for every scan.
3. The check queries: a daemon thread, then a pool (``govsm-checks``); the SHACL
   queries: a pool (``govsm-shacl``); both in kg.validation.fast. During validation.
   The check queries read the Store before validation encodes literals in place, and
   the shapes wait for them before the store changes; pyoxigraph's queries release
   the GIL.
4. The dump lines of graphs that change no more: a daemon thread each
   (:meth:`Background.start_dump_lines`, kg.build.dumps): the source graphs' from the
   end of validation (which changes the store while it runs), the derived and
   confidence graphs' from the end of the confidence stage; both until the dumps. The
   Store's reads are snapshots and its dumps release the GIL. Only on an engine that
   allows reads beside writes (Engine.concurrent_reads); a graph written to since is
   dumped again. A large dataset's lines go to sorted runs in the build's scratch
   folder (kg.build.atomic.scratch_folder) as they are made.
5. The confidence rules of one phase: a pool (``govsm-construct``,
   OxigraphEngine.construct_all_into in kg.rdf.engine, from kg.stages.confidence).
   During the confidence stage. The rules of a phase read only what was there before
   it, never one another's results, and all are evaluated before any result is added;
   pyoxigraph's queries release the GIL.
6. The N-Quads writer: one thread (``govsm-write``, kg.build.dumps). During the dumps.
   The kernel copy and the SHA-256 of one chunk run without the GIL while the next
   chunk is joined. (The site's statistics are then counted from the same lines in the
   build's thread, kg.web.site.facts, while the Turtle writers below finish; the lines
   of a spilled dataset are merged from their runs and counted in the build's thread
   as the chunks are joined.)
7. The two Turtle writers: child processes (``python -m kg.rdf.turtle``), each fed by a
   daemon thread (kg.build.dumps). During the dumps. pyoxigraph's Turtle serialiser
   holds the GIL, so they get processes, and cores, of their own; split at a subject,
   the two halves end to end are the whole file. Fed while govsm.nq is written, or, for
   a spilled dataset, from govsm.nq once it is written (no line held meanwhile).
8. The site's page writers: a pool of eight threads (kg.web.site). While the site is
   written. Creating thousands of small files waits on the file system, not on Python.
9. The query store: a daemon thread (kg.build.store.start_store, from
   kg.build.pipeline.publish). From the end of the dumps until the end of publishing
   (the build waits for it before the swap). It reads only the written ``govsm.nq``
   and writes only ``store/`` of the temporary folder, two blocks at a time in two
   loader threads of its own (kg.build.store._LOADERS); pyoxigraph's bulk loader and
   its compaction release the GIL, so they take the cores the nanopublications, reports
   and site leave, and both once the build only waits for the store.

Derivation and verification query the Store from the build's thread; publishing starts
once they are done, and the output is swapped in (kg.build.atomic) only after the
reasoner's verdict, so a reasoning failure still fails the build with nothing published.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kg.background import in_background
from kg.build.dumps import start_dump_lines
from kg.config import Project
from kg.rdf.load import Loaded
from kg.rdf.nquads import GraphLines
from kg.stages.reason import ReasonReport, Stopper
from kg.stages.reason import reason as run_reasoner


@dataclass
class PreparedReasoning:
    """A reasoning run started early (prepare_reasoning): its report, and a way to stop
    it when the build fails before the report is wanted."""

    report: Future[ReasonReport]
    stopper: Stopper

    def stop(self) -> None:
        """Stop the run (HermiT killed) unless it has finished."""
        self.stopper.stop()


def prepare_reasoning(project: Project) -> PreparedReasoning | None:
    """Start the reasoning stage now, in a daemon thread: it reads the ontology only, not
    the data, and HermiT is a process of its own at a low priority, so it runs on
    whatever core the other stages leave idle. Collect its report as late as possible
    (kg.build.pipeline.reason); stop it if the build fails first. None without Java
    (the reasoning stage says so)."""
    if shutil.which("java") is None:
        return None
    stopper = Stopper(low_priority=True)
    return PreparedReasoning(
        in_background(run_reasoner, project.ontology, stopper=stopper), stopper
    )


def prepare_dump_lines(
    loaded: Loaded, graphs: list[str], spill: Path | None = None
) -> Future[GraphLines] | None:
    """Start making the dump lines of ``graphs`` (kg.build.dumps.start_dump_lines) on an
    engine whose reads may run beside the later stages' writes; None on another."""
    if not loaded.engine.concurrent_reads:
        return None
    return start_dump_lines(loaded.engine, graphs, spill)


class Background:
    """The build's own background work (see the module's table), as a block: leaving it
    stops what still runs, so that a failed build does not wait for HermiT."""

    def __init__(self, spill: Path | None = None) -> None:
        self.reasoning: PreparedReasoning | None = None
        #: the dump lines started so far (kg.build.dumps.write_dumps takes them)
        self.dump_lines: list[Future[GraphLines]] = []
        #: where the dump lines of a large dataset go in sorted runs (kg.rdf.runs)
        self.spill = spill

    def start_reasoning(self, project: Project) -> None:
        """HermiT over the ontology, from the start of the build."""
        self.reasoning = prepare_reasoning(project)

    def start_dump_lines(self, loaded: Loaded, graphs: list[str] | None = None) -> None:
        """The dump lines of ``graphs`` (default: the source graphs, once validation is
        done with the store), which no later stage writes to."""
        chosen = [s.graph for s in loaded.sources] if graphs is None else graphs
        started = prepare_dump_lines(loaded, chosen, self.spill)
        if started is not None:
            self.dump_lines.append(started)

    def stop(self) -> None:
        """Stop the reasoner if it still runs (a no-op once it has finished). The dump
        lines' daemon thread is not waited for."""
        if self.reasoning is not None:
            self.reasoning.stop()

    def __enter__(self) -> Background:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
