"""The scale benchmark: ``make bench`` or ``python -m bench [options]``.

At each scale (studies: default 10^2, 10^3, 10^4; ``--large`` adds 10^5) a synthetic
review is generated (bench.generate, cached under ``--data``) and measured, each
measurement in its own process (peak RSS = that process's ru_maxrss):

- ``ours``: the govsm stages — load, validate, reason, derive, verify, dumps;
- ``rdflib``: baseline (a), the usual Python stack (rdflib Graph, pySHACL, rdflib SPARQL,
  rdflib serialisers) on the same files and queries;
- ``jena``: baseline (b), Apache Jena's command-line tools from Debian (bench.jena);
- ``floor``: bare pyoxigraph bulk-loading the same files (the stretch target's floor);
- ``revalidate``: validation after a one-file edit (kg.validation.incremental);
- ``command``: the whole ``govsm build`` command (with the reasoner), a fresh process,
  alternating with the floor in pairs (bench.command): wall clock, peak RSS of the
  process tree, the ratio to the floor's bulk load, the build's own stage timings; up
  to ``--command-max-studies`` (default 1,000; ``--command-max-studies 10000`` for the
  issue's scale).

Every system's counts (validation results, classifications, comparisons) are checked
against ours, so a fast wrong answer cannot pass for a fast one. Printed: a table per
scale with seconds per stage, ratios ours/baseline per stage and in total, peak RSS.
Written: ``OUT/results.csv`` (one row per scale, system and stage) and ``OUT/scale.svg``
(total time and peak RSS against size, log-log).

Baselines above ``--baseline-max-studies`` are skipped with a printed reason, and every
baseline run is capped at ``--cap`` seconds (a stage cut off there is reported as a lower
bound, ``>``). Publishing the static site versus rendering pages on demand is measured by
``--site`` (see bench.site).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import command, jena
from bench.generate import EVIDENCE_PER_STUDY, copy_project_folders, generate

STAGES = ("load", "validate", "reason", "derive", "verify", "dumps")
#: Stages every system has: the totals that are compared (Jena has no OWL reasoner).
COMMON = ("load", "validate", "derive", "verify", "dumps")
SYSTEMS = ("ours", "rdflib", "jena", "floor", "revalidate", "command")
CHECKED = ("results", "classifications", "compared", "differences")


@dataclass
class Measured:
    """One system at one scale: per-stage seconds and counts, peak RSS, status."""

    system: str
    stages: dict[str, dict] = field(default_factory=dict)
    rss_mb: float = 0.0
    status: str = "ok"  # ok, timeout, failed, skipped
    note: str = ""

    def seconds(self, stage: str) -> float | None:
        entry = self.stages.get(stage)
        return None if entry is None else float(entry["seconds"])

    def total(self, stages: tuple[str, ...]) -> float | None:
        values = [self.seconds(s) for s in stages]
        return None if any(v is None for v in values) else sum(values)  # type: ignore[misc]

    def bound(self, stage: str) -> bool:
        """True when the stage was cut off at the cap (its seconds are a lower bound)."""
        return bool(self.stages.get(stage, {}).get("lower_bound"))


def measure_process(
    system: str, root: Path, scratch: Path, cap: float | None, extra: list[str] | None = None
) -> Measured:
    """Run ``python -m bench.measure SYSTEM ROOT SCRATCH`` and collect its stage lines."""
    scratch.mkdir(parents=True, exist_ok=True)
    log = scratch / f"{system}.jsonl"
    cmd = [sys.executable, "-m", "bench.measure", system, str(root), str(scratch), *(extra or [])]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    with log.open("wb") as out, (scratch / f"{system}.err").open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if cap is not None and time.perf_counter() - start > cap:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = Measured(system.removesuffix("-validate"), rss_mb=round(usage.ru_maxrss / 1024, 1))
    done = False
    spent = 0.0
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("done"):
            done = True
        elif "stage" in entry:
            result.stages[entry["stage"]] = entry
            spent += float(entry["seconds"])
    if timed_out:
        result.status = "timeout"
        order = {
            "rdflib-validate": ("validate",),
            "rdflib": ("load", "reason", "derive", "verify", "dumps"),
        }.get(system, STAGES)
        following = [s for s in order if s not in result.stages]
        if following:
            # the stage running at the cap: at least the time left after the others
            result.stages[following[0]] = {
                "seconds": round(max(0.0, elapsed - spent), 1),
                "lower_bound": True,
            }
        result.note = f"cut off at the {cap:.0f} s cap during {following[0] if following else '?'}"
    elif not done or proc.returncode != 0:
        result.status = "failed"
        tail = (scratch / f"{system}.err").read_text(encoding="utf-8", errors="replace")
        result.note = (tail.strip().splitlines() or ["no output"])[-1][:200]
    return result


def merge(main: Measured, validate: Measured) -> Measured:
    """Baseline (a) runs validate in a process of its own: one result of the two."""
    main.stages.update(validate.stages)
    main.rss_mb = max(main.rss_mb, validate.rss_mb)
    notes = [m.note for m in (main, validate) if m.note]
    for m in (main, validate):
        if m.status != "ok":
            main.status = m.status
    main.note = "; ".join(notes)
    return main


def measure_jena(root: Path, scratch: Path, cap: float) -> Measured:
    """Jena's stages (bench.jena), each command a child process measured with wait4."""
    result = Measured("jena")
    try:
        entries = jena.stages(root, scratch, cap)
    except Exception as exc:  # a failed baseline is reported, not fatal to the benchmark
        result.status, result.note = "failed", f"{type(exc).__name__}: {exc}"[:200]
        return result
    for entry in entries:
        result.stages[entry["stage"]] = entry
        result.rss_mb = max(result.rss_mb, float(entry["rss_mb"]))
        if entry["status"] != "ok":
            result.status, result.note = "failed", f"{entry['stage']} failed (see {scratch})"
    if len(entries) < len(COMMON) and result.status == "ok":
        result.status, result.note = "failed", f"stopped after {entries[-1]['stage']}"
    return result


def measure_site(root: Path, scratch: Path, static: bool) -> Measured:
    """bench.site in its own process: static site (or not), the site-level pages alone
    (what a build above kg.build.pipeline.SITE_MAX_RESOURCES writes), on-demand start and
    pages, the largest pages."""
    extra = ["--partial"] if static else ["--no-static", "--partial"]
    scratch.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "bench.site", str(root), str(scratch), *extra]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    result = Measured("site")
    for line in done.stdout.splitlines():
        entry = json.loads(line)
        result.stages[entry["stage"]] = entry
        result.rss_mb = max(result.rss_mb, float(entry["rss_mb"]))
    if done.returncode != 0:
        result.status, result.note = "failed", (done.stderr.strip().splitlines() or ["?"])[-1]
    for name in ("site", "partial-site"):  # tens of thousands of small files
        shutil.rmtree(scratch / name, ignore_errors=True)
    return result


def site_table(studies: int, site: Measured) -> str:
    """Static site against pages on demand, per resource."""
    lines = [f"-- publishing the site at {studies:,} studies --"]
    page = site.stages.get("ondemand-page", {})
    resources = page.get("resources")
    static = site.stages.get("static")
    if static:
        per = static["seconds"] / max(1, static["pages"])
        lines.append(
            f"static site: {static['seconds']:.1f} s for {static['pages']:,} pages "
            f"({static['files']:,} files): {per * 1000:.1f} ms per resource"
        )
        if resources:
            for n in (10**5, 10**6):
                lines.append(f"  at {n:,} resources that is about {per * n / 60:.0f} min")
    else:
        lines.append("static site: not written at this size (--site-max-studies)")
    start = site.stages.get("ondemand-start")
    if page and start:
        lines.append(
            f"on demand: start {start['seconds']:.2f} s (dump bulk-loaded into a store), "
            f"{page['pages']} of {resources:,} resources rendered: mean "
            f"{page['seconds'] * 1000:.1f} ms, median {page['median'] * 1000:.1f} ms, "
            f"slowest {page['slowest'] * 1000:.0f} ms per page; peak RSS {site.rss_mb:.0f} MB"
        )
    partial = site.stages.get("partial")
    if partial:
        lines.append(
            f"site-level pages only (no page per resource): {partial['seconds']:.1f} s, "
            f"{partial['files']:,} files"
        )
    for stage, what in (
        ("ondemand-most-incoming", "most incoming links"),
        ("ondemand-subfactor", "sub-factor with most incoming links"),
        ("ondemand-most-outgoing", "most outgoing links"),
    ):
        entry = site.stages.get(stage)
        if entry:
            lines.append(
                f"  page with the {what} ({entry['path']}, {entry['links']:,} links): "
                f"{entry['seconds'] * 1000:.0f} ms, {entry['bytes'] / 1000:.0f} KB"
            )
    if site.status != "ok":
        lines.append(f"site: {site.status} — {site.note}")
    return "\n".join(lines)


def site_rows(studies: int, triples: int, site: Measured) -> list[dict]:
    return [
        {
            "studies": studies,
            "triples": triples,
            "system": "site",
            "stage": stage,
            "seconds": entry["seconds"],
            "lower_bound": False,
            "peak_rss_mb": entry.get("rss_mb", ""),
            "status": site.status,
            "note": json.dumps(
                {k: v for k, v in entry.items() if k not in ("stage", "seconds", "rss_mb")}
            ),
        }
        for stage, entry in site.stages.items()
    ]


def measure_command(
    root: Path, scratch: Path, studies: int, triples: int, args: argparse.Namespace
) -> list[dict]:
    """The whole govsm build command against the floor (bench.command): printed, and
    one CSV row per pair and measure (system "command")."""
    if studies > args.command_max_studies:
        print(f"command at {studies:,} studies: skipped (over --command-max-studies)")
        return []
    print(f"measuring the whole govsm build command at {studies:,} studies ...", flush=True)
    try:
        found = command.pairs(root, scratch, args.command_pairs)
    except RuntimeError as exc:  # reported, not fatal to the other measurements
        print(f"command: failed — {exc}")
        return []
    print(command.summary(found), flush=True)
    rows = []
    for i, pair in enumerate(found, 1):
        for stage, seconds, rss in (
            ("floor-load", pair["floor_load"], pair["floor_tree_mb"]),
            ("floor-process", pair["floor_wall"], pair["floor_tree_mb"]),
            ("govsm-build", pair["build_wall"], pair["build_tree_mb"]),
        ):
            rows.append(
                {
                    "studies": studies,
                    "triples": triples,
                    "system": "command",
                    "stage": stage,
                    "seconds": round(seconds, 3),
                    "lower_bound": False,
                    "peak_rss_mb": rss,
                    "status": "ok",
                    "note": json.dumps({"pair": i, "stages": pair["stages"]})
                    if stage == "govsm-build"
                    else json.dumps({"pair": i}),
                }
            )
    return rows


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------


def fmt(seconds: float | None, bound: bool = False) -> str:
    if seconds is None:
        return "—"
    return (">" if bound else "") + (f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}")


def ratio(ours: float | None, other: float | None, bound: bool = False) -> str:
    """ours / other ('<' when other is a lower bound: the true ratio is smaller)."""
    if ours is None or other is None or other <= 0:
        return "—"
    return ("<" if bound else "") + f"{ours / other:.3f}"


def consistency(results: dict[str, Measured]) -> list[str]:
    """Counts that differ from ours (a benchmark of different work would be void)."""
    ours = results.get("ours")
    problems = []
    if ours is None:
        return problems
    for name, other in results.items():
        if name in ("ours", "floor"):
            continue
        for stage, entry in other.stages.items():
            mine = ours.stages.get(stage, {})
            for key in CHECKED:
                if key in entry and key in mine and entry[key] != mine[key]:
                    problems.append(f"{name} {stage}: {key} {entry[key]} != ours {mine[key]}")
    return problems


def table(studies: int, triples: int, results: dict[str, Measured]) -> str:
    """The printed table of one scale."""
    ours = results["ours"]
    head = f"\n== {studies:,} studies, {triples:,} data triples =="
    cols = [s for s in ("rdflib", "jena") if s in results]
    lines = [head, f"{'stage':<10} {'ours s':>9}"]
    for c in cols:
        lines[-1] += f" {c + ' s':>10} {'ours/' + c:>12}"
    for stage in STAGES:
        row = f"{stage:<10} {fmt(ours.seconds(stage)):>9}"
        for c in cols:
            other = results[c]
            bound = other.bound(stage)
            row += f" {fmt(other.seconds(stage), bound):>10}"
            row += f" {ratio(ours.seconds(stage), other.seconds(stage), bound):>12}"
        lines.append(row)
    for label, stages in (("total*", COMMON), ("total", STAGES)):
        row = f"{label:<10} {fmt(ours.total(stages)):>9}"
        for c in cols:
            other = results[c]
            bound = any(other.bound(s) for s in stages)
            total = other.total(stages) if c != "jena" or stages == COMMON else None
            row += f" {fmt(total, bound):>10} {ratio(ours.total(stages), total, bound):>12}"
        lines.append(row)
    speedups = []
    for c in cols:
        other = results[c].total(COMMON)
        mine = ours.total(COMMON)
        if other and mine:
            bound = any(results[c].bound(s) for s in COMMON)
            speedups.append(f"{c} {'>' if bound else ''}{other / mine:.1f}x")
    if speedups:
        lines.append(f"{'speed-up':<10} total*: ours is faster than " + ", ".join(speedups))
    row = f"{'peak RSS':<10} {ours.rss_mb:>8.0f}M"
    for c in cols:
        row += f" {results[c].rss_mb:>9.0f}M {'':>12}"
    lines.append(row)
    lines.append("total* = load+validate+derive+verify+dumps (Jena has no reason stage)")
    floor = results.get("floor")
    if floor and floor.seconds("load"):
        total = ours.total(STAGES)
        lines.append(
            f"floor (bare pyoxigraph bulk load): {floor.seconds('load'):.2f} s; "
            f"ours total / floor = {total / floor.seconds('load'):.1f}"
            if total
            else ""
        )
    edit = results.get("revalidate")
    if edit and "revalidate" in edit.stages:
        e = edit.stages["revalidate"]
        lines.append(
            f"validation after a one-file edit (evidence.ttl): {e['seconds']:.2f} s, "
            f"{e.get('mode')}, {e.get('rechecked')} focus node(s) re-checked"
            + (
                f", {e['results']} results (full run: {e['full_results']})"
                if "results" in e
                else ""
            )
        )
    for name, m in results.items():
        if m.status != "ok":
            lines.append(f"{name}: {m.status} — {m.note}")
    for problem in consistency(results):
        lines.append(f"MISMATCH {problem}")
    return "\n".join(lines)


def write_csv(path: Path, rows: list[dict]) -> None:
    fields = [
        "studies",
        "triples",
        "system",
        "stage",
        "seconds",
        "lower_bound",
        "peak_rss_mb",
        "status",
        "note",
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def csv_rows(studies: int, triples: int, results: dict[str, Measured]) -> list[dict]:
    rows = []
    for name, m in results.items():
        if name == "revalidate":
            for stage, entry in m.stages.items():
                rows.append(
                    {
                        "studies": studies,
                        "triples": triples,
                        "system": "ours",
                        "stage": stage,
                        "seconds": entry["seconds"],
                        "lower_bound": False,
                        "peak_rss_mb": entry.get("rss_mb", ""),
                        "status": m.status,
                        "note": f"{entry.get('mode')}, {entry.get('rechecked')} focus nodes",
                    }
                )
            continue
        for stage in STAGES:
            if stage in m.stages:
                rows.append(
                    {
                        "studies": studies,
                        "triples": triples,
                        "system": name,
                        "stage": stage,
                        "seconds": m.stages[stage]["seconds"],
                        "lower_bound": m.bound(stage),
                        "peak_rss_mb": m.stages[stage].get("rss_mb", ""),
                        "status": m.status,
                        "note": m.note,
                    }
                )
        total = m.total(COMMON if name != "floor" else ("load",))
        rows.append(
            {
                "studies": studies,
                "triples": triples,
                "system": name,
                "stage": "total" if name == "floor" else "total-common",
                "seconds": total,
                "lower_bound": any(m.bound(s) for s in COMMON),
                "peak_rss_mb": m.rss_mb,
                "status": m.status,
                "note": m.note,
            }
        )
        if name == "ours":
            rows.append(
                {
                    "studies": studies,
                    "triples": triples,
                    "system": name,
                    "stage": "total",
                    "seconds": m.total(STAGES),
                    "lower_bound": False,
                    "peak_rss_mb": m.rss_mb,
                    "status": m.status,
                    "note": m.note,
                }
            )
    return rows


# --------------------------------------------------------------------------------------


def from_csv(paths: list[Path]) -> list[tuple[int, int, dict[str, Measured]]]:
    """Results of earlier runs (their results.csv), merged: a system measured at one scale
    in several runs keeps the first run's figures (so runs of different systems made in
    parallel can be combined into one CSV and one plot)."""
    summary: dict[int, tuple[int, dict[str, Measured]]] = {}
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        fresh: dict[tuple[int, str], Measured] = {}
        for row in rows:
            studies, system = int(row["studies"]), row["system"]
            if row["stage"] == "revalidate":
                edit = fresh.setdefault((studies, "revalidate"), Measured("revalidate"))
                mode, _, rest = row["note"].partition(", ")
                edit.stages["revalidate"] = {
                    "seconds": float(row["seconds"]),
                    "mode": mode,
                    "rechecked": rest.split(" ")[0],
                }
                continue
            if system == "site" or row["stage"] not in STAGES:
                if row["stage"] in ("total", "total-common") and (studies, system) in fresh:
                    fresh[(studies, system)].rss_mb = float(row["peak_rss_mb"] or 0)
                continue
            m = fresh.setdefault((studies, system), Measured(system, status=row["status"]))
            m.note = row["note"]
            m.stages[row["stage"]] = {
                "seconds": float(row["seconds"]),
                "lower_bound": row["lower_bound"] == "True",
            }
            summary.setdefault(studies, (int(row["triples"]), {}))
        for (studies, system), m in fresh.items():
            summary[studies][1].setdefault(system, m)
    return [(n, t, r) for n, (t, r) in sorted(summary.items())]


def merge_runs(paths: list[Path], out: Path) -> int:
    """``--merge A/results.csv B/results.csv ...``: one CSV, one plot, the tables."""
    from bench.plot import svg

    summary = from_csv(paths)
    rows: list[dict] = []
    for studies, triples, results in summary:
        if "ours" in results:
            print(table(studies, triples, results))
        rows += csv_rows(studies, triples, results)
    for path in paths:  # the site measurements, as they were
        with path.open(encoding="utf-8") as handle:
            rows += [r for r in csv.DictReader(handle) if r["system"] in ("site", "command")]
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "results.csv", rows)
    (out / "scale.svg").write_text(svg(summary, STAGES, COMMON), encoding="utf-8")
    print(f"\nwrote {out / 'results.csv'} and {out / 'scale.svg'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a system disagrees with ours on the counts."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scales",
        default="100,1000,10000",
        help="studies per scale, comma-separated (default 100,1000,10000)",
    )
    parser.add_argument("--large", action="store_true", help="add the 100,000-study scale")
    parser.add_argument("--evidence-per-study", type=int, default=EVIDENCE_PER_STUDY)
    parser.add_argument("--contexts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("dist/bench"))
    parser.add_argument(
        "--data", type=Path, default=None, help="where generated data is cached (default OUT/data)"
    )
    parser.add_argument("--systems", default="ours,rdflib,jena,floor,revalidate,command")
    parser.add_argument(
        "--command-max-studies",
        type=int,
        default=1000,
        help="time the whole govsm build command only up to this many studies (default 1000)",
    )
    parser.add_argument(
        "--command-pairs", type=int, default=3, help="(floor, govsm build) pairs (default 3)"
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=600.0,
        help="seconds each baseline process may run (default 600)",
    )
    parser.add_argument(
        "--baseline-max-studies",
        type=int,
        default=10000,
        help="skip the baselines above this many studies (default 10000)",
    )
    parser.add_argument("--validator", default="fast", choices=("fast", "pyshacl"))
    parser.add_argument(
        "--site",
        action="store_true",
        help="also measure the static site against pages rendered on demand",
    )
    parser.add_argument(
        "--site-max-studies",
        type=int,
        default=1000,
        help="write the static site only up to this many studies (default 1000); above "
        "it only pages on demand are measured",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="CSV",
        help="merge the results.csv of earlier runs into OUT (no measuring)",
    )
    args = parser.parse_args(argv)
    if args.merge:
        return merge_runs(args.merge, args.out)
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    if args.large and 100000 not in scales:
        scales.append(100000)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(SYSTEMS)
    if unknown or "ours" not in systems:
        parser.error(f"--systems: choose from {', '.join(SYSTEMS)}, with ours")
    out: Path = args.out
    data_dir = args.data or out / "data"
    out.mkdir(parents=True, exist_ok=True)
    jena_missing = jena.missing() if "jena" in systems else None
    if jena_missing:
        print(f"jena: skipped: {jena_missing}")
    all_rows: list[dict] = []
    mismatches = 0
    summary: list[tuple[int, int, dict[str, Measured]]] = []
    for studies in scales:
        root = data_dir / f"{studies}-{args.evidence_per_study}-{args.contexts}-{args.seed}"
        manifest = root / "generated.json"
        if manifest.is_file():
            triples = json.loads(manifest.read_text(encoding="utf-8"))["triples"]
            copy_project_folders(root)
        else:
            if root.exists():
                shutil.rmtree(root)
            triples = generate(
                root, studies, args.evidence_per_study, args.contexts, args.seed
            ).triples
        scratch = out / "runs" / str(studies)
        results: dict[str, Measured] = {}
        for system in systems:
            if (system == "jena" and jena_missing) or system == "command":
                continue
            baseline = system in ("rdflib", "jena")
            if baseline and studies > args.baseline_max_studies:
                print(
                    f"{system} at {studies:,} studies: skipped (over --baseline-max-studies "
                    f"{args.baseline_max_studies:,}; at the measured growth it would exceed "
                    f"the {args.cap:.0f} s cap)"
                )
                continue
            print(f"measuring {system} at {studies:,} studies ...", flush=True)
            if system == "jena":
                results[system] = measure_jena(root, scratch / "jena", args.cap)
            elif system == "rdflib":
                results[system] = merge(
                    measure_process("rdflib", root, scratch / "rdflib", args.cap),
                    measure_process("rdflib-validate", root, scratch / "rdflib", args.cap),
                )
            else:
                extra = ["--validator", args.validator] if system == "ours" else None
                cap = args.cap if baseline else None
                results[system] = measure_process(system, root, scratch / system, cap, extra)
        print(table(studies, triples, results), flush=True)
        if args.site:
            static = studies <= args.site_max_studies
            site = measure_site(root, scratch / "site", static)
            print(site_table(studies, site), flush=True)
            all_rows += site_rows(studies, triples, site)
        if "command" in systems:
            all_rows += measure_command(root, scratch / "command", studies, triples, args)
        mismatches += len(consistency(results))
        all_rows += csv_rows(studies, triples, results)
        summary.append((studies, triples, results))
        write_csv(out / "results.csv", all_rows)
    from bench.plot import svg

    (out / "scale.svg").write_text(svg(summary, STAGES, COMMON), encoding="utf-8")
    print(f"\nwrote {out / 'results.csv'} and {out / 'scale.svg'}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
