"""Baseline (b): Apache Jena from Debian (``apt-get install libapache-jena-java``).

The stages run Jena's own command-line tools, each a fresh JVM that parses its input, as
a user of the Debian package would: ``riotcmd.riot`` (load: parse every source file;
dumps: N-Triples and pretty Turtle), ``shacl.shacl validate`` (the same shapes) plus
``arq.sparql`` for each check query (validate), ``arq.sparql`` for the derivation rule
(CONSTRUCT, the same text with the rule IRI bound as our engine binds it) and for the
verify query. Jena has no OWL 2 DL reasoner of HermiT's kind, so it has no reason stage.

Debian 12 note: ``jena-core.jar`` looks for its xerces message bundles under
``xerces/impl/msg/`` (and the regex bundle under ``xerces/impl/xpath/regex/``) but ships
them under ``org/apache/jena/ext/xerces/...``; :func:`classpath` copies them into a
folder at the expected path and puts it first on the classpath, which makes the commands
start.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

JAVA_DIR = Path("/usr/share/java")
#: The jars of libapache-jena-java and its dependencies (Debian 12), by unversioned name.
JARS = [
    "jena-arq",
    "jena-base",
    "jena-cmds",
    "jena-core",
    "jena-dboe-base",
    "jena-dboe-index",
    "jena-dboe-storage",
    "jena-dboe-trans-data",
    "jena-dboe-transaction",
    "jena-iri",
    "jena-rdfconnection",
    "jena-shacl",
    "jena-shex",
    "jena-tdb",
    "jena-tdb2",
    "atinject-jsr330-api",
    "commons-cli",
    "commons-codec",
    "commons-compress",
    "commons-csv",
    "commons-io",
    "commons-lang3",
    "commons-logging",
    "dexx.collection",
    "error_prone_annotations",
    "gson",
    "guava",
    "httpclient",
    "httpclient-cache",
    "httpcore",
    "jackson-annotations",
    "jackson-core",
    "jackson-databind",
    "jakarta.json-api",
    "jcl-over-slf4j",
    "jsonld-java",
    "jsr305",
    "log4j-over-slf4j",
    "protobuf",
    "protobuf-util",
    "slf4j-api",
    "slf4j-nop",
    "thrift",
    "titanium-json-ld",
]
_BUNDLE_PREFIX = "org/apache/jena/ext/xerces/"


def missing() -> str | None:
    """Why Jena cannot run here (None when it can)."""
    if shutil.which("java") is None:
        return "no java (apt-get install default-jre-headless)"
    if not (JAVA_DIR / "jena-cmds.jar").is_file():
        return "Apache Jena not installed (apt-get install libapache-jena-java)"
    return None


def classpath(work: Path) -> str:
    """The classpath: the bundle folder (see the module docstring), then the jars."""
    fix = work / "jena-xerces-bundles"
    if not (fix / "xerces" / "impl" / "msg").is_dir():
        with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
            for name in jar.namelist():
                if name.startswith(_BUNDLE_PREFIX) and name.endswith(".properties"):
                    target = fix / "xerces" / name[len(_BUNDLE_PREFIX) :]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(jar.read(name))
    jars = [str(JAVA_DIR / f"{j}.jar") for j in JARS if (JAVA_DIR / f"{j}.jar").is_file()]
    return os.pathsep.join([str(fix), *jars])


@dataclass
class Run:
    """One command: wall time, peak RSS of the child (MB), exit code, output file."""

    seconds: float
    rss_mb: float
    code: int
    stdout: Path


def run(
    cp: str, main_class: str, args: list[str], stdout: Path, timeout: float | None = None
) -> Run:
    """Run ``java -cp CP MAIN ARGS > stdout`` and measure it (os.wait4 gives the child's
    own rusage, so ru_maxrss is the JVM's peak RSS)."""
    stderr = stdout.with_suffix(stdout.suffix + ".err")
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(["java", "-cp", cp, main_class, *args], stdout=out, stderr=err)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 1024 if usage else 0.0
    return Run(seconds, rss, proc.returncode, stdout)


def peak_rss_children() -> float:
    """Peak RSS (MB) of the largest child waited for so far."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _count_lines(path: Path, skip: int = 0) -> int:
    with path.open("rb") as handle:
        return max(0, sum(1 for line in handle if line.strip()) - skip)


def stages(root: Path, work: Path, cap: float) -> list[dict]:
    """Jena's stages on the project at ``root``: one dict per stage (stage, seconds,
    rss_mb, counts, status). Input files are prepared (untimed) in ``work``: the union of
    the ontology and data as N-Triples (what every command after load reads), the two
    shapes files concatenated, each query with its parameters bound."""
    import pyoxigraph as ox
    from rdflib import URIRef

    from bench.measure import BASE, RULES, source_files
    from kg.config import Project
    from kg.sparql.files import inject_values, read_query
    from kg.stages.derive import select_rules
    from kg.stages.verify import VERIFY_QUERY
    from kg.validation.inputs import load_checks

    project = Project(root=root)
    work.mkdir(parents=True, exist_ok=True)
    cp = classpath(work)
    files = source_files(root)
    union = work / "union.nt"
    with union.open("wb") as out:
        for path in files:
            out.write(
                ox.serialize(
                    ox.parse(path=str(path), format=ox.RdfFormat.TURTLE),
                    format=ox.RdfFormat.N_TRIPLES,
                )
            )
    shapes = work / "shapes.ttl"
    shapes.write_bytes(b"\n".join(p.read_bytes() for p in sorted(project.shapes.glob("*.ttl"))))
    rules = select_rules(project.queries, RULES)
    out: list[dict] = []
    start_all = time.perf_counter()

    def left() -> float:
        return max(1.0, cap - (time.perf_counter() - start_all))

    def record(stage: str, runs: list[Run], **info: object) -> bool:
        ok = all(r.code == 0 for r in runs)
        out.append(
            {
                "stage": stage,
                "seconds": round(sum(r.seconds for r in runs), 4),
                "rss_mb": round(max(r.rss_mb for r in runs), 1),
                "status": "ok" if ok else "failed",
                **info,
            }
        )
        return ok

    files_args = [str(p) for p in files]
    r = run(cp, "riotcmd.riot", ["--count", *files_args], work / "load.out", left())
    if not record("load", [r]):
        return out
    runs = [
        run(
            cp,
            "shacl.shacl",
            ["validate", "--shapes", str(shapes), "--data", str(union)],
            work / "shacl.ttl",
            left(),
        )
    ]
    results = runs[0].stdout.read_text(encoding="utf-8").count("sh:ValidationResult")
    check_rows = 0
    for i, check in enumerate(load_checks(project.checks)):
        query = work / f"check-{i}.rq"
        query.write_text(check.text, encoding="utf-8")
        runs.append(
            run(
                cp,
                "arq.sparql",
                ["--data", str(union), "--query", str(query), "--results=TSV"],
                work / f"check-{i}.tsv",
                left(),
            )
        )
        check_rows += _count_lines(runs[-1].stdout, skip=1)
    if not record("validate", runs, results=results + check_rows, check_rows=check_rows):
        return out
    derived = work / "derived.nt"
    runs = []
    for rule in rules:
        query = work / f"rule-{rule.stem}.rq"
        iri = URIRef(f"{BASE}rule/{rule.stem}")
        query.write_text(inject_values(rule.query.text, {"rule": iri}), encoding="utf-8")
        runs.append(
            run(
                cp,
                "arq.sparql",
                ["--data", str(union), "--query", str(query), "--results=NT"],
                derived,
                left(),
            )
        )
    kind = "<https://w3id.org/govsm/ontology#DerivedClassification>"
    text = derived.read_text(encoding="utf-8")
    classifications = sum(
        1 for line in text.splitlines() if "#type>" in line and line.rstrip(" .").endswith(kind)
    )
    if not record("derive", runs, classifications=classifications):
        return out
    verify_query = read_query(project.queries / VERIFY_QUERY)
    runs = []
    compared = differences = 0
    for rule in rules:
        query = work / f"verify-{rule.stem}.rq"
        iri = URIRef(f"{BASE}rule/{rule.stem}")
        query.write_text(inject_values(verify_query.text, {"rule": iri}), encoding="utf-8")
        runs.append(
            run(
                cp,
                "arq.sparql",
                [
                    "--data",
                    str(union),
                    "--data",
                    str(derived),
                    "--query",
                    str(query),
                    "--results=TSV",
                ],
                work / "verify.tsv",
                left(),
            )
        )
        rows = runs[-1].stdout.read_text(encoding="utf-8").splitlines()[1:]
        compared += len(rows)
        differences += sum(1 for row in rows if not row.rstrip().endswith('"match"'))
    if not record("verify", runs, compared=compared, differences=differences):
        return out
    runs = [
        run(
            cp, "riotcmd.riot", ["--output=NT", str(union), str(derived)], work / "dump.nt", left()
        ),
        run(
            cp,
            "riotcmd.riot",
            ["--formatted=TTL", str(union), str(derived)],
            work / "dump.ttl",
            left(),
        ),
    ]
    record("dumps", runs, bytes=sum(r.stdout.stat().st_size for r in runs))
    return out
