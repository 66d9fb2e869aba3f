"""Every catalogue query through the API gives its expected results.

Each ``queries/cq/STEM.rq`` runs at ``/api/queries/STEM`` with the parameters of
``tests/expected/cq/STEM.params.json`` on the real service over a fresh build (plus the
data folders the query declares with ``# data:``), and its SPARQL JSON results are compared
with ``tests/expected/cq/STEM.srj`` exactly as tests/test_cq_catalogue.py compares the
engines' results (RDF terms, numbers by value, order where the query orders).
"""

from __future__ import annotations

import json

import pytest
from test_api_catalogue import api_client, build_dist, service_for
from test_cq_catalogue import (
    CQ_DIR,
    EXPECTED_DIR,
    STEMS,
    compare,
    expected_of,
    read_results,
    top_level_order_keys,
)

from kg.sparql.files import read_query
from kg.stages.query import declared_data


@pytest.mark.parametrize("stem", STEMS)
def test_expected_results_through_the_api(stem: str) -> None:
    query = read_query(CQ_DIR / f"{stem}.rq")
    params = json.loads((EXPECTED_DIR / f"{stem}.params.json").read_text(encoding="utf-8"))
    client = api_client(service_for(build_dist(declared_data(query))))
    response = client.get(
        f"/api/queries/{stem}",
        params=params,
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    assert "x-result-truncated" not in response.headers, "the expected results were cut"
    variables, rows = read_results(response.json())
    expected_vars, expected = expected_of(stem)
    problems = compare(variables, rows, expected_vars, expected, top_level_order_keys(query.text))
    assert not problems, f"{stem} through the API:\n" + "\n".join(problems[:20])


def test_a_wrong_parameter_value_changes_the_results() -> None:
    """The comparison depends on the parameters really reaching the query."""
    client = api_client(service_for(build_dist()))
    response = client.get(
        "/api/queries/trace-subfactor",
        params={"subfactor": "id:subfactor/usability"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    variables, rows = read_results(response.json())
    expected_vars, expected = expected_of("trace-subfactor")
    assert compare(variables, rows, expected_vars, expected, None)
