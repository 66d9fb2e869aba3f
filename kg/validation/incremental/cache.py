"""The on-disk cache of incremental validation (``<project>/.govsm-cache/validate/``
unless told otherwise):

- ``encoded/`` and ``plain/``: on-disk pyoxigraph stores with one named graph per
  source file (the validation store with literals encoded, and the plain store the
  SPARQL-based constraints and check queries run on; see :mod:`kg.validation.stores`);
- ``files/``: a copy of each data file as last validated;
- ``compiled.json``: the compiled shapes (JSON, field by field of the compiler's
  dataclasses: nothing in the cache is executed);
- ``state.json``: the SHA-256 of every source file, a digest of everything else the
  report depends on (shapes, check queries, base IRI, folders, the validation code), the
  time of the run and its report, each result with its origin (a Core result about its
  own focus node, or the query that gave it).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal

from kg.config import Project
from kg.rdf.load import Source
from kg.validation.compiler import Compiled, CompiledQuery, compile_shapes
from kg.validation.incremental.affected import OWN, origin, query_predicates
from kg.validation.inputs import CheckQuery, load_checks, load_shapes, shape_files
from kg.validation.stores import Stores

#: Bumped when the cache layout or its meaning changes.
CACHE_FORMAT = 1
#: The validation code, whose every change makes the cache stale.
_CODE = Path(__file__).resolve().parents[1]


class CacheBusy(Exception):
    """Another process holds the cache (its stores are locked)."""


def default_cache_dir(project: Project) -> Path:
    """``<project>/.govsm-cache/validate`` (kg.config.Project.workspace)."""
    return project.workspace / ".govsm-cache" / "validate"


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_files() -> list[Path]:
    """Every module of kg.validation, in path order."""
    return sorted(_CODE.rglob("*.py"))


def config_digest(project: Project, base: str) -> str:
    """Everything but the data that the report depends on."""
    digest = hashlib.sha256(f"{CACHE_FORMAT}\n{base}\n".encode())
    files = list(shape_files(project.shapes))
    if project.checks.is_dir():
        files += sorted(project.checks.glob("*-violation.rq"))
    for path in files:
        digest.update(f"{path.name}\n".encode())
        digest.update(path.read_bytes())
    for path in code_files():
        digest.update(f"{path.relative_to(_CODE).as_posix()}\n".encode())
        digest.update(path.read_bytes())
    for folder in (project.ontology, *project.data):
        digest.update(f"{folder.resolve()}\n".encode())
    return digest.hexdigest()


class Cache:
    """The cache folder: two on-disk stores, copies of the data files, the state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state_path = folder / "state.json"
        self.files = folder / "files"

    def read_state(self) -> dict | None:
        """The last run's state, or None (none, unreadable or of another format)."""
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return state if state.get("format") == CACHE_FORMAT else None

    def write_state(self, state: dict) -> None:
        """Save a run's state (``format`` is set here)."""
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"format": CACHE_FORMAT, **state}), encoding="utf-8")
        tmp.replace(self.state_path)  # atomic: a crash leaves no half-written state

    def invalidate(self) -> None:
        """Forget the state (a run that stops half-way leaves none to trust)."""
        with contextlib.suppress(OSError):
            self.state_path.unlink()

    def copy_path(self, rel: str) -> Path:
        """Where the copy of a data file is kept."""
        return self.files / (hashlib.sha1(rel.encode()).hexdigest() + ".txt")

    def keep_copy(self, source: Source) -> None:
        """Keep a copy of a data file as validated now."""
        self.files.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.path, self.copy_path(source.rel))

    @contextlib.contextmanager
    def stores(self) -> Iterator[Stores]:
        """The on-disk stores, open (and locked) for the time of the block."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            stores = self._open()
        except OSError:
            gc.collect()  # a store of an earlier run in this process may await collection
            try:
                stores = self._open()
            except OSError as exc:
                raise CacheBusy(f"{self.folder}: {exc}") from exc
        try:
            yield stores
        finally:
            # pyoxigraph closes (and unlocks) a store when the object is collected.
            stores.encoded = stores.plain = None  # type: ignore[assignment]
            del stores
            gc.collect()

    def _open(self) -> Stores:
        encoded = ox.Store(str(self.folder / "encoded"))
        plain = ox.Store(str(self.folder / "plain"))
        return Stores(encoded, plain, [])


@dataclass
class Prepared:
    """What a run validates with: the compiled shapes, the shapes graph (read only when
    some shape is left to pySHACL), the check queries and, for each query that is not
    about its own focus nodes, the predicates it reads (None: any)."""

    compiled: Compiled
    shapes: Graph
    checks: list[CheckQuery]
    predicates: dict[str, list[str] | None]


def prepare(cache: Cache, config: str, project: Project) -> Prepared:
    """The compiled shapes and the rest (:class:`Prepared`); from the cache (JSON, never
    code) when the configuration is unchanged."""
    path = cache.folder / "compiled.json"
    checks = load_checks(project.checks) if project.checks.is_dir() else []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["config"] == config:
            compiled = compiled_from_json(data["compiled"])
            shapes = load_shapes(project.shapes) if compiled.fallback else Graph()
            return Prepared(compiled, shapes, checks, data["predicates"])
    shapes = load_shapes(project.shapes)
    compiled = compile_shapes(shapes)
    predicates: dict[str, list[str] | None] = {}
    for i, cq in enumerate(compiled.queries):
        name = origin(i, cq)
        if name != OWN:
            found = query_predicates(cq.sparql) if cq.kind == "sparql" else None
            predicates[name] = sorted(found) if found is not None else None
    for check in checks:
        found = query_predicates(check.text)
        predicates[f"check:{check.name}"] = sorted(found) if found is not None else None
    cache.folder.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {"config": config, "compiled": compiled_to_json(compiled), "predicates": predicates}
        ),
        encoding="utf-8",
    )
    return Prepared(compiled, shapes, checks, predicates)


def _literals_to_json(messages: list[Literal]) -> list[list[str | None]]:
    return [[str(m), m.language] for m in messages]


def _literals_from_json(items: list[list[str | None]]) -> list[Literal]:
    return [Literal(text, lang=lang) for text, lang in items]


def _group_from_json(group: list[str] | None) -> tuple[str, str] | None:
    return (group[0], group[1]) if group is not None else None


#: CompiledQuery fields that JSON cannot hold as they are: name -> (to JSON, from JSON).
#: Every other field is kept as it is (so that a new field cannot be left out).
_QUERY_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "messages": (_literals_to_json, _literals_from_json),
    "sparql_message": (_literals_to_json, _literals_from_json),
    "group": (lambda group: group, _group_from_json),  # a tuple comes back as a list
}
#: Shapes-graph nodes, left out of the cache: ``shape_name`` and ``path_text`` say what
#: the report needs of them.
_QUERY_NODES = ("shape", "path")
#: Compiled fields that are sets (kept as sorted lists).
_COMPILED_SETS = ("predicates", "inverse_predicates")


def compiled_to_json(compiled: Compiled) -> dict:
    """A JSON form of the compiled shapes, field by field of the dataclasses."""
    queries = []
    for q in compiled.queries:
        item = {}
        for f in fields(CompiledQuery):
            if f.name not in _QUERY_NODES:
                to_json = _QUERY_CODECS.get(f.name, (None, None))[0]
                value = getattr(q, f.name)
                item[f.name] = to_json(value) if to_json is not None else value
        queries.append(item)
    out: dict[str, Any] = {"queries": queries}
    for f in fields(Compiled):
        if f.name != "queries":
            value = getattr(compiled, f.name)
            out[f.name] = sorted(value) if f.name in _COMPILED_SETS else value
    return out


def compiled_from_json(data: dict) -> Compiled:
    """The inverse of :func:`compiled_to_json`."""
    queries = []
    for item in data["queries"]:
        values = dict.fromkeys(_QUERY_NODES)
        for name, value in item.items():
            from_json = _QUERY_CODECS.get(name, (None, None))[1]
            values[name] = from_json(value) if from_json is not None else value
        queries.append(CompiledQuery(**values))
    values = {
        f.name: set(data[f.name]) if f.name in _COMPILED_SETS else data[f.name]
        for f in fields(Compiled)
        if f.name != "queries"
    }
    return Compiled(queries=queries, **values)
