"""Package data and the project folder: where each shipped part resolves (the repository in a
checkout, kg/_shipped/ in a wheel), which parts a project folder overrides, how the project
is chosen (--project, GOVSM_PROJECT, the current directory's rule), and that a missing
folder is a usage error naming it. The wheel itself is built and run by .ci/wheel-check."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import resources
from kg.cli import options
from kg.cli.app import app
from kg.config import PROJECT_ENV, ConfigError, Project, choose_project, looks_like_project
from kg.importers.scaffold import init_project
from kg.stages.reason import java_version

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: A shape the first review and a new one both violate: a project's own shapes/ replaces
#: the package's, so validating with it fails where the package's shapes pass.
STRICT_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix govsm: <https://w3id.org/govsm/ontology#> .
@prefix ex: <https://example.org/strict#> .
ex:ReviewNeedsColour a sh:NodeShape ;
  sh:targetClass govsm:Review ;
  sh:property [ sh:path ex:colour ; sh:minCount 1 ; sh:severity sh:Violation ;
                sh:message "a review needs a colour" ] .
"""

#: An ontology with an individual of two disjoint classes.
INCONSISTENT = """\
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <https://example.org/bad#> .
<https://example.org/bad> a owl:Ontology .
ex:A a owl:Class ; owl:disjointWith ex:B .
ex:B a owl:Class .
ex:x a owl:NamedIndividual , ex:A , ex:B .
"""


@pytest.fixture
def new_project(tmp_path: Path) -> Path:
    """A project folder as ``govsm init`` writes it: data/ only."""
    init_project(tmp_path / "mine", "A project of my own")
    return tmp_path / "mine"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROJECT_ENV, raising=False)


def test_in_a_checkout_every_part_is_the_repositorys_folder() -> None:
    assert not resources.installed()
    assert resources.home() == REPO
    for name, relative in resources.PARTS.items():
        if name == "yasgui" and not (REPO / relative).is_dir():
            assert resources.part(name, required=False) is None  # npm ci not run here
            continue
        assert resources.part(name) == REPO / relative


def test_in_a_wheel_the_parts_are_the_packages_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "kg"
    for name in ("ontology", "shapes", "queries", "data"):
        (package / "_shipped" / name).mkdir(parents=True)
    monkeypatch.setattr(resources, "_package", lambda: package)
    assert resources.installed()
    assert resources.home() == package / "_shipped"
    assert resources.part("shapes") == package / "_shipped" / "shapes"
    assert resources.part("yasgui", required=False) is None
    with pytest.raises(resources.MissingResource, match="examples folder .*_shipped/examples"):
        resources.part("examples")
    project = Project()
    assert project.ontology == package / "_shipped" / "ontology"
    assert project.data == (package / "_shipped" / "data",)
    # the package's own first review keeps its caches out of site-packages
    monkeypatch.chdir(tmp_path)
    assert project.workspace == tmp_path
    assert Project(root=tmp_path / "site-packages").workspace == tmp_path / "site-packages"


def test_the_wheel_ships_what_kg_resources_looks_for() -> None:
    """pyproject.toml's lists (read by hatch_build.py) and kg.resources.PARTS agree."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    hook = config["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]["custom"]
    parts = {name: str(path) for name, path in resources.PARTS.items()}
    yasgui = parts.pop("yasgui")
    assert sorted(hook["shipped"]) == sorted(parts.values())
    for name in ("yasgui.min.js", "yasgui.min.css"):
        assert f"{yasgui}/{name}" in hook["optional"]
    assert all((REPO / name).is_dir() for name in hook["shipped"])


def test_a_project_overrides_only_the_parts_it_has(new_project: Path) -> None:
    (new_project / "queries").mkdir()
    project = Project(root=new_project)
    assert project.data == (new_project / "data",)
    assert project.queries == new_project / "queries"
    assert project.checks == new_project / "queries" / "checks"
    assert project.ontology == resources.home() / "ontology"
    assert project.shapes == resources.home() / "shapes"
    assert project.find("examples/cpsv-ap") == resources.home() / "examples" / "cpsv-ap"
    overridden = Project(root=new_project, shapes_dir=new_project / "queries")
    assert overridden.shapes == new_project / "queries"
    assert project.check() is project


def test_which_folder_is_the_project_and_where_its_outputs_go(
    tmp_path: Path, new_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = choose_project(new_project)
    assert (given.root, given.workspace) == (new_project, new_project)
    assert options.output(None, given) == new_project / "dist"
    assert options.output(tmp_path / "out", given) == tmp_path / "out"
    with pytest.raises(ConfigError, match=f"project folder {tmp_path / 'none'} does not exist"):
        choose_project(tmp_path / "none")
    monkeypatch.chdir(new_project)
    assert looks_like_project(new_project)
    assert choose_project(None).root == new_project
    # a data/ folder with no Turtle in it (or no data/ at all) is not a project: the
    # package's first review is built, into the current directory
    empty = tmp_path / "empty"
    (empty / "data" / "notes").mkdir(parents=True)
    (empty / "data" / "notes" / "readme.txt").write_text("not a review")
    monkeypatch.chdir(empty)
    assert not looks_like_project(empty)
    fallback = choose_project(None)
    assert fallback.root == resources.home()
    assert options.output(None, fallback) == empty / "dist"
    assert fallback.workspace / ".govsm-cache" == empty / ".govsm-cache"


@pytest.mark.parametrize(
    ("command", "looked_for"),
    [
        (["serve"], "dist/site/index.html"),
        (
            ["push", "--endpoint", "http://127.0.0.1:9/sparql", "--server", "fuseki"],
            "dist/govsm.nq",
        ),
        (["nanopub", "verify"], "dist/nanopubs"),
    ],
)
def test_the_build_is_looked_for_in_the_projects_dist(
    new_project: Path,
    command: list[str],
    looked_for: str,
    monkeypatch: pytest.MonkeyPatch,
    clean_env: None,
) -> None:
    monkeypatch.setenv(PROJECT_ENV, str(new_project))
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert str(new_project / looked_for) in result.output.replace("\n", "")


def test_validate_reads_the_project_of_the_current_directory_or_of_the_variable(
    tmp_path: Path, new_project: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.chdir(new_project)
    assert runner.invoke(app, ["validate"]).exit_code == 0
    assert (new_project / ".govsm-cache" / "validate").is_dir()  # the project's own cache
    (new_project / "shapes").mkdir()
    (new_project / "shapes" / "strict.ttl").write_text(STRICT_SHAPES)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv(PROJECT_ENV, str(new_project))
    result = runner.invoke(app, ["validate", "--full"])
    assert result.exit_code == 1, result.output
    assert "a review needs a colour" in result.output
    # --project wins over the variable
    monkeypatch.setenv(PROJECT_ENV, str(tmp_path / "gone"))
    assert runner.invoke(app, ["validate", "--full", "--project", str(new_project)]).exit_code == 1


def test_a_bad_file_in_the_projects_data_is_named(
    new_project: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    bad = new_project / "data" / "broken.ttl"
    bad.write_text("this is not turtle .\n")
    result = runner.invoke(app, ["query", "classification-table", "--project", str(new_project)])
    assert result.exit_code == 2
    assert "broken.ttl" in result.output


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["validate"], "--project"),
        (["validate"], "--shapes"),
        (["validate"], "--ontology"),
        (["build", "--no-reason"], "--data"),
        (["derive"], "--project"),
        (["query", "classification-table"], "--project"),
        (["trace", "x"], "--project"),
        (["reason"], "--project"),
        (["reason"], "--ontology-dir"),
        (["serve"], "--project"),
    ],
)
def test_a_missing_folder_is_a_usage_error_naming_it(
    tmp_path: Path, command: list[str], option: str, clean_env: None
) -> None:
    missing = tmp_path / "no-such-folder"
    result = runner.invoke(app, [*command, option, str(missing)])
    assert result.exit_code == 2, result.output
    assert str(missing) in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def test_the_variable_names_a_missing_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROJECT_ENV, str(tmp_path / "gone"))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert str(tmp_path / "gone") in result.output.replace("\n", "")


@pytest.mark.skipif(java_version() is None, reason="Java (for HermiT) not installed")
def test_reason_reads_the_project_ontology_from_any_directory(
    tmp_path: Path, new_project: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """It read ./ontology before: from anywhere else, "ontology/govsm.ttl: file not found"."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["reason", "--own-classes"])
    assert result.exit_code == 0, result.output
    assert "consistent" in result.output
    # a project's own ontology/ replaces the package's: an inconsistent one fails
    own = new_project / "ontology"
    own.mkdir()
    (own / "govsm.ttl").write_text(INCONSISTENT)
    result = runner.invoke(app, ["reason", "--own-classes", "--project", str(new_project)])
    assert result.exit_code == 1, result.output
