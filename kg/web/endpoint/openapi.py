"""The OpenAPI 3.1 document of the service, generated from the catalogue ``queries/cq/``.

One ``GET`` operation per named query (``/api/queries/NAME``) with its typed parameters,
the result media types of its query form, the error responses, plus the catalogue, the
generic ``/api/queries/{name}``, this document, and the SPARQL 1.1 Protocol operations of
``/sparql`` (GET, POST form-encoded, POST ``application/sparql-query``). The server's limits
are stated in the description and on the parameters they bound.

A parameter's ``example`` is the first ``e.g. VALUE`` of its ``# parameter-NAME:``
description, when there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import metadata
from typing import Any

from kg.web.endpoint.catalogue import NamedQuery, parameter_example
from kg.web.endpoint.limits import Limits
from kg.web.endpoint.service import SparqlService

OPENAPI_VERSION = "3.1.0"
SELECT_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)

GRAPH_TYPES = ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml")
# JSON Schema of a parameter's value, by declared type.
SCHEMAS: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "integer": {"type": "string", "pattern": r"^[+-]?[0-9]+$"},
    "decimal": {"type": "string", "pattern": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"},
    "boolean": {"type": "string", "enum": ["true", "false", "1", "0"]},
    "date": {"type": "string", "format": "date"},
    "dateTime": {"type": "string", "format": "date-time"},
}

ERRORS = {
    "400": "BadRequest",
    "403": "Forbidden",
    "404": "NotFound",
    "406": "NotAcceptable",
    "413": "ContentTooLarge",
    "429": "TooManyRequests",
    "503": "Unavailable",
}


def _version() -> str:
    try:
        return metadata.version("govsm-kg")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0"


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _results(form: str, limits_note: str) -> dict[str, Any]:
    """The 200 response of a query of ``form``."""
    if form in {"SELECT", "ASK"}:
        content: dict[str, Any] = {t: {"schema": {"type": "string"}} for t in SELECT_TYPES}
        content["application/sparql-results+json"] = {"schema": _ref("schemas", "SparqlResults")}
        return {
            "description": f"The results ({form}). {limits_note}",
            "headers": _row_headers(),
            "content": content,
        }
    return {
        "description": f"The graph ({form}). {limits_note}",
        "headers": _row_headers(),
        "content": {t: {"schema": {"type": "string"}} for t in GRAPH_TYPES},
    }


def _errors(*codes: str) -> dict[str, Any]:
    return {code: _ref("responses", ERRORS[code]) for code in codes}


def _parameter(param: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI parameter object of one declared query parameter."""
    schema = dict(SCHEMAS[param["type"]])
    description = param["description"] or f"A value of type {param['type']}."
    if param["type"] == "iri":
        description += (
            " An absolute IRI or a prefixed name of the project's prefix table (e.g. id:…, "
            "rule:…); values with spaces, quotes, <, >, {, }, |, ^, ` or \\ are refused (400)."
        )
    out: dict[str, Any] = {
        "name": param["name"],
        "in": "query",
        "required": param["required"],
        "description": description,
        "schema": schema,
    }
    example = parameter_example(param["description"])
    if example:
        out["example"] = example
    return out


def openapi_document(catalogue: Mapping[str, NamedQuery], service: SparqlService) -> dict:
    """The OpenAPI 3.1 document for ``catalogue`` served by ``service``."""
    limits = service.limits
    limits_note = (
        f"At most {limits.max_rows} rows (or triples) are returned; a longer result is cut "
        "and says so in X-Result-Truncated."
    )
    paths: dict[str, Any] = {
        "/sparql": _sparql_operations(limits, limits_note),
        "/graph-store": _graph_store_operations(limits_note),
        "/api/queries": _catalogue_operations(),
        "/api/queries/{name}": _run_by_name_operations(list(catalogue), limits_note),
    }
    for name, query in catalogue.items():
        paths[f"/api/queries/{name}"] = _named_query_operations(query, limits_note)
    paths["/api/openapi.json"] = _openapi_operations()
    return {
        "openapi": OPENAPI_VERSION,
        "info": _info(service),
        # Relative to this document (/api/openapi.json), so it holds under a proxy's sub-path.
        "servers": [{"url": "..", "description": "this server"}],
        "tags": [
            {"name": "SPARQL", "description": "The SPARQL 1.1 Protocol endpoint."},
            {"name": "named queries", "description": "The catalogue queries/cq/ as an API."},
        ],
        "paths": paths,
        "components": {
            "parameters": _shared_parameters(limits),
            "headers": _shared_headers(),
            "responses": _error_responses(limits),
            "schemas": _schemas(),
        },
    }


def _info(service: SparqlService) -> dict[str, Any]:
    """The document's info object: what the service is, its base IRI and its limits."""
    limits = service.limits
    return {
        "title": "GovSM-KG SPARQL endpoint and named queries",
        "version": _version(),
        "summary": "Read-only SPARQL 1.1 endpoint over the GovSM knowledge graph, and the "
        "review's competency questions as named queries with typed parameters.",
        "description": (
            f"Base IRI of the data: {service.base}. Limits: a query runs at most "
            f"{limits.timeout_s:g} s (a client may ask for less with timeout); at most "
            f"{limits.max_rows} result rows; request bodies up to {limits.max_body_bytes} "
            f"bytes; at most {limits.max_concurrent_per_client} queries per client in the "
            f"service, {limits.running_cap} of them running (429 with Retry-After beyond); a "
            f"query waits at most {limits.queue_wait_s:g} s for other clients' work (503 "
            "with Retry-After); a client whose query ended a worker (time limit, memory) "
            f"is refused for {limits.kill_cooldown_s:g} s (429). Updates, SERVICE and "
            "datasets naming graphs the service does not hold are refused."
        ),
        "license": {"name": "MIT", "identifier": "MIT"},
    }


def _protocol_parameters() -> list[dict[str, Any]]:
    """References to the parameters every SPARQL Protocol operation takes."""
    return [
        _ref("parameters", "DefaultGraphUri"),
        _ref("parameters", "NamedGraphUri"),
        _ref("parameters", "Timeout"),
        _ref("parameters", "Format"),
    ]


def _sparql_operations(limits: Limits, limits_note: str) -> dict[str, Any]:
    """GET and POST of /sparql (SPARQL 1.1 Protocol)."""
    responses = {
        "200": _any_results(limits_note),
        **_errors("400", "403", "406", "413", "429", "503"),
    }
    query = {
        "name": "query",
        "in": "query",
        "required": False,
        "description": "The SPARQL query text.",
        "schema": {"type": "string"},
    }
    return {
        "get": {
            "operationId": "sparqlQueryGet",
            "summary": "SPARQL 1.1 Protocol: query via GET",
            "description": (
                "Runs a SPARQL query (read-only: updates and SERVICE are refused). Without a "
                "query it returns the SPARQL Service Description; a browser (Accept: "
                "text/html) gets the query editor."
            ),
            "tags": ["SPARQL"],
            "parameters": [query, *_protocol_parameters()],
            "responses": responses,
        },
        "post": {
            "operationId": "sparqlQueryPost",
            "summary": "SPARQL 1.1 Protocol: query via POST",
            "description": (
                "Form-encoded (query, default-graph-uri, named-graph-uri, timeout, format) or "
                "the query directly as application/sparql-query (the dataset, timeout and "
                f"format then in the URL). Bodies over {limits.max_body_bytes} bytes get 413; "
                "an update (application/sparql-update or an update form) gets 403."
            ),
            "tags": ["SPARQL"],
            "parameters": _protocol_parameters(),
            "requestBody": _sparql_post_body(),
            "responses": dict(responses),
        },
    }


def _sparql_post_body() -> dict[str, Any]:
    """The request body of POST /sparql: a form, or the query itself."""
    iri_list = {"type": "array", "items": {"type": "string", "format": "iri"}}
    form = {
        "type": "object",
        "required": ["query"],
        "properties": {
            "query": {"type": "string"},
            "default-graph-uri": iri_list,
            "named-graph-uri": dict(iri_list),
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "format": {"type": "string"},
        },
    }
    return {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": form},
            "application/sparql-query": {"schema": {"type": "string"}},
        },
    }


def _graph_store_operations(limits_note: str) -> dict[str, Any]:
    """GET of /graph-store (the read side of the Graph Store HTTP Protocol)."""
    return {
        "get": {
            "operationId": "graphStoreGet",
            "summary": "SPARQL 1.1 Graph Store HTTP Protocol: read one graph",
            "description": "The triples of one named graph the service holds (?graph=IRI) or "
            "of the default graph (?default), read-only: PUT, POST, DELETE and PATCH get 403. "
            f"{limits_note}",
            "tags": ["SPARQL"],
            "parameters": [
                {
                    "name": "graph",
                    "in": "query",
                    "required": False,
                    "description": "A named graph the service holds (GET /sparql lists them).",
                    "schema": {"type": "string", "format": "iri"},
                },
                {
                    "name": "default",
                    "in": "query",
                    "required": False,
                    "description": "Present (no value) for the default graph.",
                    "schema": {"type": "string"},
                    "allowEmptyValue": True,
                },
                _ref("parameters", "Format"),
            ],
            "responses": {
                "200": {
                    "description": f"The graph. {limits_note}",
                    "headers": _row_headers(),
                    "content": {t: {"schema": {"type": "string"}} for t in GRAPH_TYPES},
                },
                **_errors("400", "403", "404", "406", "429", "503"),
            },
        }
    }


def _catalogue_operations() -> dict[str, Any]:
    """GET of /api/queries (the catalogue, as JSON or HTML)."""
    return {
        "get": {
            "operationId": "listQueries",
            "summary": "The catalogue of named queries",
            "tags": ["named queries"],
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "required": False,
                    "description": "json or html, overriding Accept.",
                    "schema": {"type": "string", "enum": ["json", "html"]},
                }
            ],
            "responses": {
                "200": {
                    "description": "Every named query with its question and typed parameters "
                    "(JSON), or a readable page for a browser (HTML).",
                    "content": {
                        "application/json": {"schema": _ref("schemas", "Catalogue")},
                        "text/html": {"schema": {"type": "string"}},
                    },
                }
            },
        }
    }


def _run_by_name_operations(names: list[str], limits_note: str) -> dict[str, Any]:
    """GET of /api/queries/{name}, any named query by its name."""
    return {
        "get": {
            "operationId": "runNamedQuery",
            "summary": "Run a named query by name",
            "description": "The parameters are those the query declares "
            "(see its own operation below, or /api/queries).",
            "tags": ["named queries"],
            "parameters": [
                {
                    "name": "name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": names},
                },
                _ref("parameters", "Timeout"),
                _ref("parameters", "Format"),
            ],
            "responses": {
                "200": _any_results(limits_note),
                **_errors("400", "403", "404", "406", "429", "503"),
            },
        }
    }


def _named_query_operations(query: NamedQuery, limits_note: str) -> dict[str, Any]:
    """GET of /api/queries/NAME for one query: its question, text and typed parameters."""
    entry = query.describe()
    description = entry["question"]
    if entry["note"]:
        description += "\n\nNote: " + entry["note"]
    if entry["data"]:
        description += (
            "\n\nNeeds data beyond the review's (" + ", ".join(entry["data"]) + "); a "
            "build without it answers on the data it holds."
        )
    description += "\n\nQuery:\n\n```sparql\n" + entry["query"] + "```"
    return {
        "get": {
            "operationId": f"query-{query.name}",
            "summary": entry["title"],
            "description": description,
            "tags": ["named queries"],
            "parameters": [_parameter(p) for p in entry["parameters"]]
            + [_ref("parameters", "Timeout"), _ref("parameters", "Format")],
            "responses": {
                "200": _results(query.form, limits_note),
                **_errors("400", "403", "406", "429", "503"),
            },
        }
    }


def _openapi_operations() -> dict[str, Any]:
    """GET of /api/openapi.json (this document)."""
    return {
        "get": {
            "operationId": "openapi",
            "summary": "This OpenAPI document",
            "tags": ["named queries"],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }


def _row_headers() -> dict[str, Any]:
    """The row-cap headers of a result (references to the shared headers)."""
    return {
        "X-Result-Row-Limit": _ref("headers", "RowLimit"),
        "X-Result-Truncated": _ref("headers", "Truncated"),
    }


def _any_results(limits_note: str) -> dict[str, Any]:
    """The 200 response of a query of any form."""
    content: dict[str, Any] = {t: {"schema": {"type": "string"}} for t in SELECT_TYPES}
    content["application/sparql-results+json"] = {"schema": _ref("schemas", "SparqlResults")}
    content.update({t: {"schema": {"type": "string"}} for t in GRAPH_TYPES})
    return {
        "description": f"Query results (SELECT, ASK) or a graph (CONSTRUCT, DESCRIBE); the "
        f"Service Description for a GET without a query. {limits_note}",
        "headers": _row_headers(),
        "content": content,
    }


def _shared_parameters(limits: Limits) -> dict[str, Any]:
    """The parameters the operations refer to: timeout, format and the dataset's graphs."""
    iri_list = {"type": "array", "items": {"type": "string", "format": "iri"}}
    return {
        "Timeout": {
            "name": "timeout",
            "in": "query",
            "required": False,
            "description": f"Time limit in seconds for this query; at most the server's "
            f"{limits.timeout_s:g} s (more is clamped to it).",
            "schema": {"type": "number", "exclusiveMinimum": 0},
        },
        "Format": {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "Result format, overriding Accept: a short name — json, xml, "
            "csv, tsv (SELECT, ASK); ttl, jsonld, nt, rdf (CONSTRUCT, DESCRIBE); json and "
            "xml mean JSON-LD and RDF/XML for a graph — or a media type. Unknown: 400.",
            "schema": {
                "type": "string",
                "examples": ["json", "xml", "csv", "tsv", "ttl", "jsonld", "nt", "rdf"],
            },
        },
        "DefaultGraphUri": {
            "name": "default-graph-uri",
            "in": "query",
            "required": False,
            "description": "A graph of the default graph (repeatable); only graphs the "
            "service holds.",
            "schema": iri_list,
            "style": "form",
            "explode": True,
        },
        "NamedGraphUri": {
            "name": "named-graph-uri",
            "in": "query",
            "required": False,
            "description": "A named graph of the dataset (repeatable); only graphs the "
            "service holds.",
            "schema": iri_list,
            "style": "form",
            "explode": True,
        },
    }


def _shared_headers() -> dict[str, Any]:
    """The response headers the operations refer to."""
    return {
        "RowLimit": {
            "description": "The server's cap on result rows (or triples).",
            "schema": {"type": "integer"},
        },
        "Truncated": {
            "description": "Present (true) when the result was cut at the row cap.",
            "schema": {"type": "string", "enum": ["true"]},
        },
        "RetryAfter": {
            "description": "Seconds to wait before retrying.",
            "schema": {"type": "integer"},
        },
    }


def _error(description: str, **headers: Any) -> dict[str, Any]:
    """An error response: a problem document (the API) or plain text (the service)."""
    content = {
        "application/problem+json": {"schema": _ref("schemas", "Problem")},
        "text/plain": {"schema": {"type": "string"}},
    }
    out: dict[str, Any] = {"description": description, "content": content}
    if headers:
        out["headers"] = headers
    return out


def _error_responses(limits: Limits) -> dict[str, Any]:
    """The error responses the operations refer to (by the names of ERRORS)."""
    return {
        "BadRequest": _error(
            "A syntax error (with the parser's message), or a missing, unknown, repeated "
            "or malformed parameter (naming it, its type and the expected form)."
        ),
        "Forbidden": _error("An update, SERVICE, or a dataset the service does not hold."),
        "NotFound": _error("No named query of that name (the names are listed)."),
        "NotAcceptable": _error("No result format acceptable for this query form."),
        "ContentTooLarge": _error(f"Request body over {limits.max_body_bytes} bytes."),
        "TooManyRequests": _error(
            f"More than {limits.max_concurrent_per_client} queries from this client at once, "
            f"or its query ended a worker less than {limits.kill_cooldown_s:g} s ago.",
            **{"Retry-After": _ref("headers", "RetryAfter")},
        ),
        "Unavailable": _error(
            f"The query ran past its time limit (at most {limits.timeout_s:g} s), needed "
            "more memory or stack than a worker has, or no worker freed in time (then "
            "with Retry-After).",
            **{"Retry-After": _ref("headers", "RetryAfter")},
        ),
    }


def _schemas() -> dict[str, Any]:
    """The JSON Schemas of the API's documents: problems, the catalogue, SPARQL results."""
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details (the named-query API's errors).",
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "query": {"type": "string"},
                "parameter": {"type": "string"},
                "parameterType": {"type": "string", "enum": list(SCHEMAS)},
                "expected": {"type": "string"},
                "parameters": {"type": "array", "items": _ref("schemas", "Parameter")},
                "queries": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Parameter": {
            "type": "object",
            "required": ["name", "type", "required", "description"],
            "properties": {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": list(SCHEMAS)},
                "required": {"type": "boolean"},
                "description": {"type": "string"},
            },
        },
        "NamedQuery": _named_query_schema(),
        "Catalogue": {
            "type": "object",
            "required": ["queries"],
            "properties": {"queries": {"type": "array", "items": _ref("schemas", "NamedQuery")}},
        },
        "SparqlResults": {
            "type": "object",
            "description": "SPARQL 1.1 Query Results JSON Format.",
            "properties": {
                "head": {
                    "type": "object",
                    "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
                },
                "results": {
                    "type": "object",
                    "properties": {"bindings": {"type": "array", "items": {"type": "object"}}},
                },
                "boolean": {"type": "boolean"},
            },
        },
    }


def _named_query_schema() -> dict[str, Any]:
    """The JSON Schema of one catalogue entry (NamedQuery.describe)."""
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object",
        "required": ["name", "title", "question", "parameters", "query", "run", "editor"],
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "question": {"type": "string"},
            "keywords": strings,
            "target": {"type": "string"},
            "note": {"type": "string"},
            "data": dict(strings),
            "form": {"type": "string", "enum": ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]},
            "parameters": {"type": "array", "items": _ref("schemas", "Parameter")},
            "query": {"type": "string"},
            "run": {"type": "string", "format": "uri-reference"},
            "editor": {"type": "string", "format": "uri-reference"},
        },
    }
