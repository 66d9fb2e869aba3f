"""Incremental validation gives the report a full validation gives, after every edit.

A small generated review (bench.generate) is edited step by step — a triple added,
removed, changed; a violation introduced and fixed; edits whose effect crosses files (a
study loses its type, so evidence items in another file pointing to it break; a new file
adds a second title to a study defined elsewhere); an author list (blank nodes) changed;
a file reformatted; a file deleted; the ontology changed. After each step the incremental
run (one cache kept across the steps) must equal a full run from scratch (a fresh cache),
result for result: focus node, path, component, severity, value, shape, message and
source file. The incremental runs must also say they re-checked only a few focus nodes.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import fields
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.app import app
from kg.config import DEFAULT_BASE, Project
from kg.validation import Outcome, ValidationResult, validate_incremental
from kg.validation.compiler import Compiled, compile_shapes
from kg.validation.incremental.blocks import split_blocks
from kg.validation.inputs import load_shapes

generate = pytest.importorskip("bench.generate")

STUDY = re.compile(r"<https://w3id\.org/govsm/id/study/[^>]*-s1>")


def key(r: ValidationResult) -> tuple:
    def blank(term: str | None) -> str | None:
        return "_:" if term is not None and term.startswith("_:") else term

    return (
        blank(r.focus),
        r.path,
        r.component,
        r.severity,
        blank(r.value),
        r.shape,
        r.message,
        r.source_file,
        r.constraint,
    )


class Editor:
    """A generated project, its incremental cache, and a full run to compare with."""

    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.project = Project(root=root)
        self.cache = tmp / "cache"
        self.tmp = tmp
        self.runs = 0
        self.data = root / "data" / generate.REVIEW_SLUG

    def edit(self, name: str, old: str, new: str, count: int = 1) -> None:
        path = self.data / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{name}: {old!r} not found"
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    def check(self) -> Outcome:
        """Incremental and full reports are the same; the incremental outcome."""
        outcome = validate_incremental(self.project, DEFAULT_BASE, self.cache)
        self.runs += 1
        full = validate_incremental(
            self.project, DEFAULT_BASE, self.tmp / f"full-{self.runs}", full=True
        )
        assert full.mode == "full"
        got, want = (
            Counter(map(key, outcome.report.results)),
            Counter(map(key, full.report.results)),
        )
        assert got == want, (
            f"{outcome.summary()}\nincremental only: {sorted(got - want, key=repr)}\n"
            f"full only: {sorted(want - got, key=repr)}"
        )
        return outcome


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The generated project after its first (full) run, with its cache, kept aside; and
    the folder where each test gets a fresh copy of it. The cache is keyed by the project's
    path, so every copy is made at the same path as the first run's."""
    base = tmp_path_factory.mktemp("incremental")
    work, kept = base / "work", base / "pristine"
    generated = generate.generate(
        work / "project", studies=30, seed=5, inject={"study-two-titles": 1}
    )
    first = Editor(generated.root, work).check()
    assert first.mode == "full" and first.report.violations
    shutil.copytree(work, kept, symlinks=True)
    return work, kept


@pytest.fixture
def editor(pristine: tuple[Path, Path], tmp_path: Path) -> Editor:
    work, kept = pristine
    shutil.rmtree(work)
    shutil.copytree(kept, work, symlinks=True)
    ed = Editor(work / "project", work)
    ed.runs = 1
    ed.tmp = tmp_path  # full runs from scratch go to this test's own folder
    return ed


def _violations(outcome: Outcome, component: str) -> list[ValidationResult]:
    return [r for r in outcome.report.violations if r.component.endswith(component)]


def test_unchanged_files_give_the_previous_report(editor: Editor) -> None:
    again = editor.check()
    assert again.mode == "unchanged"
    assert "no source file changed" in again.summary()


def test_add_remove_and_change_triples(editor: Editor) -> None:
    refs = (editor.data / "references.ttl").read_text(encoding="utf-8")
    study = STUDY.search(refs).group(0)
    title = re.search(re.escape(study) + r"\n(?:.*\n)*?    dcterms:title (\"[^\"]*\")", refs)
    assert title
    old_title = title.group(1)
    # Add a triple: a second title (violation introduced).
    editor.edit(
        "references.ttl", f"dcterms:title {old_title} ;", f'dcterms:title {old_title} , "Other" ;'
    )
    added = editor.check()
    assert added.mode == "incremental" and 0 < added.rechecked < 20
    assert "references.ttl" in added.summary() and "re-checked" in added.summary()
    assert any(r.focus == study[1:-1] for r in _violations(added, "MaxCountConstraintComponent"))
    # Remove it again (violation fixed).
    editor.edit(
        "references.ttl", f'dcterms:title {old_title} , "Other" ;', f"dcterms:title {old_title} ;"
    )
    fixed = editor.check()
    assert fixed.mode == "incremental"
    assert not any(
        r.focus == study[1:-1] for r in _violations(fixed, "MaxCountConstraintComponent")
    )
    # Change a triple: an evidence item about a factor, not a sub-factor.
    editor.edit(
        "evidence.ttl",
        "govsm:aboutSubFactor <https://w3id.org/govsm/id/subfactor/transparency>",
        "govsm:aboutSubFactor <https://w3id.org/govsm/id/factor/managerial>",
    )
    changed = editor.check()
    assert changed.mode == "incremental"
    assert _violations(changed, "ClassConstraintComponent")
    # A file reformatted (blocks re-ordered, statements the same): same report.
    text = (editor.data / "platforms.ttl").read_text(encoding="utf-8")
    split = split_blocks(text, ".ttl")
    (editor.data / "platforms.ttl").write_text(
        split.header + "\n\n".join(reversed(split.blocks)) + "\n", encoding="utf-8"
    )
    reformatted = editor.check()
    assert reformatted.mode == "incremental" and reformatted.rechecked == 0


def test_cross_file_effects(editor: Editor) -> None:
    refs = (editor.data / "references.ttl").read_text(encoding="utf-8")
    study = STUDY.search(refs).group(0)
    # The study (references.ttl) loses its type: the evidence items in evidence.ttl
    # whose source it is, and the review's includes, now point to a non-study.
    editor.edit("references.ttl", f"{study}\n    a govsm:Study , ", f"{study}\n    a ")
    untyped = editor.check()
    assert untyped.mode == "incremental"
    files = {r.source_file for r in untyped.report.violations}
    assert any(f and f.endswith("evidence.ttl") for f in files), files
    editor.edit("references.ttl", f"{study}\n    a ", f"{study}\n    a govsm:Study , ")
    assert editor.check().mode == "incremental"
    # A new file gives the study a second title; then it is deleted.
    extra = editor.data / "extra.ttl"
    extra.write_text(f'{study} <http://purl.org/dc/terms/title> "Again" .\n', encoding="utf-8")
    with_extra = editor.check()
    assert with_extra.mode == "incremental" and "extra.ttl" in with_extra.summary()
    assert any(
        r.focus == study[1:-1] for r in _violations(with_extra, "MaxCountConstraintComponent")
    )
    extra.unlink()
    without = editor.check()
    assert not any(
        r.focus == study[1:-1] for r in _violations(without, "MaxCountConstraintComponent")
    )
    # The same file name again, with other statements (the cache's old copy must not
    # be taken for its previous content).
    extra.write_text(
        f'{study} <http://purl.org/dc/terms/title> "Again" .\n'
        f"{study} <https://w3id.org/govsm/ontology#publishedIn> {study} .\n",
        encoding="utf-8",
    )
    again = editor.check()
    assert _violations(again, "ClassConstraintComponent")


def test_blank_node_edits(editor: Editor) -> None:
    """Author lists are RDF lists (blank nodes): dropping an author from one list breaks
    the creator/author-list check for that study only."""
    refs = (editor.data / "references.ttl").read_text(encoding="utf-8")
    match = re.search(r"bibo:authorList \( (<[^>]+>) (<[^>]+>)", refs)
    assert match, "a study with two authors"
    editor.edit("references.ttl", match.group(0), f"bibo:authorList ( {match.group(1)}")
    outcome = editor.check()
    assert outcome.mode == "incremental" and outcome.rechecked < 20
    assert any(r.component == "check-query" for r in outcome.report.violations)


def test_ontology_change_validates_everything(editor: Editor) -> None:
    ontology = editor.root / "ontology" / "govsm.ttl"
    ontology.write_text(ontology.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    outcome = editor.check()
    assert outcome.mode == "full" and "ontology" in outcome.reason


def test_cli_says_what_it_rechecked(editor: Editor) -> None:
    runner = CliRunner()
    args = [
        "validate",
        "--data", str(editor.root / "data"),
        "--shapes", str(editor.root / "shapes"),
        "--ontology", str(editor.root / "ontology"),
        "--cache", str(editor.tmp / "cli-cache"),
    ]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.output  # the injected second title
    assert "validated everything" in first.output
    (editor.data / "platforms.ttl").write_text(
        (editor.data / "platforms.ttl").read_text(encoding="utf-8") + "\n# a comment\n",
        encoding="utf-8",
    )
    second = runner.invoke(app, args)
    assert second.exit_code == 1
    assert "re-checked 0 focus node(s) from data/synthetic/platforms.ttl" in second.output
    reference = runner.invoke(app, [*args[:7], "--validator", "pyshacl"])
    assert reference.exit_code == 1
    assert runner.invoke(app, [*args, "--validator", "nope"]).exit_code == 2


def test_cache_layout_is_data_only(editor: Editor) -> None:
    """The cache holds JSON, copies of the data files and stores: nothing executable."""
    names = {p.name for p in editor.cache.iterdir()}
    assert {"state.json", "compiled.json", "encoded", "plain", "files"} <= names
    assert not list(editor.cache.rglob("*.pickle")) and not list(editor.cache.rglob("*.pkl"))


def test_project_copy_is_independent(tmp_path: Path, editor: Editor) -> None:
    """Copying a project with its cache to another folder still validates correctly
    (the cache is keyed by the folders' paths, so it starts again in full)."""
    copy = tmp_path / "copy"
    shutil.copytree(editor.root, copy)
    outcome = validate_incremental(Project(root=copy), DEFAULT_BASE, editor.cache)
    assert outcome.mode == "full"


def test_syntax_error_in_a_changed_block_names_file_and_line(editor: Editor) -> None:
    from kg.rdf.load import ParseError

    editor.edit("platforms.ttl", " .\n", " ;;; oops .\n")
    with pytest.raises(ParseError) as caught:
        validate_incremental(editor.project, DEFAULT_BASE, editor.cache)
    assert caught.value.path.name == "platforms.ttl" and caught.value.line > 0


def test_query_predicates() -> None:
    from kg.validation.incremental.affected import query_predicates

    found = query_predicates(
        "SELECT * WHERE { ?s <http://a>/(<http://b>|^<http://c>)* ?o "
        "FILTER NOT EXISTS { ?o <http://d> 1 ; <http://e> [ <http://f> 2 ] } }"
    )
    assert found == {f"http://{c}" for c in "abcdef"}
    assert query_predicates("SELECT * WHERE { ?s ?p ?o }") is None  # any triple can match


def test_repeated_blank_node_statements_stay_distinct(editor: Editor) -> None:
    """Two identical statements with blank nodes are two blank nodes (RDF says so): a
    second copy of an author list gives the study two lists, as a full run sees it."""
    refs = (editor.data / "references.ttl").read_text(encoding="utf-8")
    statement = re.search(r"<[^>]+> bibo:authorList \([^)]*\) \.", refs).group(0)
    (editor.data / "references.ttl").write_text(refs + "\n" + statement + "\n", encoding="utf-8")
    outcome = editor.check()
    assert any(r.path and r.path.endswith("authorList") for r in outcome.report.violations)
    editor.edit("references.ttl", "\n" + statement + "\n", "\n", count=-1)
    (editor.data / "references.ttl").write_text(refs, encoding="utf-8")
    editor.check()


def _query_fields(compiled: Compiled) -> list[dict]:
    """Every field of every compiled query but the shapes-graph nodes (``shape``,
    ``path``), which the cache leaves out: ``shape_name`` and ``path_text`` stand for them."""
    return [
        {f.name: getattr(q, f.name) for f in fields(q) if f.name not in ("shape", "path")}
        for q in compiled.queries
    ]


def test_a_cached_run_uses_the_queries_of_a_fresh_one(
    editor: Editor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that takes the compiled shapes from the cache (here: the ontology changed,
    so everything is validated again) runs the queries a fresh compilation gives, every
    field alike, the groups of minCount 1 / maxCount 1 queries included."""
    import kg.validation.incremental.run as incremental

    fresh = compile_shapes(load_shapes(editor.project.shapes))
    assert any(q.group for q in fresh.queries)
    used: list[Compiled] = []
    run = incremental.iter_compiled

    def spy(stores, compiled, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        used.append(compiled)
        return run(stores, compiled, *args, **kwargs)

    monkeypatch.setattr(incremental, "iter_compiled", spy)
    ontology = editor.root / "ontology" / "govsm.ttl"
    ontology.write_text(ontology.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    outcome = validate_incremental(editor.project, DEFAULT_BASE, editor.cache)
    assert outcome.mode == "full" and used
    for compiled in used:
        assert _query_fields(compiled) == _query_fields(fresh)


def test_compiled_shapes_survive_a_json_round_trip() -> None:
    """What the cache keeps of the compiled shapes (JSON) reads back as it was, every
    field of Compiled and CompiledQuery but the shapes-graph nodes."""
    from kg.validation.incremental.cache import compiled_from_json, compiled_to_json

    compiled = compile_shapes(load_shapes(Project().shapes))
    back = compiled_from_json(json.loads(json.dumps(compiled_to_json(compiled))))
    assert _query_fields(back) == _query_fields(compiled)
    assert all(q.shape is None and q.path is None for q in back.queries)
    for f in fields(Compiled):
        if f.name != "queries":
            assert getattr(back, f.name) == getattr(compiled, f.name), f.name


def test_a_change_to_any_validation_module_makes_the_cache_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's digest covers every module of kg.validation, those of its
    subpackages too: a change to one gives another digest (and a full run)."""
    import kg.validation.incremental.cache as cache

    code = tmp_path / "validation"
    shutil.copytree(Path(cache.__file__).resolve().parents[1], code)
    monkeypatch.setattr(cache, "_CODE", code)
    names = {p.relative_to(code).as_posix() for p in cache.code_files()}
    assert {"run.py", "compiler/value_type.py", "incremental/cache.py"} <= names
    project = Project()
    before = cache.config_digest(project, DEFAULT_BASE)
    assert cache.config_digest(project, DEFAULT_BASE) == before
    module = code / "compiler" / "value_type.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert cache.config_digest(project, DEFAULT_BASE) != before
