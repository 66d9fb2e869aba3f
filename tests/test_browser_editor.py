"""The SPARQL query editor in headless Chromium (selenium), on a live server over a fresh build.

Builds the review's data (default base ``https://w3id.org/govsm/``, so result IRIs must be
mapped to this server's paths), serves it with the real server (uvicorn) and the SPARQL
service, and in the browser: opens ``/sparql``, runs catalogue examples (one without
parameters, one through its parameter form), compares the rows with the catalogue's
expected results (tests/expected/cq/), follows a result link to the resource's page,
opens a permalink, downloads CSV and JSON, sees the note on a cut result, and checks that
every request the page made went to this server. Both editors are driven: YASGUI (from
web/node_modules, installed by ``make``) and the plain fallback. Screenshots go to
tests/artifacts/ (git-ignored).

Needs Debian's ``chromium`` and ``chromium-driver``, selenium (dev extra) and YASGUI
(npm); skips naming what is missing, except under ``GOVSM_REQUIRE_BROWSER=1`` (set by
.ci/run), where a missing piece fails.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from support import (
    LiveServer,
    browser_missing,
    built_dist,
    live_server,
    require_browser,
    screenshot,
    site_of,
)

from kg.prefixes import DEFAULT_BASE
from kg.web.endpoint import editor

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected" / "cq"
CATALOGUE = ROOT / "queries" / "cq"


def expected(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.srj").read_text(encoding="utf-8"))


def expected_params(name: str) -> dict[str, str]:
    return json.loads((EXPECTED / f"{name}.params.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The review's build (default base, so result IRIs must be mapped to this server)."""
    require_browser(browser_missing())  # before the build, which is not needed without one
    dist = built_dist(tmp_path_factory)
    site_of(dist)
    return dist


@pytest.fixture(scope="module")
def server(dist: Path) -> Iterator[LiveServer]:
    with live_server(dist) as (running, _):
        yield running


@pytest.fixture(params=["yasgui", "plain"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Which editor the page offers: YASGUI from web/node_modules, or the plain one."""
    if request.param == "yasgui":
        if editor.yasgui_dir() is None:
            require_browser(
                "YASGUI is not installed in web/node_modules (make runs npm ci; needs npm)"
            )
    else:
        monkeypatch.setenv("GOVSM_YASGUI_DIR", str(tmp_path))  # an empty folder: not installed
    return request.param


# --- helpers ------------------------------------------------------------------------------


def default_mode() -> str:
    """The editor a plain ``govsm serve`` offers here: YASGUI if installed, else plain."""
    return "yasgui" if editor.yasgui_dir() else "plain"


def wait_for(browser, condition, what: str, seconds: float = 60):  # noqa: ANN001, ANN201
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds, poll_frequency=0.1).until(
        lambda d: condition(d), message=f"waiting for {what}"
    )


def status(browser) -> str:  # noqa: ANN001
    return browser.find_element("id", "status").text.strip()


def wait_for_result(browser, before: str = "") -> str:  # noqa: ANN001
    """Wait until the status line reports a finished query (rows, a graph or an error)."""
    done = re.compile(r"^(\d+ rows?|ASK|Graph result|Error|The request failed)")

    def finished(d) -> str | bool:  # noqa: ANN001
        text = status(d)
        return text if done.match(text) and text != before else False

    text = wait_for(browser, finished, "the query to finish")
    assert not text.startswith(("Error", "The request failed")), text
    return text


def open_editor(browser, url: str, mode: str) -> None:  # noqa: ANN001
    browser.get(url)
    assert "SPARQL query editor" in browser.title
    ready = "yasgui-ready" if mode == "yasgui" else "plain-ready"
    wait_for(
        browser,
        lambda d: ready in (d.find_element("tag name", "body").get_attribute("class") or ""),
        f"the {mode} editor",
    )


def editor_text(browser, mode: str) -> str:  # noqa: ANN001
    if mode == "yasgui":
        return browser.execute_script(
            "return document.querySelector('#query-editor .CodeMirror').CodeMirror.getValue()"
        )
    return browser.execute_script("return document.getElementById('query-text').value")


def table_rows(browser) -> list[list[str]]:  # noqa: ANN001
    """The result table's body rows, as the text content of each cell."""
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#results table tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))"
    )


def result_cells(browser, text: str, want: dict) -> str:  # noqa: ANN001
    """Check that the status ``text`` and the table show as many rows as ``want`` (a SPARQL
    JSON result); the table's cells, joined with `` | ``."""
    n = len(want["results"]["bindings"])
    assert text.startswith(f"{n} rows"), text
    rows = table_rows(browser)
    assert len(rows) == n
    return " | ".join(" | ".join(r) for r in rows)


def result_links(browser) -> dict[str, str]:  # noqa: ANN001
    """Link targets in the results: the IRI (title) or text -> the href as the browser reads it."""
    pairs = browser.execute_script(
        "return Array.from(document.querySelectorAll('#results table tbody a'))"
        ".map(a => [a.title || a.textContent, a.href])"
    )
    return {iri: href for iri, href in pairs}


def same_origin_check(browser, origin: str) -> list[str]:  # noqa: ANN001
    """Every request the page made (resource timing entries, the page itself)."""
    names = browser.execute_script(
        "return performance.getEntriesByType('navigation').concat("
        "performance.getEntriesByType('resource')).map(e => e.name)"
    )
    elsewhere = [n for n in names if not n.startswith(origin + "/") and not n.startswith("blob:")]
    assert not elsewhere, f"requests to other origins: {elsewhere}"
    return names


def console_problems(browser) -> list[str]:  # noqa: ANN001
    """Console errors other than the HTTP error answers a test provoked on purpose."""
    return [
        e["message"]
        for e in browser.get_log("browser")
        if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]
    ]


def literal_values(data: dict, var: str) -> list[str]:
    return [b[var]["value"] for b in data["results"]["bindings"] if var in b]


# --- the tests ----------------------------------------------------------------------------


def test_run_an_example_and_follow_a_result_to_its_page(browser, server: LiveServer, mode: str):  # noqa: ANN001, ANN201
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    name = "evidence-per-subfactor"
    want = expected(name)
    assert expected_params(name) == {}, "the example without parameters"
    open_editor(browser, origin + "/sparql", mode)
    if mode == "plain":
        assert browser.find_element(By.ID, "plain-notice").is_displayed()
    else:
        assert not browser.find_elements(By.ID, "plain-notice")
    # The limits are on the page.
    assert "30 s" in browser.find_element(By.ID, "limit-timeout_s").text
    assert "10,000" in browser.find_element(By.ID, "limit-max_rows").text

    example = browser.find_element(By.CSS_SELECTOR, f"#example-{name}")
    question = (CATALOGUE / f"{name}.rq").read_text(encoding="utf-8")
    header_question = re.search(r"^# question: (.*)$", question, re.M).group(1)
    assert " ".join(header_question.split()) in " ".join(example.text.split())
    example.find_element(By.CSS_SELECTOR, "button.load").click()
    cells = result_cells(browser, wait_for_result(browser), want)
    for var in want["head"]["vars"]:
        for value in literal_values(want, var):
            if want["results"]["bindings"][0][var]["type"] == "literal":
                assert value in cells, f"{var} = {value!r} is not in the table"
    assert browser.find_element(By.ID, "truncated").get_attribute("hidden") is not None
    if mode == "yasgui":
        # Syntax highlighting: CodeMirror marks SPARQL keywords.
        assert browser.find_elements(By.CSS_SELECTOR, "#query-editor .cm-keyword")
        # Completion uses the bundled prefixes and the query's variables only: asking for
        # a class or a prefix calls no other host (LOV, prefix.cc).
        completers = browser.execute_script(
            "const y = window.govsmEditor.yasqe; y.setValue("
            "'PREFIX foaf: <http://xmlns.com/foaf/0.1/>\\nSELECT * WHERE { ?s a foaf:Pe');"
            "y.focus(); y.setCursor({line: 1, ch: 60}); y.autocomplete();"
            "return Object.keys(y.autocompleters)"
        )
        assert sorted(completers) == ["prefixes", "variables"]
        time.sleep(1)
        assert not console_problems(browser)
        browser.execute_script("window.govsmEditor.yasqe.setValue(arguments[0])", question)

    # IRIs of the data link to their pages on this server, not to the base's host.
    iri_var = next(
        v for v in want["head"]["vars"] if want["results"]["bindings"][0][v]["type"] == "uri"
    )
    iris = [b[iri_var]["value"] for b in want["results"]["bindings"]]
    links = result_links(browser)
    for iri in iris:
        local = iri.replace(DEFAULT_BASE, origin + "/", 1)
        assert links.get(iri) == local or local in links.values(), f"no local link for {iri}"
    assert not [h for h in links.values() if h.startswith(DEFAULT_BASE)], links

    # A permalink carries the query.
    permalink = browser.find_element(By.ID, "permalink").get_attribute("href")
    assert urlsplit(permalink).path == "/sparql"
    assert parse_qs(urlsplit(permalink).query)["query"] == [editor_text(browser, mode)]
    assert editor_text(browser, mode) == question

    picture = screenshot(browser, f"browser-editor-{mode}.png")
    same_origin_check(browser, origin)
    assert not console_problems(browser)

    # Follow one result link to the resource's page.
    target = iris[0]
    anchor = next(
        a
        for a in browser.find_elements(By.CSS_SELECTOR, "#results table tbody a")
        if a.get_attribute("href") == target.replace(DEFAULT_BASE, origin + "/", 1)
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", anchor)
    anchor.click()
    wait_for(browser, lambda d: d.current_url.endswith(".html"), "the resource page")
    path = target.removeprefix(DEFAULT_BASE)
    assert browser.current_url == f"{origin}/{path}.html"
    assert target in browser.find_element(By.TAG_NAME, "body").text

    # The permalink opens the editor with the query in it.
    open_editor(browser, permalink, mode)
    assert editor_text(browser, mode) == question
    same_origin_check(browser, origin)
    assert picture.stat().st_size > 1000


def test_parameter_form_binds_and_runs(browser, server: LiveServer, mode: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    name = "classification-table"
    want = expected(name)
    params = expected_params(name)
    open_editor(browser, origin + "/sparql", mode)
    form = browser.find_element(By.CSS_SELECTOR, f"form.params[data-name='{name}']")
    for key, value in params.items():
        field = form.find_element(By.NAME, key)
        field.clear()
        field.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    cells = result_cells(browser, wait_for_result(browser), want)
    for value in literal_values(want, "sources"):
        assert value in cells, value
    # The editor shows exactly the query that ran: the catalogue text plus one VALUES row.
    shown = editor_text(browser, mode)
    assert f"VALUES (?rule) {{ (<{params['rule']}>) }}" in shown
    assert (CATALOGUE / f"{name}.rq").read_text(encoding="utf-8") in shown.replace(
        f"\n  VALUES (?rule) {{ (<{params['rule']}>) }}\n", ""
    )
    # A value that is not one IRI is refused before anything runs, with the reason.
    field = form.find_element(By.NAME, "rule")
    field.clear()
    field.send_keys('x> } SERVICE <http://127.0.0.1:9/> { "')
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: status(d).startswith("Cannot bind"), "the binding error")
    assert "rule" in status(browser)
    assert editor_text(browser, mode) == shown, "a refused value leaves the query unchanged"
    same_origin_check(browser, origin)


def test_downloads_use_the_endpoint_formats(
    browser, server: LiveServer, browser_downloads: Path
) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    name = "factor-summary"
    want = expected(name)
    open_editor(browser, origin + "/sparql", default_mode())
    form = browser.find_element(By.CSS_SELECTOR, f"form.params[data-name='{name}']")
    for key, value in expected_params(name).items():
        form.find_element(By.NAME, key).send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_result(browser)
    for button, suffix in (("download-csv", ".csv"), ("download-json", ".srj")):
        target = browser_downloads / f"{name}{suffix}"
        target.unlink(missing_ok=True)
        browser.find_element(By.ID, button).click()
        wait_for(browser, lambda d, t=target: t.is_file() and t.stat().st_size > 0, str(target))
        time.sleep(0.2)  # let Chromium finish renaming its .crdownload file
    rows = list(
        csv.reader(io.StringIO((browser_downloads / f"{name}.csv").read_text(encoding="utf-8")))
    )
    assert rows[0] == want["head"]["vars"]
    assert len(rows) - 1 == len(want["results"]["bindings"])
    data = json.loads((browser_downloads / f"{name}.srj").read_text(encoding="utf-8"))
    assert data["head"]["vars"] == want["head"]["vars"]
    assert len(data["results"]["bindings"]) == len(want["results"]["bindings"])
    same_origin_check(browser, origin)


def test_a_cut_result_says_so(browser, dist: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    with live_server(dist, max_rows=5, workers=1) as (running, _):
        origin = running.url.rstrip("/")
        name = "studies-by-year-and-venue"
        assert len(expected(name)["results"]["bindings"]) > 5
        open_editor(browser, origin + "/sparql", default_mode())
        assert "5" in browser.find_element(By.ID, "limit-max_rows").text
        browser.find_element(By.CSS_SELECTOR, f"#example-{name} button.load").click()
        text = wait_for_result(browser)
        assert text.startswith("5 rows"), text
        note = browser.find_element(By.ID, "truncated")
        assert note.is_displayed()
        assert "cut at 5 rows" in note.text
        screenshot(browser, "browser-editor-truncated.png")


def test_ask_and_construct_from_a_permalink(browser, server: LiveServer, mode: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    ask = "ASK { ?s a <https://w3id.org/govsm/ontology#SubFactor> }"
    open_editor(browser, origin + "/sparql?" + urlencode({"query": ask}), mode)
    assert editor_text(browser, mode) == ask
    browser.find_element(By.ID, "run").click()
    assert wait_for_result(browser).startswith("ASK: true")

    iri = DEFAULT_BASE + "id/subfactor/legal-infrastructure"
    construct = f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"
    open_editor(browser, origin + "/sparql?" + urlencode({"query": construct}), mode)
    browser.find_element(By.ID, "run").click()
    text = wait_for_result(browser)
    assert text.startswith("Graph result (text/turtle"), text
    shown = browser.find_element(By.ID, "results").get_attribute("textContent")
    assert "legal infrastructure" in shown
    # Graph results download as Turtle and JSON-LD.
    assert browser.find_element(By.ID, "download-csv").text == "Download Turtle"
    assert browser.find_element(By.ID, "download-json").text == "Download JSON-LD"
    assert not console_problems(browser)
    same_origin_check(browser, origin)


def test_dataset_parameters_of_a_permalink_are_used(browser, server: LiveServer, mode: str) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    sizes = server.server.service.graph_sizes
    graph, size = min(sizes.items(), key=lambda item: item[1])
    assert 0 < size < sum(sizes.values())
    count = "SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }"
    url = origin + "/sparql?" + urlencode({"query": count, "default-graph-uri": graph})
    open_editor(browser, url, mode)
    assert graph in browser.find_element(By.ID, "dataset-line").text
    browser.find_element(By.ID, "run").click()
    assert wait_for_result(browser).startswith("1 row")
    cell = table_rows(browser)[0][-1]  # "4" (plain) or "4"^^xsd:integer (YASR)
    assert re.search(r"\d+", cell).group(0) == str(size), cell
    permalink = browser.find_element(By.ID, "permalink").get_attribute("href")
    assert parse_qs(urlsplit(permalink).query)["default-graph-uri"] == [graph]


def test_time_limit_field_and_cancel(browser, server: LiveServer) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    mode = default_mode()
    open_editor(browser, origin + "/sparql?" + urlencode({"query": slow}), mode)
    # The time-limit field is sent as the protocol's timeout: the server stops the query.
    field = browser.find_element(By.ID, "timeout")
    field.clear()
    field.send_keys("1")
    run = browser.find_element(By.ID, "run")
    run.click()
    text = wait_for(
        browser, lambda d: status(d).startswith("Error") and status(d), "the time limit", 60
    )
    assert text.startswith("Error 503"), text
    assert run.text == "Run query"
    # Run becomes Cancel while a query runs; cancelling stops waiting at once.
    field.clear()
    field.send_keys("3")  # long enough to cancel; short so that the server is soon idle
    run.click()
    wait_for(browser, lambda d: run.text == "Cancel", "the Cancel button")
    run.click()
    assert status(browser) == "Cancelled."
    assert run.text == "Run query"
    time.sleep(0.5)
    assert status(browser) == "Cancelled.", "a cancelled query reports nothing later"


def test_site_pages_link_to_the_editor(browser, server: LiveServer, dist: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    origin = server.url.rstrip("/")
    mode = default_mode()
    landing = (dist / "site" / "index.html").read_text(encoding="utf-8")
    assert '<a href="sparql">Query the data in the SPARQL editor</a>' in landing
    # From a resource page deep in the site, the common header's link opens the editor.
    browser.get(origin + "/id/subfactor/legal-infrastructure")
    assert browser.current_url.endswith("/id/subfactor/legal-infrastructure.html")
    browser.find_element(By.XPATH, "//nav/a[normalize-space(.)='SPARQL']").click()
    wait_for(browser, lambda d: "SPARQL query editor" in d.title, "the editor")
    assert browser.current_url == origin + "/sparql"
    open_editor(browser, browser.current_url, mode)
