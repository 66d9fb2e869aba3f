"""Static hosting for real: Debian's Apache 2.4 serves a fresh build's dist/site/ with
the generated .htaccess (tests/support/apache.py: its own minimal configuration, a free
loopback port), and answers the content-negotiation matrix of tests/support/conneg.py
exactly as ``govsm serve`` does (tests/test_serve_live.py runs the same table on the same
build). Skips when apache2 is not installed (fails under GOVSM_REQUIRE_APACHE=1).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import built_dist, site_of
from support.apache import apache_serving, error_log, require_apache
from support.conneg import (
    BUILD_FILES,
    FILES,
    METHOD_PATHS,
    METHODS,
    NOT_FOUND,
    Case,
    Fetch,
    build_cases,
    check_case,
    check_file,
    check_method,
    check_not_found,
    http_fetch,
)

from kg.web.site.htaccess import HTACCESS

CASES = build_cases()


@pytest.fixture(scope="module")
def apache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fetch]:
    """Apache serving the build's site; a fetch function over it."""
    require_apache()
    site = site_of(built_dist(tmp_path_factory))
    assert (site / ".htaccess").read_text(encoding="utf-8") == HTACCESS
    workdir = tmp_path_factory.mktemp("apache")
    with apache_serving(site, workdir) as url:
        yield http_fetch(url)
    # Nothing in the .htaccess was refused or failed on a request.
    assert "[core:alert]" not in error_log(workdir), error_log(workdir)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_conneg_matrix(apache: Fetch, case: Case) -> None:
    check_case(apache, case)


@pytest.mark.parametrize(("path", "ctype"), sorted({**FILES, **BUILD_FILES}.items()))
def test_files_have_the_servers_types(apache: Fetch, path: str, ctype: str) -> None:
    check_file(apache, path, ctype)


@pytest.mark.parametrize("path", NOT_FOUND)
def test_not_found(apache: Fetch, path: str) -> None:
    check_not_found(apache, path)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", METHOD_PATHS)
def test_read_only(apache: Fetch, path: str, method: str) -> None:
    check_method(apache, path, method)
