"""A person's path through the published site, in headless Chromium (selenium).

Builds the review's data with ``--base http://127.0.0.1:PORT/``, serves it with the real
server (uvicorn) on that port, opens the landing page, clicks a sub-factor in the figure,
follows it to its derived classification and checks that the trace and a verbatim quote
are visible. The screenshots are kept in tests/artifacts/ (git-ignored).

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and
selenium from PyPI (the dev extra); skips, naming the missing one, without them, except
under ``GOVSM_REQUIRE_BROWSER=1`` (set by .ci/run), where a missing piece fails.
"""

from __future__ import annotations

from pathlib import Path

import rdflib
from rdflib import URIRef
from support import screenshot, site_on_its_own_base

from kg.prefixes import GOVSM

SUBFACTOR = "legal infrastructure"  # the sub-factor to click (the trace in the README)

OA_EXACT = URIRef("http://www.w3.org/ns/oa#exact")
DCTERMS_TITLE = URIRef("http://purl.org/dc/terms/title")


def flat(text: str) -> str:
    return " ".join(text.split())


def trace_texts(site: Path, classification: str) -> tuple[set[str], set[str]]:
    """The verbatim quotes and source titles of a classification's trace, from the dump."""
    dataset = rdflib.Dataset()
    dataset.parse(site / "dumps" / "govsm.nq", format="nquads")
    union = rdflib.Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    c = URIRef(classification)
    quotes, titles = set(), set()
    steps = [URIRef(GOVSM + "basedOnAssessment"), URIRef(GOVSM + "supportedBy")]
    for step in steps:
        for node in union.objects(c, step):
            for selector in union.objects(node, URIRef(GOVSM + "hasQuote")):
                quotes.update(flat(str(q)) for q in union.objects(selector, OA_EXACT))
            for source in union.objects(node, URIRef(GOVSM + "evidenceSource")):
                titles.update(flat(str(t)) for t in union.objects(source, DCTERMS_TITLE))
    return quotes, titles


def test_landing_page_to_a_classification_trace(browser, tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By

    site_dir = tmp_path / "dist" / "site"
    with site_on_its_own_base(tmp_path / "dist") as server:
        browser.get(server.url)
        assert "GovSM" in browser.title or "GovSM" in browser.page_source
        boxes = browser.find_elements(By.CSS_SELECTOR, "svg a")
        assert len(boxes) >= 16, "the figure should link every sub-factor"
        box = next((b for b in boxes if SUBFACTOR in flat(b.text).lower()), boxes[0])
        screenshot(browser, "browser-landing.png")
        box.click()
        if "/classification/" not in browser.current_url:
            # The sub-factor's page: follow its derived classification.
            assert "/subfactor/" in browser.current_url, browser.current_url
            links = browser.find_elements(By.CSS_SELECTOR, "a[href*='classification/']")
            assert links, "the sub-factor page should link its derived classification"
            links[0].click()
        url = browser.current_url
        assert "/id/classification/" in url, url
        assert url.endswith(".html")
        classification = url.removesuffix(".html")
        body = browser.find_element(By.TAG_NAME, "body")
        text = flat(body.text)
        quotes, titles = trace_texts(site_dir, classification)
        assert quotes, f"no quotes in the trace of {classification}"
        shown = [q for q in quotes if q in text]
        assert shown, "no verbatim quote of the trace is visible"
        assert any(t in text for t in titles), "no source paper of the trace is visible"
        assert SUBFACTOR in text.lower()
        for word in ("rule", "assessment", "evidence"):
            assert word in text.lower(), f"the trace does not show its {word}"
        # The quote is really on screen, not only in the DOM.
        quote = browser.find_element(
            By.XPATH, f"//*[contains(normalize-space(.), {xpath_literal(shown[0])})][not(*)]"
        )
        assert quote.is_displayed()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", quote)
        picture = screenshot(browser, "browser-classification.png")
    assert picture.stat().st_size > 1000


def xpath_literal(text: str) -> str:
    """``text`` as an XPath 1.0 string literal (quotes of either kind)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    parts = text.split("'")
    return "concat(" + ', "\'", '.join(f"'{p}'" for p in parts) + ")"
