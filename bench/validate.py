"""Validation benchmark: the fast path (SHACL compiled to SPARQL) against pySHACL, and
incremental validation after a one-file change, on generated reviews.

``python -m bench.validate [--scales 1000 10000] [--incremental-scale 10000] [--seed 7]
[--work DIR] [--csv FILE] [--no-pyshacl]``

For each scale it generates a review (bench.generate, with a few violations of every
injectable kind), loads it once (pyoxigraph engine, as ``govsm build``), then times in
the same process: the fast validation stage (kg.validation.validate, validator "fast") and
the reference (validator "pyshacl", which includes converting the loaded graphs to
rdflib, as the pipeline did before). It checks that both reports are the same (focus
node, path, component, severity, value, shape, message, source file) and prints the
ratio pySHACL / fast.

At the incremental scale it then runs ``govsm validate``'s incremental path
(kg.validation.incremental): a first run (no cache: everything), one evidence item changed
in evidence.ttl (an error introduced), the same file restored, a title changed in
references.ttl (a block that also holds a blank-node author list). Each incremental
report is compared with a full validation of the same files. Times are wall-clock,
in-process (the interpreter start and imports are not counted).
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench.generate import INJECTIONS, REVIEW_SLUG, generate
from kg.config import DEFAULT_BASE, Project
from kg.rdf.load import load
from kg.validation import ValidationReport, ValidationResult, validate, validate_incremental

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and the seconds it took."""
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def key(r: ValidationResult) -> tuple:
    """A result without blank-node labels (they differ between stores)."""

    def blank(term: str | None) -> str | None:
        return "_:" if term is not None and term.startswith("_:") else term

    return (blank(r.focus), r.path, r.component, r.severity, blank(r.value), r.shape, r.message,
            r.source_file)  # fmt: skip


def same(a: ValidationReport, b: ValidationReport) -> bool:
    """The two reports hold the same results."""
    return Counter(map(key, a.results)) == Counter(map(key, b.results))


def injections(studies: int) -> dict[str, int]:
    """A few violations of every kind (one of the single-instance kinds)."""
    per_kind = 1 if studies < 500 else 3
    return {kind: (1 if kind == "step-shared-position" else per_kind) for kind in INJECTIONS}


def bench_scale(work: Path, studies: int, seed: int, reference: bool) -> dict:
    """Fast vs pySHACL validation at one scale."""
    root = work / f"review-{studies}"
    if root.exists():
        shutil.rmtree(root)
    generated, t_gen = timed(lambda: generate(root, studies, seed=seed, inject=injections(studies)))
    project = Project(root=root)
    loaded, t_load = timed(lambda: load(project, DEFAULT_BASE))
    fast, t_fast = timed(lambda: validate(loaded, project, "fast"))
    row = {
        "studies": studies,
        "triples": generated.triples,
        "generate_s": round(t_gen, 3),
        "load_s": round(t_load, 3),
        "fast_s": round(t_fast, 3),
        "results": len(fast.results),
        "violations": len(fast.violations),
    }
    if reference:
        ref, t_ref = timed(lambda: validate(loaded, project, "pyshacl"))
        row |= {
            "pyshacl_s": round(t_ref, 3),
            "ratio_pyshacl_over_fast": round(t_ref / t_fast, 2),
            "same_report": same(fast, ref),
        }
    return row


def _edit(path: Path, pattern: str, replacement: str) -> str:
    text = path.read_text(encoding="utf-8")
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"{path}: nothing matches {pattern!r}")
    path.write_text(text[: match.start()] + replacement + text[match.end() :], encoding="utf-8")
    return text


def bench_incremental(work: Path, studies: int, seed: int, fast_s: float | None) -> list[dict]:
    """A first (full) run and three one-file edits, each checked against a full run."""
    root = work / f"review-{studies}"
    if not root.exists():
        generate(root, studies, seed=seed, inject=injections(studies))
    project = Project(root=root)
    cache = work / f"cache-{studies}"
    if cache.exists():
        shutil.rmtree(cache)
    data = root / "data" / REVIEW_SLUG
    rows = []

    def step(name: str) -> None:
        outcome, seconds = timed(lambda: validate_incremental(project, DEFAULT_BASE, cache))
        full = validate(load(project, DEFAULT_BASE), project, "fast")
        row = {
            "step": name,
            "mode": outcome.mode,
            "seconds": round(seconds, 3),
            "rechecked": outcome.rechecked,
            "same_as_full": same(outcome.report, full),
            "summary": outcome.summary(),
        }
        if fast_s:
            row["ratio_full_fast_over_this"] = round(fast_s / seconds, 2)
        rows.append(row)

    step("first run (no cache)")
    evidence = data / "evidence.ttl"
    original = _edit(
        evidence,
        r"govsm:aboutSubFactor <https://w3id\.org/govsm/id/subfactor/[^>]+>",
        "govsm:aboutSubFactor <https://w3id.org/govsm/id/factor/managerial>",
    )
    step("evidence.ttl: one item about a factor (violation)")
    evidence.write_text(original, encoding="utf-8")
    step("evidence.ttl: restored")
    refs = data / "references.ttl"
    _edit(refs, r'dcterms:title "([^"]*)" ;', 'dcterms:title "A changed title" ;')
    step("references.ttl: one title changed")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validate", description=__doc__)
    parser.add_argument("--scales", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--incremental-scale", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: temp)")
    parser.add_argument("--csv", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--no-pyshacl", action="store_true", help="skip the reference")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="govsm-bench-validate-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    fast_at: dict[int, float] = {}
    print("scale   triples   fast s   pySHACL s   pySHACL/fast   same report", flush=True)
    for studies in args.scales:
        row = bench_scale(work, studies, args.seed, not args.no_pyshacl)
        fast_at[studies] = row["fast_s"]
        rows.append(row)
        print(
            f"{studies:>6} {row['triples']:>9} {row['fast_s']:>8.2f} "
            f"{row.get('pyshacl_s', float('nan')):>11.2f} "
            f"{row.get('ratio_pyshacl_over_fast', float('nan')):>14.2f} "
            f"{row.get('same_report', '-')!s:>13}",
            flush=True,
        )
    if args.incremental_scale:
        print(f"\nincremental validation at {args.incremental_scale} studies:", flush=True)
        for row in bench_incremental(
            work, args.incremental_scale, args.seed, fast_at.get(args.incremental_scale)
        ):
            ratio = row.get("ratio_full_fast_over_this")
            extra = f", full fast validation / this = {ratio}" if ratio else ""
            print(
                f"  {row['step']}: {row['seconds']:.2f} s ({row['mode']}, re-checked "
                f"{row['rechecked']}, same as full: {row['same_as_full']}{extra})",
                flush=True,
            )
            rows.append({"studies": args.incremental_scale, **row})
    if args.csv:
        fields = sorted({k for row in rows for k in row})
        with args.csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    bad = [r for r in rows if r.get("same_report") is False or r.get("same_as_full") is False]
    if bad:
        print(f"error: {len(bad)} comparison(s) differ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
