"""Reasoning stage: is the ontology, with its alignments, consistent? Which classes are empty?

The ontology and its import closure are loaded offline through the catalog
(:mod:`kg.stages.ontology`), merged with any extra TBox files and ABox (instance) files,
written to a temporary N-Triples file (owlready2 does not read Turtle) and checked by the
HermiT that owlready2 ships, with the command line of owlready2's ``sync_reasoner``
(see :func:`_hermit` for why it is not called through ``sync_reasoner`` itself).

Two decisions worth knowing:

- HermiT implements the OWL 2 datatype map only. GovSM and the vocabularies it
  reuses use ``xsd:gYear`` (FaBiO's publication year) and ``rdf:langString`` (RDF 1.1),
  which HermiT would reject outright; the reasoner is therefore run with
  ``--ignoreUnsupportedDatatypes`` and the report names the datatypes ignored.
  Literal values of those types are not checked by HermiT (SHACL checks them).
- RDFS-only declarations (schema.org, DCTERMS, Web Annotation) are read as OWL tools
  read them (:func:`kg.stages.ontology.owl_view`): a weakening that can only hide a clash,
  never invent one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from kg.prefixes import PREFIXES
from kg.stages.ontology import OntologyLoadError, label_of, load_files, load_ontology, owl_view

INSTALL_HINT = "install a Java runtime, e.g. `apt-get install default-jre-headless`"

# The OWL 2 datatype map (OWL 2 Structural Specification, section 4), which HermiT
# implements; any other datatype is ignored by the reasoner and reported.
_OWL2_DATATYPES: frozenset[str] = frozenset(
    [
        str(RDFS.Literal),
        str(OWL.real),
        str(OWL.rational),
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#PlainLiteral",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#XMLLiteral",
    ]
    + [
        str(XSD) + name
        for name in [
            "decimal",
            "integer",
            "nonNegativeInteger",
            "nonPositiveInteger",
            "positiveInteger",
            "negativeInteger",
            "long",
            "int",
            "short",
            "byte",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
            "double",
            "float",
            "string",
            "normalizedString",
            "token",
            "language",
            "Name",
            "NCName",
            "NMTOKEN",
            "boolean",
            "hexBinary",
            "base64Binary",
            "anyURI",
            "dateTime",
            "dateTimeStamp",
        ]
    ]
)


@dataclass
class ReasonReport:
    """What HermiT said about the ontology (and any instance data)."""

    consistent: bool
    unsatisfiable: list[tuple[str, str]] = field(default_factory=list)  # (IRI, label)
    seconds: float = 0.0
    java: str | None = None  # the `java -version` line, None when Java is missing
    message: str = ""
    #: the ontology or a file given could not be read, or was refused (it would need the
    #: network or declares a DOCTYPE): bad input, not a reasoning verdict
    load_error: OntologyLoadError | None = None

    @property
    def ok(self) -> bool:
        """Consistent, every class satisfiable, and the check really ran."""
        return self.java is not None and self.consistent and not self.unsatisfiable


def java_version() -> str | None:
    """The first line of ``java -version`` for owlready2's Java, or None if there is none."""
    import owlready2  # deferred: a heavy import every CLI start would pay for nothing

    exe = shutil.which(owlready2.JAVA_EXE)
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0] if lines else exe


def unsupported_datatypes(graph: Graph) -> list[str]:
    """Datatypes used in ``graph`` (literals, ranges) that HermiT does not implement."""
    found: set[str] = set()
    for _, p, o in graph:
        if isinstance(o, Literal) and o.datatype is not None:
            found.add(str(o.datatype))
        elif p == RDFS.range and (str(o).startswith(str(XSD)) or o == RDF.langString):
            found.add(str(o))
    return sorted(d for d in found if d not in _OWL2_DATATYPES)


def own_ontology_classes(graph: Graph) -> list[str]:
    """IRIs of the classes declared in the GovSM ontology's own namespace."""
    namespace = PREFIXES["govsm"]
    return sorted(
        str(c)
        for c in set(graph.subjects(RDF.type, OWL.Class))
        if isinstance(c, URIRef) and str(c).startswith(namespace)
    )


#: N-Triples files smaller than this run with the JVM's start-up settings (_hermit_command)
_SMALL_INPUT_BYTES = 4_000_000


def _hermit_command(nt_file: Path, classify: bool = True, classes: Sequence[str] = ()) -> list[str]:
    """The HermiT command line owlready2's ``sync_reasoner`` uses, on our own file;
    with ``classify=False`` only consistency is checked (``-k``), which is much faster
    on large vocabularies but finds no unsatisfiable class — unless ``classes`` names
    the classes whose satisfiability to check one by one (``-k<IRI>`` each)."""
    if classify:
        actions = ["-c", "-O", "-D"]
    elif classes:
        actions = [f"--consistency=<{iri}>" for iri in classes]
    else:
        actions = ["-k"]
    import owlready2  # deferred: see java_version

    here = Path(owlready2.__file__).resolve().parent
    classpath = os.pathsep.join([str(here / "hermit"), str(here / "hermit" / "HermiT.jar")])
    # On a small input most of HermiT's time is JVM start-up and JIT compilation, where
    # the quick (C1) compiler alone and the serial collector spend less time and CPU;
    # long runs on large vocabularies keep the optimising compiler.
    quick = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    small = nt_file.stat().st_size < _SMALL_INPUT_BYTES
    return [
        owlready2.JAVA_EXE,
        *(quick if small else []),
        f"-Xmx{owlready2.reasoning.JAVA_MEMORY}M",
        "-cp",
        classpath,
        "org.semanticweb.HermiT.cli.CommandLine",
        *actions,
        # Not owlready2's -I (realisation: every individual's types), which it needs to
        # write types back and we do not: on a large vocabulary such as SEPIO it takes
        # far longer than the check itself. Consistency and classification check the
        # ABox anyway.
        nt_file.resolve().as_uri(),
        "--ignoreUnsupportedDatatypes",
    ]


class Cancelled(Exception):
    """A reasoning run was stopped (see :class:`Stopper`) before it finished."""


class Stopper:
    """Lets another thread stop a reasoning run: the HermiT process it runs, if any,
    is killed, and a run that has not reached HermiT yet does not start it."""

    def __init__(self, low_priority: bool = False) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self.stopped = False
        #: run HermiT at a low scheduling priority (``nice``): a run started in the
        #: background of a build then takes the cores the build leaves idle
        self.low_priority = low_priority

    def started(self, process: subprocess.Popen[str]) -> None:
        """Register the HermiT process (killed at once if already stopped)."""
        with self._lock:
            self._process = process
            if self.stopped:
                process.kill()

    def stop(self) -> None:
        """Stop the run: kill HermiT if it runs, keep it from starting otherwise."""
        with self._lock:
            self.stopped = True
            if self._process is not None and self._process.poll() is None:
                self._process.kill()


def _hermit(
    nt_file: Path,
    classify: bool = True,
    classes: Sequence[str] = (),
    stopper: Stopper | None = None,
) -> tuple[bool, list[str], str]:
    """Run HermiT on an N-Triples file: (consistent, unsatisfiable class IRIs, error).

    owlready2's ``sync_reasoner`` runs this same command, then writes the inferred
    hierarchy back into Python objects; on the closure with the full external
    vocabularies plus instance data that write-back recursed without end. The stage
    needs only HermiT's verdict, so it runs the HermiT that owlready2 ships directly
    and reads the classification it prints.
    """
    try:
        command = _hermit_command(nt_file, classify, classes)
        nice = shutil.which("nice")
        if stopper is not None and stopper.low_priority and nice is not None:
            command = [nice, "-n", "15", *command]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        return False, [], f"HermiT could not start: {exc}"
    if stopper is not None:
        stopper.started(process)
    stdout, stderr = process.communicate()
    if stopper is not None and stopper.stopped:
        raise Cancelled("reasoning stopped")
    output = (stdout or "") + (stderr or "")
    if process.returncode != 0:
        if "Inconsistent ontology" in output or "InconsistentOntologyException" in output:
            return False, [], ""
        return False, [], f"HermiT failed: {output.strip()[-2000:]}"
    unsat: set[str] = set(_NOT_SATISFIABLE.findall(output))
    if (
        not classify
        and classes
        and not unsat
        and len(_SATISFIABLE.findall(output)) != len(set(classes))
    ):
        return False, [], f"HermiT did not answer for every class: {output.strip()[-2000:]}"
    for relation, iris in _HERMIT_AXIOM.findall(output):
        members = _IRI.findall(iris)
        if relation == "EquivalentClasses" and _NOTHING in members:
            unsat.update(m for m in members if not m.startswith(str(OWL)))
    return True, sorted(unsat), ""


_NOTHING = str(OWL.Nothing)
_HERMIT_AXIOM = re.compile(r"^([A-Za-z]+)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)
_IRI = re.compile(r"<([^>]+)>")
_SATISFIABLE = re.compile(r"^<([^>]+)> is satisfiable\.$", re.MULTILINE)
_NOT_SATISFIABLE = re.compile(r"^<([^>]+)> is not satisfiable\.$", re.MULTILINE)


def reason(
    ontology_dir: Path,
    extra_files: Sequence[Path] = (),
    abox_files: Sequence[Path] = (),
    classify: bool = True,
    own_classes: bool = False,
    stopper: Stopper | None = None,
) -> ReasonReport:
    """Check the ontology (with imports, ``extra_files`` and ``abox_files``) with HermiT.

    ``classify=False`` checks consistency only: no unsatisfiable class can be reported;
    with ``own_classes=True`` as well, it checks the satisfiability of each class in the
    ontology's own namespace instead (which also proves consistency) — far cheaper than
    classifying a large external vocabulary, whose own classes are then not checked.
    ``stopper``: lets another thread stop the run (it then raises :class:`Cancelled`).
    """
    start = time.monotonic()
    java = java_version()
    if java is None:
        return ReasonReport(
            consistent=False,
            seconds=time.monotonic() - start,
            java=None,
            message=f"Java not found: HermiT needs it; {INSTALL_HINT}.",
        )
    try:
        graph = load_ontology(Path(ontology_dir)).graph
        load_files([Path(p) for p in extra_files], graph)
        load_files([Path(p) for p in abox_files], graph)
    except OntologyLoadError as exc:
        return ReasonReport(False, [], time.monotonic() - start, java, str(exc), exc)
    notes: list[str] = []
    view = owl_view(graph, notes)
    ignored = unsupported_datatypes(view)
    with tempfile.TemporaryDirectory(prefix="govsm-reason-") as tmp:
        nt_file = Path(tmp) / "closure.nt"
        view.serialize(nt_file, format="nt", encoding="utf-8")
        own = own_ontology_classes(graph) if own_classes and not classify else []
        if stopper is not None and stopper.stopped:
            raise Cancelled("reasoning stopped")
        consistent, unsat_iris, error = _hermit(nt_file, classify, own, stopper)
    unsat = [(iri, label_of(graph, iri)) for iri in unsat_iris]
    message = _verdict(error, consistent, len(unsat), len(own), classify)
    if ignored:
        message += "; datatypes outside the OWL 2 map not checked by HermiT: " + ", ".join(
            _short(d) for d in ignored
        )
    if notes:
        message += "; input repairs: " + "; ".join(notes)
    return ReasonReport(consistent, unsat, time.monotonic() - start, java, message)


def _verdict(error: str, consistent: bool, unsatisfiable: int, own: int, classify: bool) -> str:
    """What HermiT said, in words (``own``: the ontology's own classes checked one by one,
    ``classify``: the whole hierarchy classified)."""
    if error:
        return error
    if not consistent:
        return "inconsistent: no model satisfies the ontology and data"
    if unsatisfiable:
        return f"consistent, but {unsatisfiable} unsatisfiable class(es)"
    if own:
        return (
            f"consistent; each of the ontology's own {own} classes satisfiable"
            " (external classes not classified)"
        )
    if not classify:
        return "consistent (consistency only: classes not classified)"
    return "consistent; every class satisfiable"


def _short(iri: str) -> str:
    for name, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{name}:{iri[len(ns) :]}"
    return f"<{iri}>"


def render(report: ReasonReport) -> str:
    """A few human-readable lines for the CLI."""
    if report.java is None:
        return report.message
    verdict = "OK" if report.ok else "FAILED"
    lines = [f"reason: {verdict} ({report.seconds:.1f} s, {report.java})", f"  {report.message}"]
    for iri, label in report.unsatisfiable:
        lines.append(f"  unsatisfiable: <{iri}>" + (f' "{label}"' if label else ""))
    return "\n".join(lines)
