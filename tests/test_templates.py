"""The page templates: autoescaping, the link scheme check, a project's overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.web.templates import environment, render, safe_href, stylesheet


@pytest.mark.parametrize(
    "url",
    [
        "https://w3id.org/govsm/id/study/x",
        "http://example.org/a?b=c&d=e",
        "mailto:someone@example.org",
        "../study/x.html",
        "/sparql?query=ASK%20%7B%7D",
        "#anchor",
        "page.html",
    ],
)
def test_followable_links_pass(url: str) -> None:
    assert safe_href(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "urn:isbn:0451450523",
    ],
)
def test_other_schemes_are_not_links(url: str) -> None:
    assert safe_href(url) is None


def test_link_macro_escapes_and_checks() -> None:
    template = environment().from_string(
        '{% from "macros.html" import link %}{{ link(url, text) }}'
    )
    out = template.render(url="javascript:alert(1)", text="<b>x</b>")
    assert "href" not in out and "&lt;b&gt;x&lt;/b&gt;" in out
    out = template.render(url='https://e.org/"><script>', text="t")
    assert out == '<a href="https://e.org/&#34;&gt;&lt;script&gt;">t</a>'


def test_shell_escapes_its_context() -> None:
    out = render("base.html", title="<script>x</script>", nav=[("a.html", "A & B")])
    assert "<title>&lt;script&gt;x&lt;/script&gt;</title>" in out
    assert '<nav><a href="a.html">A &amp; B</a></nav>' in out


def test_project_templates_override_the_package(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("<p>{{ title }} (our own shell)</p>\n", encoding="utf-8")
    (tmp_path / "style.css").write_text("body{color:red}\n", encoding="utf-8")
    assert render("base.html", tmp_path, title="T") == "<p>T (our own shell)</p>\n"
    assert stylesheet(tmp_path) == "body{color:red}\n"
    assert "<!DOCTYPE html>" in render("base.html", tmp_path / "missing", title="T")
    assert stylesheet(tmp_path / "missing") == stylesheet()
