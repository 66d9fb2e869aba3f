"""Shared fixtures: where the repository and the shared material are, and headless
Chromium for the browser tests (the scaffolding itself is in tests/support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import browser_missing, chromium, require_browser

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared material (paper, vocabularies) next to the repository; skip if absent."""
    shared = REPO_ROOT.parent / "shared"
    if not shared.is_dir():
        pytest.skip(f"shared material not found at {shared}")
    return shared


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
