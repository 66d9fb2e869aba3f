"""A large dataset's dump lines spilled to sorted runs on disk (kg.rdf.runs) give the
same dumps and the same site facts as lines held in memory, and leave nothing behind.

The threshold (kg.rdf.runs.SPILL_LINES, a million lines) is lowered here so that small
datasets spill: many runs, runs of one line, and the lines made early in the background
(kg.build.dumps.start_dump_lines) spilled or not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate import generate
from kg.build import dumps as dump_module
from kg.build import pipeline
from kg.build.atomic import remove_leftovers, scratch_folder
from kg.build.dumps import start_dump_lines, write_dumps
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf import nquads, runs
from kg.rdf.lines import line_blocks
from kg.rdf.load import load
from kg.web.site.facts import FactCounter


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Project:
    generated = generate(tmp_path_factory.mktemp("syn"), studies=60, seed=5)
    return Project(root=generated.root)


def _dumps(folder: Path) -> tuple[bytes, bytes]:
    return (folder / "govsm.nq").read_bytes(), (folder / "govsm.ttl").read_bytes()


def _runs_written(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The runs nquads writes from now on (listed as they are written)."""
    written: list[Path] = []
    real = runs.write_run

    def counting(folder: Path, lines: list[bytes]) -> Path:
        written.append(real(folder, lines))
        return written[-1]

    monkeypatch.setattr(nquads, "write_run", counting)
    return written


@pytest.mark.parametrize("threshold", [1, 97, 5000])
@pytest.mark.parametrize("early", [False, True])
def test_spilled_dumps_and_facts_equal_those_made_in_memory(
    threshold: int, early: bool, synthetic: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Byte for byte, with the site's facts counted on the way; the runs are removed."""
    loaded = load(synthetic, DEFAULT_BASE)
    engine = loaded.engine
    memory = write_dumps(tmp_path / "memory", engine, summarise=lambda: FactCounter(DEFAULT_BASE))
    monkeypatch.setattr(nquads, "SPILL_LINES", threshold)
    written = _runs_written(monkeypatch)
    spill = tmp_path / "spill"
    spill.mkdir()
    started = [start_dump_lines(engine, [s.graph for s in loaded.sources], spill)] if early else []
    spilled = write_dumps(
        tmp_path / "spilled", engine, started, lambda: FactCounter(DEFAULT_BASE), spill
    )
    total = len(_dumps(tmp_path / "memory")[0].splitlines())
    assert len(written) >= max(2, total // max(threshold, 1000))  # the dataset spilled
    assert _dumps(tmp_path / "spilled") == _dumps(tmp_path / "memory")
    assert spilled.sums == memory.sums and spilled.sizes == memory.sizes
    assert spilled.summary == memory.summary
    assert list(spill.iterdir()) == []  # every run merged and removed
    assert sorted(p.name for p in (tmp_path / "spilled").iterdir()) == ["govsm.nq", "govsm.ttl"]


def test_a_dataset_under_the_threshold_is_not_spilled(
    synthetic: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below SPILL_LINES the lines stay in memory (no run is written, the dumps are
    written as before)."""
    engine = load(synthetic, DEFAULT_BASE).engine
    written = _runs_written(monkeypatch)
    made = nquads.dataset_lines(engine, spill=tmp_path)
    assert made.lines and made.runs == [] and written == []


def test_merged_runs_come_in_order_with_their_line_ends(tmp_path: Path) -> None:
    """A line that begins another sorts first, as without line ends; empty runs and
    batches of one line."""
    parts = [[b"<a> <p> <o> <g> .", b"<c> <p> <o> <g> ."], [b'<a> <p> "x" <g> .'], []]
    parts.append([b'<a> <p> "x"@en <g> .', b"<b> <p> <o> <g> ."])
    files = [runs.write_run(tmp_path, list(lines)) for lines in parts]
    expected = sorted(line for lines in parts for line in lines)
    for size in (1, 2, 100):
        merged = [line for batch in runs.merged_batches(files, size) for line in batch]
        assert merged == [line + b"\n" for line in expected]
        assert all(len(batch) <= size for batch in runs.merged_batches(files, size))


@pytest.mark.parametrize("at", range(0, 60, 3))
def test_file_subject_boundary_is_a_line_start_where_the_subject_changes(
    at: int, tmp_path: Path
) -> None:
    lines = [b"<a> <p> 1 <g> .", b"<a> <q> 2 <g> .", b"<b> <p> 1 <g> ."]
    lines += [b"<c> <p> 1 <g> .", b"<c> <q> 2 <g> ."]
    path = tmp_path / "sorted.nq"
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    cut = dump_module._file_subject_boundary(path, at)
    assert cut in starts and cut >= min(at, starts[-1])
    index = starts.index(cut)
    assert (
        index in (0, len(lines)) or lines[index].split(b" ")[0] != lines[index - 1].split(b" ")[0]
    )
    halves = [
        dump_module._file_batches(path, 0, cut),
        dump_module._file_batches(path, cut, starts[-1]),
    ]
    assert [line for half in halves for batch in half for line in batch] == lines


def test_a_build_that_spills_publishes_the_same_dist_and_leaves_no_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole build (lines made early in the background, the site's facts counted
    from the merged lines): the same dumps and site pages, no scratch folder left."""
    project = Project(root=generate(tmp_path / "project", studies=12, seed=3).root)
    monkeypatch.setattr(pipeline, "SITE_MAX_RESOURCES", 50)  # the site counts the facts
    outs = {}
    written = _runs_written(monkeypatch)
    for name, threshold in (("memory", runs.SPILL_LINES), ("spilled", 200)):
        monkeypatch.setattr(nquads, "SPILL_LINES", threshold)
        outs[name] = tmp_path / name / "dist"
        pipeline.build(project, BuildOptions(out=outs[name], reason=False))
        assert sorted(p.name for p in outs[name].parent.iterdir()) == ["dist"]
        assert (len(written) > 5) == (name == "spilled")
    assert _dumps(outs["spilled"]) == _dumps(outs["memory"])
    for page in ("index.html", "dataset.ttl", "context.jsonld", "sitemap.xml"):
        found = [outs[n] / "site" / page for n in outs]
        assert all(p.is_file() for p in found), page
        assert found[0].read_bytes() == found[1].read_bytes(), page


def test_a_scratch_folder_a_killed_build_left_is_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    with scratch_folder(out) as folder:
        assert folder.parent == tmp_path and folder.name.startswith(".dist.tmp-")
        (folder / "lines-1.nq").write_bytes(b"x\n")
        assert remove_leftovers(out) == []  # ours while the build runs
    assert list(tmp_path.iterdir()) == []
    left = tmp_path / ".dist.tmp-999999999-scratch-x"  # no such process
    left.mkdir()
    assert remove_leftovers(out) == [left] and not left.exists()


@pytest.mark.parametrize("block", [1, 50, 4096])
def test_a_graph_split_into_lines_a_block_at_a_time_gives_the_same_lines(
    block: int, synthetic: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kg.rdf.nquads cuts a large graph's dump a block of lines at a time (a block of one
    byte still ends at a line end): the lines are those of the whole dump cut at once."""
    loaded = load(synthetic, DEFAULT_BASE)
    graphs = [s.graph for s in loaded.sources]
    whole = nquads.graph_lines(loaded.engine, graphs, sort=True)
    monkeypatch.setattr(nquads, "_DUMP_BLOCK", block)
    cut = nquads.graph_lines(loaded.engine, graphs, sort=True)
    assert len(whole.ground) > 1000 and cut.ground == whole.ground
    assert cut.blank == whole.blank


def test_a_full_disk_while_spilling_fails_the_build_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run the file system refuses (full) is the build's output error, naming the
    output; the previous output is left whole and no scratch folder stays behind."""
    import errno

    from kg.build.atomic import OutputError

    project = Project(root=generate(tmp_path / "project", studies=12, seed=3).root)
    out = tmp_path / "site" / "dist"
    pipeline.build(project, BuildOptions(out=out, reason=False))
    before = (out / "govsm.nq").read_bytes()

    def full(folder: Path, lines: list[bytes]) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "lines-x.nq"))

    monkeypatch.setattr(nquads, "SPILL_LINES", 200)
    monkeypatch.setattr(nquads, "write_run", full)
    with pytest.raises(OutputError, match="No space left on device") as raised:
        pipeline.build(project, BuildOptions(out=out, reason=False))
    # named where it was (beside the output), not as a file the output would hold
    assert raised.value.path.name == "lines-x.nq" and raised.value.path.parent.parent == out.parent
    assert raised.value.path.parent.name.startswith(".dist.tmp-")
    assert (out / "govsm.nq").read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["dist"]


@pytest.mark.parametrize("size", [1, 2, 7, 1000])
@pytest.mark.parametrize("tail", [b"", b"no line end"])
def test_line_blocks_are_whole_lines_that_put_end_to_end_are_the_bytes(
    size: int, tail: bytes
) -> None:
    """kg.rdf.lines.line_blocks (the store's loader, the Turtle halves read back, a
    graph's dump cut into lines): whole lines, up to a stop, from where the stream is."""
    import io

    data = b"<a> <p> 1 .\n<b> <p> 22 .\n\n<c> <p> 333 .\n" + tail
    blocks = list(line_blocks(io.BytesIO(data), size))
    assert b"".join(blocks) == data
    assert all(block.endswith(b"\n") for block in blocks[: -1 if tail else None])
    stream = io.BytesIO(data)
    stream.seek(12)  # the second line's start
    part = list(line_blocks(stream, size, stop=26))  # to the third line's start
    assert b"".join(part) == b"<b> <p> 22 .\n\n"
