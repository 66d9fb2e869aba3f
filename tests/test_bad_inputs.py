"""Bad build inputs (issue 19): each either works as a user expects or ends `govsm build`
(and `govsm validate`) with exit 2 and a message naming the file or path and what is
wrong, never a traceback, the previous dist/ left whole.

One small project (a few triples, the repository's ontology, shapes and queries) is
built once with every input that should just work: a file name with a space, a UTF-8
byte-order mark, RDF lists nested 400 deep, files of RDF types the loader does not read.
The failing inputs are built each on their own; they fail at the load or before it.
A read-only and a full output disk are real where the machine allows it (a tmpfs in a
user and mount namespace, ``unshare``), and a full disk is also simulated in-process.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from support import service_over
from typer.testing import CliRunner

from kg.build import atomic
from kg.build.atomic import remove_leftovers
from kg.cli.app import app
from kg.config import Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.load import graph_iri
from kg.web.server import make_app
from kg.web.site.ondemand import OnDemandSite

REPO = Path(__file__).resolve().parents[1]
DEPTH = 400
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DEEP = "id/deep-lists"
SPACED = "my data.ttl"
BOM = b"\xef\xbb\xbf"


def _turtle(subject: str, label: str) -> str:
    return f'<{DEFAULT_BASE}{subject}> {LABEL} "{label}" .\n'


def _small_project(root: Path) -> Path:
    """``root``/data/r/ with one plain Turtle file; the data folder."""
    data = root / "data" / "r"
    data.mkdir(parents=True)
    (data / "plain.ttl").write_text(_turtle("id/plain", "plain"), encoding="utf-8")
    return data.parent


def _previous_dist(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "govsm.nq").write_text("previous\n", encoding="utf-8")


def _build(data: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["build", "--no-reason", "--data", str(data), "--out", str(out), *extra]
    )
    return result.exit_code, result.output


def _failed_cleanly(code: int, output: str, out: Path) -> None:
    """Exit 2, an error line and no traceback, the previous dist/ whole, no temp folder."""
    assert code == 2, output
    assert "error:" in output and "Traceback" not in output, output
    assert (out / "govsm.nq").read_text(encoding="utf-8") == "previous\n"
    assert not list(out.parent.glob(f".{out.name}.tmp-*"))


# --- the inputs that just work ------------------------------------------------------------


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small project with every odd-but-fine input, built: (dist, build output)."""
    root = tmp_path_factory.mktemp("odd")
    data = _small_project(root)
    review = data / "r"
    (review / SPACED).write_text(_turtle("id/spaced", "spaced"), encoding="utf-8")
    (review / "windows.ttl").write_bytes(BOM + _turtle("id/bom", "from notepad").encode())
    nested = "(" * DEPTH + ' "innermost" ' + ")" * DEPTH
    (review / "deep.ttl").write_text(
        f'<{DEFAULT_BASE}{DEEP}> {LABEL} "deep lists" ; <http://example.org/p> {nested} .\n',
        encoding="utf-8",
    )
    (review / "other.nq").write_text(
        f'<{DEFAULT_BASE}id/nq> {LABEL} "n-quads" <{DEFAULT_BASE}g> .\n', encoding="utf-8"
    )
    (review / "other.jsonld").write_text('{"@id": "http://example.org/a"}', encoding="utf-8")
    (review / "notes.csv").write_text("a,b\n", encoding="utf-8")
    out = root / "dist"
    code, output = _build(data, out)
    assert code == 0, output
    return out, output


def test_a_file_name_with_a_space_gets_a_percent_encoded_graph(odd: tuple[Path, str]) -> None:
    dist, _ = odd
    graph = graph_iri(DEFAULT_BASE, f"data/r/{SPACED}")
    assert graph == f"{DEFAULT_BASE}graph/data/r/my%20data.ttl"
    # names every other file as before, letters of any script included
    assert graph_iri(DEFAULT_BASE, "data/r/évidence_1.ttl").endswith("/évidence_1.ttl")
    assert graph_iri(DEFAULT_BASE, "data/r/a%20b#c?.ttl").endswith("/a%2520b%23c%3F.ttl")
    nquads = (dist / "govsm.nq").read_text(encoding="utf-8")
    assert f'"spaced" <{graph}> .' in nquads
    # the site's dumps name the graph, and the Graph Store serves it by that name
    assert f"<{graph}>" in (dist / "site" / "dumps" / "govsm.nq").read_text(encoding="utf-8")
    with service_over(dist, workers=1, timeout_s=20) as service:
        client = TestClient(make_app(dist / "site", service=service))
        answer = client.get(
            "/graph-store", params={"graph": graph}, headers={"accept": "application/n-triples"}
        )
    assert answer.status_code == 200, answer.text
    assert answer.text.strip() == _turtle("id/spaced", "spaced").strip()


def test_a_byte_order_mark_is_skipped(odd: tuple[Path, str], tmp_path: Path) -> None:
    dist, _ = odd
    nquads = (dist / "govsm.nq").read_text(encoding="utf-8")
    assert f'"from notepad" <{DEFAULT_BASE}graph/data/r/windows.ttl> .' in nquads
    # govsm validate too, on its incremental path and without it
    data = _small_project(tmp_path)
    (data / "r" / "windows.ttl").write_bytes(BOM + _turtle("id/bom", "bom").encode())
    cache = ["--cache", str(tmp_path / "cache")]
    for extra in ([], ["--full"], ["--engine", "rdflib", "--full"]):
        result = CliRunner().invoke(app, ["validate", "--data", str(data), *cache, *extra])
        assert result.exit_code == 0, result.output


def test_files_the_loader_does_not_read_are_listed_with_why(odd: tuple[Path, str]) -> None:
    _, output = odd
    flat = " ".join(output.split())
    assert "other.nq (N-Quads: the loader reads Turtle (.ttl) and N-Triples (.nt) only" in flat
    assert "other.jsonld (JSON-LD: the loader reads" in flat
    assert "notes.csv (not RDF)" in flat
    assert "n-quads" not in (odd[0] / "govsm.nq").read_text(encoding="utf-8")


def test_lists_nested_400_deep_render_with_a_cap(odd: tuple[Path, str], tmp_path: Path) -> None:
    dist, _ = odd
    static = (dist / "site" / f"{DEEP}.html").read_text(encoding="utf-8")
    assert "[…]" in static and "innermost" not in static
    # the same page on demand (govsm serve --on-demand): 200, the same cap
    pages = OnDemandSite.from_nquads(dist / "govsm.nq", DEFAULT_BASE, Project().queries)
    client = TestClient(make_app(tmp_path / "no-site", DEFAULT_BASE, on_demand=pages))
    answer = client.get(f"/{DEEP}.html")
    assert answer.status_code == 200, answer.text[-500:]
    assert "[…]" in answer.text and "deep lists" in answer.text


# --- the inputs that fail --------------------------------------------------------------------


def test_a_literal_over_the_parsers_limit_is_a_parse_error(tmp_path: Path) -> None:
    data = _small_project(tmp_path)
    big = data / "r" / "big.ttl"
    with big.open("w", encoding="utf-8") as text:
        text.write(_turtle("id/a", "a"))
        text.write(f'<{DEFAULT_BASE}id/b> {LABEL} "' + "x" * (17 * 2**20) + '" .\n')
    out = tmp_path / "dist"
    _previous_dist(out)
    code, output = _build(data, out)
    _failed_cleanly(code, output, out)
    flat = " ".join(output.split())
    assert f"{big}:2: a term" in flat and "16 MiB" in flat
    result = CliRunner().invoke(app, ["validate", "--data", str(data), "--full"])
    assert result.exit_code == 2 and "16 MiB" in result.output, result.output


def test_a_full_disk_while_publishing_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _small_project(tmp_path)
    out = tmp_path / "dist"
    _previous_dist(out)
    write_text = Path.write_text

    def full(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == "report.md":  # as a write() fails: no file name in the error
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full)
    code, output = _build(data, out)
    _failed_cleanly(code, output, out)
    flat = " ".join(output.split())
    assert f"cannot write the output folder {out}: No space left on device" in flat


def test_leftovers_of_killed_builds_are_removed_but_not_a_live_builds(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    dead = tmp_path / ".dist.tmp-4194999-killed"  # above any pid_max: no such process
    live = tmp_path / f".dist.tmp-{os.getpid()}-running"
    held = tmp_path / ".dist.tmp-4194998-other-namespace"  # a dead pid, but locked
    other = tmp_path / ".elsewhere.tmp-4194999-x"  # another output's
    for folder in (dead, live, held, other):
        (folder / "site").mkdir(parents=True)
    fd = os.open(held, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held throughout: as by a build we cannot see
        assert remove_leftovers(out) == [dead]
        assert live.is_dir() and held.is_dir() and other.is_dir()
        # a build's own temporary folder survives another's clean-up while it writes
        with atomic.atomic_folder(out) as mine:
            (mine / "govsm.nq").write_text("new\n", encoding="utf-8")
            assert remove_leftovers(out) == []
            assert mine.is_dir()
        assert (out / "govsm.nq").read_text(encoding="utf-8") == "new\n"
        # and the next build removes what a killed one left, before its stages
        shutil.rmtree(live)
        (tmp_path / ".dist.tmp-4194997-killed").mkdir()
        code, output = _build(_small_project(tmp_path / "p"), out)
        assert code == 0, output
        assert sorted(p.name for p in tmp_path.glob(".dist.tmp-*")) == [held.name]
    finally:
        os.close(fd)


# --- a read-only and a full output disk, for real ------------------------------------------


def _namespace_with_tmpfs() -> bool:
    """Whether ``unshare`` can give this process a tmpfs of its own (no root needed)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
         "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return probe.returncode == 0


@pytest.fixture(scope="module")
def tmpfs() -> Iterator[None]:
    if not _namespace_with_tmpfs():
        pytest.skip("unshare cannot mount a tmpfs in a user namespace here")
    yield


def _build_on_tmpfs(tmp_path: Path, options: str, after: str) -> tuple[int, str, float]:
    """``govsm build`` of a small project into a tmpfs mounted with ``options`` at
    ``tmp_path``/mnt (holding a previous dist/), ``after`` run between the mount and
    the build; its exit code, output (then what the tmpfs holds) and seconds."""
    data = _small_project(tmp_path)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = (
        f"mount -t tmpfs -o {options} tmpfs {mnt} && mkdir {mnt}/dist && "
        f"echo previous > {mnt}/dist/govsm.nq && {after}; "
        f"{sys.executable} -m kg.cli build --no-reason --data {data} --out {mnt}/dist; "
        f"code=$?; echo; echo previous-dist: $(cat {mnt}/dist/govsm.nq); ls -a {mnt}; exit $code"
    )
    start = time.monotonic()
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


def test_a_read_only_output_fails_before_the_stages(tmpfs: None, tmp_path: Path) -> None:
    code, output, _ = _build_on_tmpfs(tmp_path, "size=1m", f"mount -o remount,ro {tmp_path}/mnt")
    flat = " ".join(output.split())
    assert code == 2, output
    assert f"cannot write the output folder {tmp_path}/mnt/dist: Read-only file system" in flat
    assert "load:" not in output and "Traceback" not in output, output
    assert "previous-dist: previous" in output


def test_a_full_output_disk_exits_2_with_the_previous_dist_whole(
    tmpfs: None, tmp_path: Path
) -> None:
    code, output, _ = _build_on_tmpfs(tmp_path, "size=256k", "true")
    flat = " ".join(output.split())
    assert code == 2, output
    assert f"cannot write the output folder {tmp_path}/mnt/dist: No space left on device" in flat
    assert "Traceback" not in output, output
    assert "previous-dist: previous" in output
    assert ".dist.tmp-" not in output  # the partial output removed
