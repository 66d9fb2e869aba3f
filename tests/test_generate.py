"""The synthetic review generator (bench/generate.py).

Generated data is checked with the reference validator (pySHACL plus the check queries,
through the pipeline's validate stage): clean data gives exactly the warnings the
generator lists and no violation; every injection kind gives exactly its expected report
entries, COUNT times; the derivation rules reproduce the reported classifications; output
is a function of the seed.
"""

from __future__ import annotations

import filecmp
from collections import Counter
from pathlib import Path

import pytest

from bench.generate import (
    DATA_FILES,
    INJECTIONS,
    Generated,
    GenerateError,
    generate,
    main,
)
from kg.config import DEFAULT_RULES, Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.load import load
from kg.stages.derive import derive, select_rules
from kg.stages.verify import verify
from kg.validation import validate


def report_keys(generated: Generated) -> Counter:
    """The pipeline's validation report of a generated project, as comparable keys."""
    project = Project(root=generated.root)
    report = validate(load(project, DEFAULT_BASE), project)
    return Counter((r.severity, r.focus, r.path, r.component, r.shape) for r in report.results)


def expected_keys(generated: Generated) -> Counter:
    return Counter(e.key() for e in generated.expected)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return generate(tmp_path_factory.mktemp("clean"), studies=100, seed=7)


def test_clean_data_conforms_with_exactly_the_listed_warnings(clean: Generated) -> None:
    got = report_keys(clean)
    assert not clean.violations()
    assert all(e.severity == "Warning" for e in clean.expected)
    assert clean.expected, "clean data has warnings by design (no DOI, inferred, title-only)"
    assert got == expected_keys(clean)


def test_clean_data_has_every_file_of_a_review_folder(clean: Generated) -> None:
    real = sorted(
        p.name for p in (Project().data[0] / "social-media-service-delivery").glob("*.ttl")
    )
    assert sorted(p.name for p in clean.review_dir.glob("*.ttl")) == real == sorted(DATA_FILES)
    for folder in ("ontology", "shapes", "queries"):
        assert (clean.root / folder).is_dir()
    assert (clean.root / "generated.json").is_file()


def test_rules_reproduce_the_reported_classifications(clean: Generated) -> None:
    project = Project(root=clean.root)
    loaded = load(project, DEFAULT_BASE)
    rules = select_rules(project.queries, DEFAULT_RULES, loaded.engine)
    derivations = derive(loaded.engine, rules, DEFAULT_BASE)
    assert sum(d.classifications for d in derivations) == 16 * clean.contexts
    result = verify(loaded.engine, rules, DEFAULT_BASE, project.queries)
    assert result.ok, result.differences[:3]
    assert result.compared == 16 * clean.contexts


def test_every_injection_kind_gives_exactly_its_entries(tmp_path: Path) -> None:
    counts = {name: (kind.max_count or 2) for name, kind in INJECTIONS.items()}
    generated = generate(tmp_path, studies=100, seed=3, inject=counts)
    assert generated.injected == counts
    got = report_keys(generated)
    assert got == expected_keys(generated)
    # per kind: COUNT instances, each with the kind's own entries
    by_kind = Counter(e.kind for e in generated.expected if e.kind != "clean")
    for name, kind in INJECTIONS.items():
        assert by_kind[name] == counts[name] * len(kind.entries), name
    violations = sum(
        1 for (severity, *_), n in got.items() for _ in range(n) if severity == "Violation"
    )
    expected_violations = sum(
        counts[name] * sum(1 for entry in kind.entries if entry[0] == "Violation")
        for name, kind in INJECTIONS.items()
    )
    assert violations == expected_violations


def test_output_is_a_function_of_the_seed(tmp_path: Path) -> None:
    inject = {"empty-quote": 2, "assessment-duplicate": 1}
    a = generate(tmp_path / "a", studies=40, seed=5, inject=inject, copy_project=False)
    b = generate(tmp_path / "b", studies=40, seed=5, inject=inject, copy_project=False)
    c = generate(tmp_path / "c", studies=40, seed=6, inject=inject, copy_project=False)
    match, mismatch, errors = filecmp.cmpfiles(
        a.review_dir, b.review_dir, DATA_FILES, shallow=False
    )
    assert sorted(match) == sorted(DATA_FILES) and not mismatch and not errors
    assert (a.root / "generated.json").read_bytes() == (b.root / "generated.json").read_bytes()
    _, differ, _ = filecmp.cmpfiles(a.review_dir, c.review_dir, DATA_FILES, shallow=False)
    assert "references.ttl" in differ


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--inject", "no-such-kind=1"], "unknown injection kind 'no-such-kind'"),
        (["--inject", "empty-quote"], "expected KIND=COUNT"),
        (["--inject", "step-shared-position=2"], "at most 1"),
        (["--inject", "context-jurisdiction-literal=9"], "only 4 eligible context targets"),
        (["--studies", "3"], "cannot cover the 16 sub-factors"),
    ],
)
def test_bad_parameters_exit_2_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["--out", str(tmp_path / "out"), *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_generates_and_lists_kinds(tmp_path: Path) -> None:
    lines: list[str] = []
    assert main(["--list-kinds"], echo=lines.append) == 0
    assert [line.split()[0] for line in lines] == list(INJECTIONS)
    assert (
        main(
            ["--studies", "20", "--out", str(tmp_path), "--inject", "empty-quote=1"],
            echo=lines.append,
        )
        == 0
    )
    assert "injected: empty-quote=1" in lines[-1]
    with pytest.raises(GenerateError):
        generate(tmp_path, studies=20, inject={"empty-quote": -1})
