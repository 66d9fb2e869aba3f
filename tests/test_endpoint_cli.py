"""``govsm serve`` with the endpoint: the limit options reach the service (its
description and its answers say so), bad limits exit 2, ``--no-sparql`` serves only the
site; the build's store on disk (kg.build.store): written and stamped by the build, read
by every worker, made anew when missing or stale, the dump loaded when it cannot be."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from support import built_dist, serve_command, start_serve
from typer.testing import CliRunner

import kg.build.store as store_module
from kg.build.store import (
    DATABASE,
    STORE,
    prefer_disk,
    read_stamp,
    ready_store,
    site_context,
    store_state,
    store_wanted,
    write_store,
)
from kg.cli.app import app as cli
from kg.prefixes import DEFAULT_BASE
from kg.rdf.jsonld import Context, usage_of_nquads

ROOT = Path(__file__).resolve().parents[1]
GOVSM = rdflib.Namespace("https://w3id.org/govsm/ontology#")
runner = CliRunner()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


def test_limits_from_the_command_line(dist: Path) -> None:
    options = ["--timeout", "2.5", "--max-rows", "5", "--max-body", "4000"]
    with serve_command(
        "--dist",
        str(dist),
        *options,
        "--max-concurrent",
        "3",
        "--workers",
        "1",
        "--worker-memory",
        "700",
        "--max-running",
        "2",
    ) as url:
        sd = httpx.get(url + "sparql", timeout=30)
        assert sd.status_code == 200 and sd.headers["content-type"].startswith("text/turtle")
        g = rdflib.Graph().parse(data=sd.content, format="turtle")
        me = rdflib.URIRef(url + "sparql")
        assert float(g.value(me, GOVSM.queryTimeLimit).toPython()) == 2.5
        assert g.value(me, GOVSM.resultRowLimit).toPython() == 5
        assert g.value(me, GOVSM.requestBodyLimit).toPython() == 4000
        assert g.value(me, GOVSM.concurrentQueryLimit).toPython() == 3
        assert g.value(me, GOVSM.queryWorkerCount).toPython() == 1
        assert g.value(me, GOVSM.workerMemoryLimit).toPython() == 700
        assert g.value(me, GOVSM.runningQueryLimit).toPython() == 1  # never over W
        r = httpx.get(url + "sparql", params={"query": "SELECT * { ?s ?p ?o }"}, timeout=30)
        assert r.headers["x-result-row-limit"] == "5" and r.headers["x-result-truncated"] == "true"
        assert len(r.json()["results"]["bindings"]) == 5
        # The site is still there.
        assert "GovSM-KG" in httpx.get(url, headers={"accept": "text/html"}, timeout=30).text


def test_no_sparql_serves_only_the_site(dist: Path) -> None:
    with serve_command("--dist", str(dist), "--no-sparql") as url:
        assert httpx.get(url + "sparql", timeout=30).status_code == 404
        assert httpx.get(url, timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--workers", "0"),
        ("--timeout", "0"),
        ("--max-rows", "0"),
        ("--max-body", "-1"),
        ("--worker-memory", "-1"),
        ("--max-running", "-1"),
    ],
)
def test_bad_limits_exit_2(dist: Path, option: str, value: str) -> None:
    result = runner.invoke(cli, ["serve", "--dist", str(dist), "--port", "0", option, value])
    assert result.exit_code == 2
    assert "bad limit" in result.output


def test_queries_option_sets_the_catalogue(dist: Path, tmp_path: Path) -> None:
    catalogue = tmp_path / "cq"
    catalogue.mkdir()
    source = ROOT / "queries" / "cq" / "factor-summary.rq"
    (catalogue / "factor-summary.rq").write_text(source.read_text(encoding="utf-8"), "utf-8")
    with serve_command("--dist", str(dist), "--workers", "1", "--queries", str(catalogue)) as url:
        listed = httpx.get(url + "api/queries", headers={"accept": "application/json"}, timeout=30)
        assert [q["name"] for q in listed.json()["queries"]] == ["factor-summary"]


def test_missing_queries_folder_exits_2(dist: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["serve", "--dist", str(dist), "--port", "0", "--queries", str(tmp_path / "none")]
    )
    assert result.exit_code == 2 and "not a folder" in result.output
    assert result.output.count("error:") == 1  # one line, not a second "error: 2"


def test_bad_catalogue_header_exits_2_naming_the_file(dist: Path, tmp_path: Path) -> None:
    catalogue = tmp_path / "cq"
    catalogue.mkdir()
    (catalogue / "broken.rq").write_text(
        "# title: Broken\n# question: ?\n# parameters: study (no-such-type)\n"
        "SELECT * WHERE { ?s ?p ?o }\n",
        "utf-8",
    )
    result = runner.invoke(
        cli, ["serve", "--dist", str(dist), "--port", "0", "--queries", str(catalogue)]
    )
    assert result.exit_code == 2, result.output
    assert "query catalogue" in result.output and "broken.rq" in result.output
    assert "Traceback" not in result.output


# --- the store on disk (kg.build.store) ---------------------------------------------------


def _holding(folder: Path) -> set[int]:
    """Processes (pids) that have a file under ``folder`` open."""
    found = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:  # gone, or not ours to read
            continue
        if any(link.startswith(str(folder) + "/") for link in links):
            found.add(int(fd_dir.parent.name))
    return found


@pytest.fixture(scope="module")
def stored(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dist/ with the build's dump and the store govsm serve makes from it (the build
    of a review this small writes none: see the test below)."""
    folder = tmp_path_factory.mktemp("stored")
    os.link(dist / "govsm.nq", folder / "govsm.nq")
    assert ready_store(folder) == folder / STORE / DATABASE
    return folder


def test_a_small_build_leaves_the_store_to_serve(dist: Path) -> None:
    """By default the build writes the store only when govsm serve would read it: the
    review's few megabytes fit in memory once per worker many times over."""
    assert not (dist / STORE).exists()
    assert not store_wanted(dist, None)
    assert store_wanted(dist, True) and not store_wanted(dist, False)


def test_the_store_is_stamped_with_its_dump(stored: Path) -> None:
    stamp = read_stamp(stored)
    assert stamp is not None, "no store/source.json"
    nquads = (stored / "govsm.nq").read_bytes()
    assert stamp.bytes == len(nquads)
    assert stamp.sha256 == hashlib.sha256(nquads).hexdigest()
    assert stamp.quads == len(set(nquads.splitlines())) == sum(stamp.graphs.values())
    assert store_state(stored) is None
    assert ox.Store.read_only(str(stored / STORE / DATABASE)).__len__() == stamp.quads


def test_the_store_is_compacted_and_takes_its_writers_hash(
    dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded in blocks, each block adds files that span most keys, and a lookup would
    search them all: the store has fewer files than the same blocks loaded and left as
    they are. The dump's hash, when its writer gives it, is not made again."""
    folder = tmp_path / "dist"
    folder.mkdir()
    os.link(dist / "govsm.nq", folder / "govsm.nq")
    lines = (folder / "govsm.nq").read_bytes().splitlines(keepends=True)
    quarter = len(lines) // 4 + 1
    blocks = [b"".join(lines[i : i + quarter]) for i in range(0, len(lines), quarter)]
    monkeypatch.setattr(store_module, "_BLOCK", max(map(len, blocks)))
    stamp = write_store(folder, sha256="ab" * 32)
    assert stamp.sha256 == "ab" * 32 and stamp.quads == len(set(lines))
    loose = ox.Store(str(tmp_path / "loose"))
    for block in blocks:
        loose.bulk_load(block, format=ox.RdfFormat.N_QUADS)
    loose.flush()
    del loose

    def files(db: Path) -> int:
        return len(list(db.glob("*.sst")))

    assert files(folder / STORE / DATABASE) < files(tmp_path / "loose")


def test_a_blank_node_split_across_blocks_stays_one(
    dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bulk loader gives the blank nodes of each call fresh identifiers, and a blank
    node's lines are not together in a sorted dump (an RDF list is the object of a line
    sorted under its subject, its own lines under ``_:``): in blocks, the store must still
    hold one node for each of the dump's, linked as in the dump."""
    folder = tmp_path / "dist"
    folder.mkdir()
    os.link(dist / "govsm.nq", folder / "govsm.nq")
    monkeypatch.setattr(store_module, "_BLOCK", (folder / "govsm.nq").stat().st_size // 8 + 1)
    write_store(folder)
    disk = ox.Store.read_only(str(folder / STORE / DATABASE))
    whole = ox.Store()
    whole.bulk_load(path=str(folder / "govsm.nq"), format=ox.RdfFormat.N_QUADS)
    queries = (
        "SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH ?g { { ?b ?p ?o } UNION { ?s ?p ?b } }"
        " FILTER isBlank(?b) }",
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?b . ?b ?q ?o } FILTER isBlank(?b) }",
    )
    for query in queries:
        (expected,), (found,) = list(whole.query(query)), list(disk.query(query))
        assert int(expected[0].value) > 0
        assert found[0] == expected[0], query


def test_sigterm_stops_the_server_and_its_workers_cleanly(dist: Path, tmp_path: Path) -> None:
    """SIGTERM (a service manager's stop) ends ``govsm serve`` as Ctrl-C does: exit 0,
    the workers and their fork server gone, multiprocessing's temporary folder removed
    (uvicorn raises the signal again after its shutdown: by default it would kill the
    process before any of that)."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "COLUMNS": "300"}
    proc, _url = start_serve("--dist", str(dist), "--workers", "2", env=env)
    try:
        children = [p for p in Path("/proc").glob("[0-9]*") if _parent(p) == proc.pid]
        assert list(tmp_path.glob("pymp-*")), "no temporary folder to watch"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    deadline = time.monotonic() + 10  # the fork server and resource tracker see EOF
    while [p for p in children if p.exists()] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children and not [p for p in children if p.exists()]
    assert not list(tmp_path.glob("pymp-*"))


def test_a_sigterm_as_soon_as_the_server_is_announced_stops_it_cleanly() -> None:
    """The SIGTERM handler is in place before the server says it is serving: a supervisor
    that stops it on that line gets the clean stop, not the default handler's kill."""
    from kg.cli.serve import _serve_until_stopped

    closed: list[bool] = []

    class Server:
        def serve_forever(self) -> None:
            time.sleep(5)  # interrupted by the signal's handler

        def server_close(self) -> None:
            closed.append(True)

    before = signal.getsignal(signal.SIGTERM)
    _serve_until_stopped(Server(), lambda: os.kill(os.getpid(), signal.SIGTERM))  # type: ignore[arg-type]
    assert closed == [True]
    assert signal.getsignal(signal.SIGTERM) == before


def _parent(proc_dir: Path) -> int | None:
    """The parent pid of a /proc/PID folder (None once the process is gone)."""
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def test_the_site_context_is_the_dumps(dist: Path) -> None:
    made = Context.build(usage_of_nquads(dist / "govsm.nq"), DEFAULT_BASE)
    assert site_context(dist, DEFAULT_BASE) == made
    assert site_context(dist, "http://example.org/") is None  # built for another base


def test_serve_makes_a_missing_or_stale_store(dist: Path, stored: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"  # a dist/ from before the store: its dump, no store/
    old.mkdir()
    shutil.copyfile(dist / "govsm.nq", old / "govsm.nq")
    assert store_state(old) == "missing"
    notes: list[str] = []
    assert ready_store(old, notes.append) == old / STORE / DATABASE
    assert "missing" in notes[0] and store_state(old) is None
    os.utime(old / "govsm.nq")  # touched, same bytes: still the store's dump
    assert store_state(old) is None and ready_store(old, notes.append) is not None
    assert len(notes) == 2  # not made again
    with (old / "govsm.nq").open("a") as f:
        f.write('<http://example.org/s> <http://example.org/p> "1" <http://example.org/g> .\n')
    assert (store_state(old) or "").startswith("stale")
    ready_store(old, notes.append)
    assert read_stamp(old).quads == read_stamp(stored).quads + 1  # type: ignore[union-attr]


def test_serve_loads_the_dump_when_no_store_can_be_written(
    dist: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old"
    old.mkdir()
    os.link(dist / "govsm.nq", old / "govsm.nq")

    def refused(folder: Path) -> None:
        raise PermissionError(13, "Permission denied", str(folder / STORE))

    monkeypatch.setattr(store_module, "write_store", refused)
    notes: list[str] = []
    assert ready_store(old, notes.append) is None
    assert "warning" in notes[-1] and "every worker loads govsm.nq" in notes[-1]
    assert not (old / STORE).exists()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_serve_makes_the_missing_store_and_every_worker_reads_it(
    dist: Path, stored: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old"  # a dist/ from before the store: its dump, no store/ (no site)
    old.mkdir()
    os.link(dist / "govsm.nq", old / "govsm.nq")
    options = ("--on-demand", "--workers", "2", "--store", "disk")
    with serve_command("--dist", str(old), *options) as url:
        query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        r = httpx.get(url + "sparql", params={"query": query}, timeout=30)
        assert r.status_code == 200, r.text
        n = int(r.json()["results"]["bindings"][0]["n"]["value"])
        assert n == read_stamp(stored).quads  # type: ignore[union-attr]
        workers = {
            pid
            for pid in _holding(old / STORE / DATABASE)
            if b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
        }
        assert len(workers) == 2  # each worker holds the one store open, none a copy
    assert store_state(old) is None


def test_auto_reads_the_disk_only_when_the_copies_would_not_fit() -> None:
    mb = 1 << 20
    assert not prefer_disk(244 * mb, 4, 24_000)  # 10^4 studies: four copies fit in 6 GB
    assert prefer_disk(2_400 * mb, 1, 24_000)  # 10^5: one copy does not
    assert prefer_disk(244 * mb, 2, None)  # memory unknown: the safe side


def test_bad_store_mode_exits_2(dist: Path) -> None:
    result = runner.invoke(cli, ["serve", "--dist", str(dist), "--port", "0", "--store", "ram"])
    assert result.exit_code == 2 and "--store must be auto, disk or memory" in result.output
