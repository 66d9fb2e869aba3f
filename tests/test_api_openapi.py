"""The OpenAPI 3.1 document at /api/openapi.json: valid, complete, and true to the server.

Validated with openapi-spec-validator (shown to reject a broken document); one operation
per catalogue query with its typed parameters; the error responses; the /sparql
operations; and real responses of the server validated against the document's schemas.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient
from test_api_catalogue import CQ_DIR, api_client, build_dist, service_for

from kg.web.endpoint.catalogue import load_catalogue

ERROR_CODES = {"400", "403", "406", "429", "503"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return api_client(service_for(build_dist()))


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    return response.json()


def schema_validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    """A JSON Schema validator for ``#/components/schemas/NAME`` of the document."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    return Draft202012Validator(
        {"$ref": f"urn:openapi#/components/schemas/{name}"}, registry=registry
    )


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_rejects_a_broken_document(document: dict[str, Any]) -> None:
    broken = copy.deepcopy(document)
    del broken["info"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
    broken = copy.deepcopy(document)
    generic = broken["paths"]["/api/queries/{name}"]["get"]
    generic["parameters"] = [p for p in generic["parameters"] if p.get("in") != "path"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
    broken = copy.deepcopy(document)
    broken["paths"]["/api/queries/drivers"]["get"]["parameters"][0]["in"] = "body"
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_one_operation_per_named_query(document: dict[str, Any]) -> None:
    # the parameters' examples are the build's (kg.web.endpoint.catalogue.with_examples)
    catalogue = load_catalogue(CQ_DIR, service_for(build_dist()).examples)
    operations = {p for p in document["paths"] if p.startswith("/api/queries/") and "{" not in p}
    assert operations == {f"/api/queries/{name}" for name in catalogue}
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), "operationIds are unique"
    for name, query in catalogue.items():
        operation = document["paths"][f"/api/queries/{name}"]["get"]
        assert operation["summary"] == query.file.title
        assert operation["description"].startswith(query.file.header["question"])
        declared = [p for p in operation["parameters"] if "$ref" not in p]
        assert [(p["name"], p["required"]) for p in declared] == [
            (p.name, not p.optional) for p in query.file.parameters
        ]
        for param, spec in zip(query.file.parameters, declared, strict=True):
            assert spec["in"] == "query"
            assert spec["description"].startswith(param.description)
            if param.type == "iri":
                assert spec["schema"] == {"type": "string", "format": "iri"}
        refs = {p["$ref"] for p in operation["parameters"] if "$ref" in p}
        assert refs == {"#/components/parameters/Timeout", "#/components/parameters/Format"}
        responses = operation["responses"]
        assert set(responses) >= ERROR_CODES
        media = set(responses["200"]["content"])
        if query.form in {"SELECT", "ASK"}:
            assert {"application/sparql-results+json", "text/csv"} <= media
        else:
            assert "text/turtle" in media


def test_generic_run_catalogue_and_sparql_operations(document: dict[str, Any]) -> None:
    paths = document["paths"]
    generic = paths["/api/queries/{name}"]["get"]
    assert {"404"} | ERROR_CODES <= set(generic["responses"])
    name_param = next(p for p in generic["parameters"] if p.get("in") == "path")
    assert name_param["schema"]["enum"] == list(load_catalogue(CQ_DIR))
    assert "application/json" in paths["/api/queries"]["get"]["responses"]["200"]["content"]
    sparql = paths["/sparql"]
    assert set(sparql) == {"get", "post"}
    body = sparql["post"]["requestBody"]["content"]
    assert {"application/x-www-form-urlencoded", "application/sparql-query"} <= set(body)
    for op in sparql.values():
        assert ERROR_CODES | {"413"} <= set(op["responses"])
    store = paths["/graph-store"]["get"]
    assert {p["name"] for p in store["parameters"] if "name" in p} == {"graph", "default"}
    too_many = document["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]


def test_the_limits_of_the_service_are_stated(document: dict[str, Any]) -> None:
    limits = service_for(build_dist()).limits
    description = document["info"]["description"]
    assert f"{limits.timeout_s:g} s" in description
    assert str(limits.max_rows) in description
    assert str(limits.max_concurrent_per_client) in description


def test_real_responses_match_the_schemas(client: TestClient, document: dict[str, Any]) -> None:
    catalogue = client.get("/api/queries", headers={"Accept": "application/json"}).json()
    schema_validator(document, "Catalogue").validate(catalogue)
    results = client.get(
        "/api/queries/drivers",
        params={"context": "id:context/iran"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()
    schema_validator(document, "SparqlResults").validate(results)
    for path in ("/api/queries/nope", "/api/queries/drivers?context=x%3E"):
        problem = client.get(path).json()
        schema_validator(document, "Problem").validate(problem)
    # And the schema check is not vacuous.
    broken = {"queries": [{"name": 1}]}
    assert list(schema_validator(document, "Catalogue").iter_errors(broken))


def test_examples_of_the_parameters_run(client: TestClient, document: dict[str, Any]) -> None:
    """Each parameter example in the document is a value the API accepts."""
    for path, item in document["paths"].items():
        if not path.startswith("/api/queries/") or "{" in path:
            continue
        params = {p["name"]: p["example"] for p in item["get"]["parameters"] if "example" in p}
        required = {p["name"] for p in item["get"]["parameters"] if p.get("required")}
        if not required <= set(params):
            continue
        response = client.get(path, params=params, headers={"Accept": "text/csv"})
        assert response.status_code == 200, (path, params, response.text)
