"""bench/load.py runs end to end with locust's clients (a small run; its figures are
printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_api_catalogue import CQ_DIR, ROOT, build_dist

from bench import load
from bench.command import tree_rss_kb
from bench.load import catalogue, percentile
from bench.serve import tree_pss_kb


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 100) == 100.0
    assert percentile([3.0], 99) == 3.0


def test_the_workload_is_the_whole_catalogue() -> None:
    work = dict(catalogue())
    assert sorted(work) == sorted(p.stem for p in CQ_DIR.glob("*.rq"))
    assert work["drivers"] == {"context": "https://w3id.org/govsm/id/context/iran"}


def test_bare_under_cuts_the_workload_for_every_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """--bare-under MS: only the queries whose bare time is under MS, and the locust
    child (which reads the catalogue itself) is told the same names."""
    # set (empty: no cut) through monkeypatch, so that what under() writes there is undone
    monkeypatch.setenv(load.ONLY_ENV, "")
    work = catalogue()
    times = {name: (1.0 if name in ("drivers", "factor-summary") else 50.0) for name, _ in work}
    monkeypatch.setattr(load, "bare_times", lambda _dist, _work, _limit: times)
    kept = load.under(ROOT / "dist", work, 10)
    assert [name for name, _ in kept] == ["drivers", "factor-summary"]
    assert [name for name, _ in catalogue()] == ["drivers", "factor-summary"]
    assert catalogue() == kept  # with their parameters
    monkeypatch.setattr(load, "bare_times", lambda _dist, _work, _limit: dict.fromkeys(times, 50.0))
    with pytest.raises(SystemExit, match="no catalogue query runs under 10 ms"):
        load.under(ROOT / "dist", work, 10)


def test_a_small_run_through_govsm_serve() -> None:
    dist = build_dist()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--dist",
            str(dist),
            "--clients",
            "3",
            "--requests",
            "45",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "--max-concurrent 3" in out
    assert "3 clients (locust)" in out  # the bench extra is in requirements.lock
    for scenario in (
        "API /api/queries/NAME",
        "bare pyoxigraph, 3 threads",
        "bare pyoxigraph, 1 thread",
        "static GET /.well-known/void",
    ):
        line = next(x for x in out.splitlines() if x.startswith(scenario))
        assert line.split()[-6:-4] == ["45", "0"], line  # requests, errors
    assert "statuses, API /api/queries/NAME: 200: 45" in out
    for name in work_names():
        assert f"\n{name} " in out, f"no per-query line for {name}"


@pytest.mark.parametrize("mode", [["--catalogue"], ["--requests", "6"]])
def test_serve_start_up_and_memory_by_worker_count(mode: list[str]) -> None:
    """bench.serve (issue 20's figures for `govsm serve --workers N`): every run answers
    what each worker's client sends (the whole catalogue, or small queries), and the
    table compares the counts."""
    dist = str(build_dist())
    done = subprocess.run(
        [sys.executable, "-m", "bench.serve", "--dist", dist, "--workers", "1,2", *mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = [line for line in done.stdout.splitlines() if line.startswith("round ")]
    sent = len(work_names()) if mode == ["--catalogue"] else 6
    assert len(runs) == 4, done.stdout  # two rounds of each count
    for line in runs:
        workers = 2 if "2 worker(s)" in line else 1
        assert f"({workers * sent} answered, 0 not)" in line, line
    table = done.stdout.split("RSS ratio  PSS ratio\n", 1)[1].splitlines()
    assert [row.split()[0] for row in table] == ["1", "2"]
    assert table[0].split()[-2:] == ["1.00x", "1.00x"]


def test_the_proportional_set_is_at_most_the_resident_set() -> None:
    rss, pss = tree_rss_kb(os.getpid()), tree_pss_kb(os.getpid())
    assert 0 < pss <= rss


def work_names() -> list[str]:
    return [p.stem for p in sorted(CQ_DIR.glob("*.rq"))]


def test_the_locust_scenario_runs_against_loopback_only(tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "records.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            "1",
            "--run-time",
            "5s",
            "--host",
            "http://192.0.2.1:8000",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GOVSM_LOAD_OUT": str(out), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode != 0
    assert "127.0.0.1 only" in done.stdout + done.stderr
    assert not out.exists()
