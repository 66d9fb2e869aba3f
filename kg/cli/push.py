"""``govsm push``: upload the build's named graphs to a SPARQL engine (kg.remote.push),
with a progress bar, and print how the triple counts compare afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from kg.cli import exits, options
from kg.cli.exits import FAILED, OK, REMOTE, USAGE, fail
from kg.cli.options import ProjectDir
from kg.cli.output import console, err
from kg.config import ConfigError
from kg.prefixes import DEFAULT_BASE
from kg.remote.client import AUTH_SCHEMES, SERVERS, Remote, RemoteError, credentials_from_env
from kg.remote.push import (
    BLANK_NODE_MODES,
    DEFAULT_CHUNK,
    GraphStore,
    GraphUpload,
    PushError,
    PushReport,
    RemoteFailure,
    default_graph_store,
    push,
)

Endpoint = Annotated[
    str, typer.Option("--endpoint", help="SPARQL query endpoint URL (used to verify the counts).")
]
GraphStoreUrl = Annotated[
    str | None,
    typer.Option(
        "--graph-store",
        help="Graph Store Protocol URL, where it differs from the endpoint's usual one "
        "(Virtuoso /sparql-graph-crud-auth, Fuseki /DS/data, GraphDB "
        "/repositories/ID/rdf-graphs/service, Neptune /sparql/gsp/).",
    ),
]
Auth = Annotated[
    str | None,
    typer.Option(
        "--auth",
        help=f"HTTP auth scheme ({', '.join(AUTH_SCHEMES)}); credentials come from "
        "GOVSM_ENDPOINT_USER and GOVSM_ENDPOINT_PASSWORD.",
    ),
]
Source = Annotated[
    Path | None,
    typer.Option(
        "--from",
        help="N-Quads file with the named graphs to push (default: the build's "
        "govsm.nq in the project's dist/).",
    ),
]
ChunkSize = Annotated[
    int, typer.Option("--chunk-size", help="Triples per request (graphs without blank nodes).")
]
BlankNodes = Annotated[
    str,
    typer.Option(
        "--blank-nodes",
        help="keep: blank nodes stay blank, each graph with blank nodes sent whole; "
        "skolemize: BASE.well-known/genid/LABEL IRIs.",
    ),
]
SkolemBase = Annotated[
    str, typer.Option("--base", help="Base IRI for skolem IRIs (--blank-nodes skolemize).")
]
Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds per HTTP request before giving up.")
]
Server = Annotated[str, typer.Option("--server", help=f"Engine kind: {', '.join(SERVERS)}.")]
Prune = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Delete remote graphs under the same BASE graph/ namespace that this push "
        "does not contain (left by an earlier push); without it they are only listed.",
    ),
]


@exits.documented(
    {
        OK: "pushed and verified",
        FAILED: "a count differs (a table is printed)",
        USAGE: "usage error or unreadable input",
        REMOTE: "the remote failed (HTTP error, timeout, refused)",
    }
)
def push_command(
    endpoint: Endpoint,
    graph_store: GraphStoreUrl = None,
    auth: Auth = None,
    source: Source = None,
    chunk_size: ChunkSize = DEFAULT_CHUNK,
    blank_nodes: BlankNodes = "keep",
    base: SkolemBase = DEFAULT_BASE,
    timeout: Timeout = 300.0,
    server: Server = "auto",
    prune: Prune = False,
    project_dir: ProjectDir = None,
) -> None:
    """Upload every named graph to a SPARQL engine (Graph Store Protocol PUT: a second push
    replaces, never duplicates) and verify the triple count of each graph afterwards."""
    if blank_nodes not in BLANK_NODE_MODES:
        fail(f"--blank-nodes must be one of {', '.join(BLANK_NODE_MODES)}", USAGE)
    try:
        source = options.build_output(source, project_dir, "govsm.nq")
    except ConfigError as exc:
        fail(str(exc), USAGE)
    remote, store, store_url = _connect(endpoint, graph_store, auth, timeout, server)
    if not source.is_file():
        fail(f"{source} not found: run `govsm build` first (or pass --from FILE.nq)", USAGE)
    err.print(f"graph store: {store_url}", highlight=False)
    try:
        report = _push_with_progress(
            source,
            store,
            remote,
            chunk_size=chunk_size,
            blank_nodes=blank_nodes,
            base=base,
            prune=prune,
        )
    except RemoteFailure as exc:
        fail(str(exc), REMOTE)
    except PushError as exc:
        fail(str(exc), USAGE)
    if not report.ok:
        err.print(_count_table(report, only_mismatches=True))
        fail(
            f"{sum(not r.ok for r in report.counts)} graph(s) differ between local and remote",
            FAILED,
        )
    console.print(_count_table(report))
    _print_stale(report)
    console.print(
        f"[green]pushed[/] {len(report.counts)} graphs, {report.triples} triples "
        f"({report.bytes_sent / 1e6:.2f} MB in {report.requests} requests) in "
        f"{report.upload_seconds:.2f} s; counts verified in {report.verify_seconds:.2f} s",
        highlight=False,
    )


def _connect(
    endpoint: str, graph_store: str | None, auth: str | None, timeout: float, server: str
) -> tuple[Remote, GraphStore, str]:
    """The query endpoint, the Graph Store and its URL (the endpoint's usual one unless
    --graph-store names it), with the credentials --auth asks for from the environment."""
    try:
        credentials = credentials_from_env(auth)
        remote = Remote(endpoint, credentials, timeout=timeout, server=server)
        store_url = graph_store or default_graph_store(endpoint, credentials is not None)
        return remote, GraphStore(store_url, credentials, timeout=timeout), store_url
    except (RemoteError, PushError) as exc:
        fail(str(exc), USAGE)


def _push_with_progress(
    source: Path,
    store: GraphStore,
    remote: Remote,
    *,
    chunk_size: int,
    blank_nodes: str,
    base: str,
    prune: bool,
) -> PushReport:
    """``push`` with a progress bar on stderr: triples sent of all, time elapsed and left."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("triples"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    task: list[TaskID] = []  # the one task, added once push knows the total

    def prepared(uploads: list[GraphUpload]) -> None:
        total = sum(u.triples for u in uploads)
        task.append(progress.add_task(f"pushing {len(uploads)} graphs", total=total))

    def step(graph: str, sent: int, _in_graph: int) -> None:
        progress.update(task[0], advance=sent, description=f"… {graph.rsplit('/', 1)[-1]}")

    with progress:
        report = push(
            source,
            store,
            remote,
            chunk_size=chunk_size,
            blank_nodes=blank_nodes,
            base=base,
            progress=step,
            on_prepared=prepared,
            prune=prune,
        )
        progress.update(task[0], description="pushed")
    return report


def _print_stale(report: PushReport) -> None:
    """The remote graphs an earlier push left: those deleted (--prune), or a warning."""
    for name in report.pruned:
        err.print(f"[yellow]deleted[/] stale remote graph {esc(name)}", highlight=False)
    stale = [name for name in report.stale if name not in report.pruned]
    if stale:
        err.print(
            f"[yellow]warning:[/] {len(stale)} graph(s) under {esc(report.graph_prefix or '')} "
            "are on the remote but not in this push (an earlier push's; queries see them): "
            + ", ".join(esc(n) for n in stale)
            + "; `--prune` deletes them",
            highlight=False,
        )


def _count_table(report: PushReport, only_mismatches: bool = False) -> RichTable:
    """Triple counts per graph, local and remote."""
    out = RichTable(title="Triples per graph: local vs remote")
    for heading, justify in (("Graph", "left"), ("Local", "right"), ("Remote", "right")):
        out.add_column(heading, justify=justify, overflow="fold")  # type: ignore[arg-type]
    out.add_column("", justify="left")
    for row in report.counts:
        if only_mismatches and row.ok:
            continue
        out.add_row(
            esc(row.graph),
            str(row.local),
            str(row.remote),
            "ok" if row.ok else "[bold red]MISMATCH[/]",
            style=None if row.ok else "red",
        )
    out.add_row("total", str(report.triples), str(sum(r.remote for r in report.counts)), "")
    return out
