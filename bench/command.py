"""The whole ``govsm build`` command against the floor, in fresh processes.

``python -m bench`` (system ``command``) or ``python -m bench.command ROOT SCRATCH
[--pairs N] [--no-reason]``: for each of N pairs, first the floor (``python -m
bench.measure floor``: bare pyoxigraph bulk-loading the same files), then ``govsm build
--timings`` on the same project, each a process of its own, alternating so that a
machine busy for a while slows both alike. Per run: the wall clock of the process
(Python's start included), the peak RSS of its process tree (the sum over the process
and its descendants — HermiT's java, the Turtle writers — sampled every 20 ms from
/proc, where there is one) and the largest single process's peak (getrusage
RUSAGE_CHILDREN, exact but per process); for the build, its per-stage seconds from
the ``timings:`` line it prints. Printed: each pair, the medians, and the ratio of the
whole command to the floor's bulk load (the issue's measure) and to the floor's whole
process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

#: The ``timings:`` line of govsm build (kg.timings.Timings.summary).
TIMING = re.compile(r"([\w/-]+)\s+([0-9.]+)\s+s\b")


@dataclass
class Run:
    """One process: wall clock, peak RSS (tree sum sampled; largest process), output."""

    wall: float
    tree_mb: float
    largest_mb: float
    returncode: int
    stdout: str
    stderr: str
    stages: dict[str, float] = field(default_factory=dict)


def tree_pids(root: int) -> list[int]:
    """``root`` and every live descendant (empty without /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += parents.get(pid, [])
    return found


def tree_rss_kb(root: int) -> int:
    """The resident set of ``root`` and every descendant, in kB (0 without /proc)."""
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[21]) * resource.getpagesize() // 1024
    return total


def run(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to its end, measured (see the module docstring)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if os.path.isdir("/proc"):
        sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if sampler.is_alive():
        sampler.join()
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of the children is a maximum over all of them so far: a run smaller than
    # an earlier one is not seen there; the tree sample is
    largest_mb = largest / 1024 if largest > before else 0.0
    return Run(
        wall,
        round(peak[0] / 1024, 1),
        round(largest_mb, 1),
        proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
    )


def stage_seconds(stderr: str) -> dict[str, float]:
    """The per-stage seconds of govsm build's ``timings:`` line (empty without one)."""
    at = stderr.find("timings: ")
    if at < 0:
        return {}
    # the console may have wrapped the line: read up to its closing "total N s"
    text = stderr[at + len("timings: ") :]
    found: dict[str, float] = {}
    for name, seconds in TIMING.findall(text):
        found[name] = float(seconds)
        if name == "total":
            break
    return found


def floor_seconds(stdout: str) -> float:
    """The bulk load's seconds from bench.measure's JSON lines."""
    for line in stdout.splitlines():
        entry = json.loads(line)
        if entry.get("stage") == "load":
            return float(entry["seconds"])
    raise RuntimeError("bench.measure floor printed no load stage")


def pairs(root: Path, scratch: Path, count: int = 3, reason: bool = True) -> list[dict]:
    """``count`` alternating (floor, govsm build) pairs; one dict per pair."""
    scratch.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(repo), COLUMNS="160")
    govsm = Path(sys.executable).with_name("govsm")
    build = [str(govsm), "build", "--project", str(root), "--out", str(scratch / "dist")]
    build += [] if reason else ["--no-reason"]
    floor = [sys.executable, "-m", "bench.measure", "floor", str(root), str(scratch)]
    found = []
    for _ in range(count):
        bare = run(floor, env)
        whole = run(build, env)
        for name, done in (("floor", bare), ("govsm build", whole)):
            if done.returncode != 0:
                tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"{name} failed ({done.returncode}): {tail}")
        found.append(
            {
                "floor_load": floor_seconds(bare.stdout),
                "floor_wall": bare.wall,
                "floor_tree_mb": bare.tree_mb,
                "build_wall": whole.wall,
                "build_tree_mb": whole.tree_mb,
                "build_largest_mb": whole.largest_mb,
                "stages": stage_seconds(whole.stderr),
            }
        )
    return found


def summary(found: list[dict], reason: bool = True) -> str:
    """The pairs, their medians and the ratios, as printed lines."""
    what = "govsm build" + ("" if reason else " --no-reason")
    lines = [f"-- the whole command ({what}, fresh processes, alternating with the floor) --"]
    for i, p in enumerate(found, 1):
        lines.append(
            f"pair {i}: floor load {p['floor_load']:.2f} s (process {p['floor_wall']:.2f} s), "
            f"{what} {p['build_wall']:.2f} s, ratio {p['build_wall'] / p['floor_load']:.1f}x; "
            f"peak RSS tree {p['build_tree_mb']:.0f} MB"
        )
    med = {k: statistics.median(p[k] for p in found) for k in found[0] if k != "stages"}
    ratios = sorted(p["build_wall"] / p["floor_load"] for p in found)
    lines.append(
        f"median: {what} {med['build_wall']:.2f} s / floor bulk load {med['floor_load']:.2f} s "
        f"= {statistics.median(ratios):.1f}x (range {ratios[0]:.1f}-{ratios[-1]:.1f}x); "
        f"/ floor process {med['floor_wall']:.2f} s = "
        f"{med['build_wall'] / med['floor_wall']:.1f}x; peak RSS of the process tree "
        f"{med['build_tree_mb']:.0f} MB (largest single process {med['build_largest_mb']:.0f} MB)"
    )
    stages = sorted(found, key=lambda p: p["build_wall"])[len(found) // 2]["stages"]
    if stages:
        parts = ", ".join(f"{name} {s:.2f}" for name, s in stages.items())
        lines.append(f"stages (s, the build of median wall clock): {parts}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.command", description=__doc__)
    parser.add_argument("root", type=Path, help="a project folder (bench.generate writes one)")
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--no-reason", action="store_true")
    args = parser.parse_args(argv)
    found = pairs(args.root, args.scratch, args.pairs, not args.no_reason)
    print(summary(found, not args.no_reason))
    return 0


if __name__ == "__main__":
    sys.exit(main())
