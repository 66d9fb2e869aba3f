"""The catalogue of named queries (``queries/cq/``) as the API and the editor serve it:
each query file read once, with its query form and typed parameters; a request's values
checked against their declared types and bound as one RDF term each in a ``VALUES`` block
(:func:`kg.sparql.files.bind_parameters`, :func:`kg.sparql.files.inject_values`), never
pasted into the query text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from kg.sparql.files import (
    QueryError,
    QueryFile,
    bind_parameters,
    inject_values,
    query_form,
    read_query,
)
from kg.stages.query import declared_data

# Request parameters the API itself reads; no catalogue query may declare them.
RESERVED = ("format", "timeout")


@dataclass(frozen=True)
class NamedQuery:
    """One catalogue query: its file (text, header, typed parameters) and its query form."""

    file: QueryFile
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE

    @property
    def name(self) -> str:
        return self.file.stem

    @property
    def keywords(self) -> list[str]:
        return [k.strip() for k in self.file.header.get("keywords", "").split(",") if k.strip()]

    def describe(self) -> dict[str, Any]:
        """The catalogue entry (the JSON shape of ``/api/queries``)."""
        header = self.file.header
        return {
            "name": self.name,
            "title": self.file.title,
            "question": header.get("question", ""),
            "keywords": self.keywords,
            "target": header.get("target", ""),
            "note": header.get("note", ""),
            "form": self.form,
            # Data folders the query needs besides the review's data (``# data:``); a
            # server whose build lacks them answers it on the data it holds.
            "data": list(declared_data(self.file)),
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": not p.optional,
                    "description": p.description,
                }
                for p in self.file.parameters
            ],
            "query": self.file.text,
            "run": f"/api/queries/{quote(self.name)}",
            "editor": "/sparql?" + urlencode({"query": self.file.text}, quote_via=quote),
        }


_EXAMPLE = re.compile(r"\be\.g\.\s+(\S+?)[.,;:)\]]*(?:\s|$)")


def parameter_example(description: str) -> str | None:
    """The first ``e.g. VALUE`` of a parameter's description (its example), if any."""
    match = _EXAMPLE.search(description)
    return match.group(1) if match else None


def load_catalogue(queries_dir: Path) -> dict[str, NamedQuery]:
    """Every ``*.rq`` of the catalogue folder by name (sorted), headers checked for the API."""
    catalogue: dict[str, NamedQuery] = {}
    for path in sorted(queries_dir.glob("*.rq")):
        file = read_query(path)
        clash = [p.name for p in file.parameters if p.name in RESERVED]
        if clash:
            raise QueryError(
                f"{path}: parameter {clash[0]!r} clashes with the API's own "
                f"'{clash[0]}' request parameter; rename it"
            )
        catalogue[file.stem] = NamedQuery(file, query_form(file.text))
    return catalogue


def read_arguments(
    query: NamedQuery, items: Sequence[tuple[str, str]]
) -> tuple[dict[str, str], str | None, float | None]:
    """Split the request's parameters into the query's, ``format`` and ``timeout``; refuse
    repeated ones (raises QueryError)."""
    seen: dict[str, str] = {}
    for name, value in items:
        if name in seen:
            raise QueryError(f"parameter {name!r} is given more than once")
        seen[name] = value
    # The service reads the format (a short name or a media type) and refuses an unknown one.
    result_format = seen.pop("format", None) or None
    timeout: float | None = None
    if "timeout" in seen:
        raw = seen.pop("timeout")
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
        if not (math.isfinite(timeout) and timeout > 0):
            raise QueryError(f"timeout must be a positive number of seconds, got {raw!r}")
    optional = {p.name for p in query.file.parameters if p.optional}
    given = {k: v for k, v in seen.items() if not (k in optional and v == "")}
    return given, result_format, timeout


def bind(query: NamedQuery, given: Mapping[str, str], prefixes: Mapping[str, str]) -> str:
    """The query text with the given values bound in a ``VALUES`` block (QueryError if not)."""
    return inject_values(query.file.text, bind_parameters(query.file, given, prefixes))
