"""Shared fixtures: where the repository, the vendored vocabularies and the paper are, and
headless Chromium for the browser tests (the scaffolding itself is in tests/support.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# anyio imports its file module lazily, on a server's first FileResponse: in a server
# thread, under pytest's assertion rewriting (anyio is a pytest plugin), CPython 3.11.7
# can fail that parse with "AST constructor recursion depth mismatch". Imported here,
# in the main thread, before any server starts.
from anyio import open_file  # noqa: F401, E402
from hypothesis import HealthCheck, settings
from support import browser_missing, chromium, require_browser

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from xdist.workermanage import WorkerController

REPO_ROOT = Path(__file__).resolve().parents[1]
# Everything the tests read is in the repository (W3C suites in tests/w3c/, vocabularies in
# tests/vocab/) except the paper's text, which stays in the shared folder beside it.
VOCAB_DIR = REPO_ROOT / "tests" / "vocab"
PAPER = REPO_ROOT.parent / "shared" / "paper" / "meta-synthesis.txt"

# The property-based tests (hypothesis): in the suite, a fixed, small set of examples
# (derandomized, so a run is reproducible and takes seconds); `make fuzz` sets GOVSM_FUZZ
# to the number of examples per test and draws them at random (a new set each run).
settings.register_profile(
    "suite",
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("GOVSM_FUZZ") or 0) or 1,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("fuzz" if os.environ.get("GOVSM_FUZZ") else "suite")


# `make test` runs the suite on pytest-xdist workers, which start with COLUMNS=80 in their
# environment whatever the controller's is: the CLI's consoles (kg.cli.output, 160 columns
# off a terminal unless COLUMNS says otherwise) would then wrap long paths and lines where a
# serial run does not. The controller hands its own COLUMNS to each worker, which takes it
# before any test module imports the CLI.
@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: WorkerController) -> None:
    """(Controller, pytest-xdist) Give the worker the controller's COLUMNS."""
    node.workerinput["govsm_columns"] = os.environ.get("COLUMNS")


def pytest_configure(config: pytest.Config) -> None:
    """(Worker) The environment's COLUMNS as the controller has it."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or "govsm_columns" not in workerinput:
        return
    columns = workerinput["govsm_columns"]
    if columns is None:
        os.environ.pop("COLUMNS", None)
    else:
        os.environ["COLUMNS"] = columns


# The files whose tests take longest (summed durations of a full run on an idle machine,
# 2026-12-03, those over 14 s, slowest first; README, Running the tests). `make test`
# hands whole files to its two workers in collection order (--dist loadfile with
# --no-loadscope-reorder): these go first, so that the run ends on many short files that
# even the two workers out, not on a two-minute file one worker starts while the other has
# nothing left. The order changes no test, only when each file starts; a file missing here
# just runs after these, in the usual order.
SLOWEST_FIRST = (
    "test_validate_fast.py",
    "test_site.py",
    "test_site_partial.py",
    "test_jsonld.py",
    "test_reason.py",
    "test_serve_live.py",
    "test_validate_incremental.py",
    "test_shapes.py",
    "test_offline.py",
    "test_serve_connections.py",
    "test_virtuoso.py",
    "test_bench.py",
    "test_pipeline.py",
    "test_endpoint_security.py",
    "test_shapes_linked_data.py",
    "test_site_ondemand.py",
    "test_browser_editor.py",
    "test_site_anyreview.py",
    "test_timings.py",
    "test_pipeline_engines.py",
    "test_entail.py",
    "test_bad_inputs.py",
    "test_nanopub.py",
    "test_push.py",
    "test_diff.py",
    "test_release.py",
    "test_primary_review.py",
    "test_browser.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest files first (SLOWEST_FIRST), each file's tests in their own order."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def vocab_dir() -> Path:
    """The pinned external vocabularies, vendored in tests/vocab/ (see its SOURCES.md)."""
    return VOCAB_DIR


@pytest.fixture(scope="session")
def paper_path() -> Path:
    """The paper's full text (../shared/paper/meta-synthesis.txt), the one test input the
    repository does not hold; skip, naming it, if absent."""
    if not PAPER.is_file():
        pytest.skip(f"the paper's text is not in the repository and was not found at {PAPER}")
    return PAPER


@pytest.fixture(scope="module")
def browser_downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the module's browser saves downloads."""
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(browser_downloads: Path) -> Iterator[WebDriver]:
    """Headless Chromium for one test module; skips naming what is missing (fails under
    GOVSM_REQUIRE_BROWSER=1)."""
    require_browser(browser_missing())
    with chromium(browser_downloads) as driver:
        yield driver
