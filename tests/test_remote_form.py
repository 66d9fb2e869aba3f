"""The query form sent to a remote engine is read from the query's code, never guessed
from words in its comments (SPARQLWrapper's own guess read "asked" in a header as ASK)."""

from __future__ import annotations

import pytest
from SPARQLWrapper import ASK, CONSTRUCT, DESCRIBE, SELECT

from kg.remote.client import Remote, _wrapper

HEADER = "# title: a query\n# question: which resources are described, asked about or loaded?\n"


@pytest.mark.parametrize(
    ("body", "form"),
    [
        ("SELECT ?s WHERE { ?s ?p ?o }", SELECT),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", CONSTRUCT),
        ("ASK { ?s ?p ?o }", ASK),
        ("DESCRIBE <http://example.org/x>", DESCRIBE),
    ],
)
def test_the_form_comes_from_the_code(body: str, form: str) -> None:
    remote = Remote("http://127.0.0.1:9/sparql", None, server="virtuoso")
    assert _wrapper(remote, HEADER + body, "json").queryType == form
