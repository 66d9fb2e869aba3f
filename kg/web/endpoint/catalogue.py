"""The catalogue of named queries (``queries/cq/``) as the API and the editor serve it:
each query file read once, with its query form and typed parameters; a request's values
checked against their declared types and bound as one RDF term each in a ``VALUES`` block
(:func:`kg.sparql.files.bind_parameters`, :func:`kg.sparql.files.inject_values`), never
pasted into the query text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from kg.sparql.files import (
    QueryError,
    QueryFile,
    bind_parameters,
    expand_iri,
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


#: Declared example (as written, ``id:context/x``) -> the data's (None: the data has none).
Examples = Mapping[str, str | None]


def declared_examples(queries: Iterable[QueryFile]) -> list[str]:
    """The examples the IRI parameters of ``queries`` declare (``e.g. VALUE``), sorted."""
    found = {
        parameter_example(p.description) for q in queries for p in q.parameters if p.type == "iri"
    }
    return sorted(e for e in found if e)


def example_candidates(declared: Sequence[str], prefixes: Mapping[str, str]) -> dict[str, str]:
    """Declared example -> its absolute IRI (examples that are not IRIs are left out)."""
    out = {}
    for example in declared:
        try:
            out[example] = str(expand_iri(example, prefixes))
        except QueryError:
            continue
    return out


def example_subjects(
    store: ox.Store, candidates: Mapping[str, str], scan: bool = True
) -> list[str]:
    """The subjects :func:`examples_from_subjects` needs from ``store``: the candidates it
    describes (looked up), and for the others every subject directly under their paths
    (one scan of the store, only when some candidate is missing and ``scan``)."""
    present = [
        iri
        for iri in candidates.values()
        if next(iter(store.quads_for_pattern(ox.NamedNode(iri), None, None)), None) is not None
    ]
    folders = sorted(
        {iri.rsplit("/", 1)[0] + "/" for iri in candidates.values()}
        - {iri.rsplit("/", 1)[0] + "/" for iri in present}
    )
    if not folders or not scan:
        return present
    starts = " || ".join(f"STRSTARTS(STR(?s), {json.dumps(f)})" for f in folders)
    query = (
        "SELECT DISTINCT ?s WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } "
        f"FILTER(isIRI(?s) && ({starts})) }}"
    )
    return present + [row[0].value for row in store.query(query)]


def examples_from_subjects(
    candidates: Mapping[str, str], subjects: Iterable[str], prefixes: Mapping[str, str]
) -> dict[str, str | None]:
    """For each declared example (``candidates``: example -> IRI), the data's: itself
    when ``subjects`` (the IRIs the data describes) hold it, else the first subject in
    code-point order directly under the same path (``.../context/`` for
    ``id:context/x``), written with the same prefix; None when there is none. One pass
    over ``subjects``, so a server reads its store once for all of them."""
    folders = {e: iri.rsplit("/", 1)[0] + "/" for e, iri in candidates.items()}
    wanted = set(folders.values())
    present: set[str] = set()
    first: dict[str, str] = {}
    targets = set(candidates.values())
    for subject in subjects:
        if subject in targets:
            present.add(subject)
        folder, _, rest = subject.rpartition("/")
        folder += "/"
        fits = folder in wanted and rest and "#" not in rest
        if fits and (folder not in first or subject < first[folder]):
            first[folder] = subject
    out: dict[str, str | None] = {}
    for example, iri in candidates.items():
        chosen = iri if iri in present else first.get(folders[example])
        out[example] = _written_like(example, chosen, prefixes) if chosen else None
    return out


def _written_like(example: str, iri: str, prefixes: Mapping[str, str]) -> str:
    """``iri`` with the prefix ``example`` uses (a full IRI when it uses none or ``iri``
    is not under it)."""
    prefix, sep, _ = example.partition(":")
    namespace = prefixes.get(prefix) if sep else None
    if namespace and iri.startswith(namespace):
        return prefix + ":" + iri[len(namespace) :]
    return iri


def with_examples(file: QueryFile, examples: Examples) -> QueryFile:
    """``file`` with each IRI parameter's declared example replaced by the data's (its
    ``e.g. ...`` clause dropped when the data has none), so that the API, its OpenAPI
    document and the editor offer values that exist in this build. The query's text is
    left as written (it is what runs, byte for byte, and what the editor links open)."""
    params = []
    for p in file.parameters:
        declared = parameter_example(p.description)
        if p.type == "iri" and declared is not None and declared in examples:
            chosen = examples[declared]
            if chosen is None:
                text = re.sub(r",?\s*\be\.g\.\s+" + re.escape(declared), "", p.description)
            else:
                text = p.description.replace(declared, chosen, 1)
            p = replace(p, description=text)
        params.append(p)
    return replace(file, parameters=tuple(params))


def load_catalogue(queries_dir: Path, examples: Examples | None = None) -> dict[str, NamedQuery]:
    """Every ``*.rq`` of the catalogue folder by name (sorted), headers checked for the API;
    with ``examples`` (:func:`examples_from_subjects`), their parameters' examples are the
    data's."""
    catalogue: dict[str, NamedQuery] = {}
    for path in sorted(queries_dir.glob("*.rq")):
        file = read_query(path)
        clash = [p.name for p in file.parameters if p.name in RESERVED]
        if clash:
            raise QueryError(
                f"{path}: parameter {clash[0]!r} clashes with the API's own "
                f"'{clash[0]}' request parameter; rename it"
            )
        if examples is not None:
            file = with_examples(file, examples)
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
