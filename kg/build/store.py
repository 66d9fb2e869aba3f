"""The build's query store: ``dist/store/``, a pyoxigraph store on disk (RocksDB) that
``govsm serve`` opens read-only, once per worker, instead of parsing the dump.

The store is a derived index of ``govsm.nq``, not a published file: RocksDB's files are
not reproducible (file numbers, timestamps, compaction), so the store is kept out of
everything that is hashed, released, diffed or served as a file (the site, the release
bundle and its sums, the RO-Crate). ``store/source.json`` records which ``govsm.nq`` it
was loaded from (its size, modification time and SHA-256) and what it holds, so that a
server can tell a store that no longer matches its dump (:func:`store_state`).

Written (:func:`start_store`) by a daemon thread of the build (kg.build.schedule's
table) from the ``govsm.nq`` just written into the build's temporary folder, in blocks
(the bulk loader's memory grows with its input: 1 GB for a 244 MB file in one call),
then compacted (each block's files span every key),
while the build writes its reports and site; the build waits for it (:func:`finish_store`)
before the folder is swapped in (kg.build.atomic), so a store is never seen half written
and a failed build leaves the previous one whole. A store that cannot be written is
removed and the build goes on without it (a warning): the server then makes it itself or
loads the dump (:func:`ready_store`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from kg.background import in_background
from kg.rdf.engine import OxigraphEngine
from kg.rdf.jsonld import Context, TermDef, Usage
from kg.rdf.lines import line_blocks
from kg.rdf.literals import WrittenQuads
from kg.web.endpoint.executor import graph_sizes
from kg.web.endpoint.limits import MACHINE_SHARE, Limits, physical_memory_mb
from kg.web.site import file_sha256

#: The store's folder in a build output; the RocksDB files are in its ``db/``.
STORE = "store"
DATABASE = "db"
#: What the store was loaded from and holds (:class:`Stamp`), beside ``db/``.
STAMP = "source.json"
SOURCE = "govsm.nq"
#: Bumped when a store written by this code could not be read by an older one's rules.
FORMAT = 1
#: Bytes of N-Quads handed to the bulk loader at a time (its memory is a few times this;
#: smaller blocks leave more files to search and cost more time: 16 MB took 1.3x 64 MB).
_BLOCK = 64 << 20
#: Blocks loaded at once (the loader's sorting and writing release the GIL).
_LOADERS = 2
#: A store loaded into memory takes about this many times its N-Quads' size (resident:
#: 10^4 studies, 244 MB of N-Quads, 0.6 GB).
MEMORY_FACTOR = 3

Log = Callable[[str], None]


@dataclass(frozen=True)
class Stamp:
    """``store/source.json``: the dump the store was loaded from (``bytes``,
    ``mtime_ns``, ``sha256``), what it holds (``quads``, quads per named graph), and the
    pyoxigraph that wrote it."""

    format: int
    source: str
    bytes: int
    mtime_ns: int
    sha256: str
    quads: int
    graphs: dict[str, int]
    pyoxigraph: str
    seconds: float


def _quiet(_: str) -> None:
    """A log that says nothing."""


# --- writing ---------------------------------------------------------------------------


def write_store(folder: Path, sha256: str | None = None) -> Stamp:
    """Bulk-load ``folder/govsm.nq`` into a new store ``folder/store/`` (replacing any),
    compacted; its stamp. Blocks of whole lines go to the loaders, ``_LOADERS`` at a
    time (:func:`_load_block`). ``sha256``: the dump's, when its writer has it (else it
    is hashed as read)."""
    started = time.perf_counter()
    source, target = folder / SOURCE, folder / STORE
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    store = ox.Store(str(target / DATABASE))
    digest = hashlib.sha256() if sha256 is None else None
    with source.open("rb") as stream, ThreadPoolExecutor(_LOADERS, "govsm-store") as pool:
        loading: deque[Future[None]] = deque()
        for block in line_blocks(stream, _BLOCK):
            if digest is not None:  # the blocks end to end are the file
                digest.update(block)
            loading.append(pool.submit(_load_block, store, block))
            if len(loading) > _LOADERS:  # a block read ahead while each loader has one
                loading.popleft().result()
        for done in loading:
            done.result()
    # Each block's files span every key, so a lookup would search them all: compacted,
    # it searches one file per index, and the store takes less disk.
    store.flush()
    store.optimize()
    graphs = graph_sizes(store)
    quads = len(store)
    del store  # closed: a reader may open it now
    info = source.stat()
    stamp = Stamp(
        FORMAT,
        SOURCE,
        info.st_size,
        info.st_mtime_ns,
        sha256 if digest is None else digest.hexdigest(),
        quads,
        graphs,
        ox.__version__,
        round(time.perf_counter() - started, 3),
    )
    (target / STAMP).write_text(json.dumps(asdict(stamp), indent=1) + "\n", encoding="utf-8")
    return stamp


def _load_block(store: ox.Store, block: bytes) -> None:
    """Add a block of whole N-Quads lines. The bulk loader gives the blank nodes of each
    call fresh identifiers, and a blank node's lines are not together in a sorted dump
    (an RDF list is the object of a line sorted under its subject, its own lines come
    under ``_:``): the lines with ``_:`` (a blank node, or a literal that holds it) are
    parsed keeping their labels and added as quads, the rest bulk-loaded."""
    if b"_:" in block:
        lines = block.splitlines(keepends=True)
        blank = b"".join(line for line in lines if b"_:" in line)
        block = b"".join(line for line in lines if b"_:" not in line)
        quads = ox.parse(blank, format=ox.RdfFormat.N_QUADS, lenient=True)
        store.bulk_extend(quads)
    store.bulk_load(block, format=ox.RdfFormat.N_QUADS, lenient=True)


def store_wanted(folder: Path, option: bool | None) -> bool:
    """Whether the build writes ``folder/store/``: as ``option`` says, or (None) when
    ``govsm serve`` with its default workers would read it (:func:`prefer_disk`): loading
    the store costs the build a second load of the dump, on the core the site's writing
    would otherwise have."""
    if option is not None:
        return option
    dump = folder / SOURCE
    size = dump.stat().st_size if dump.is_file() else 0
    return prefer_disk(size, Limits().workers, physical_memory_mb())


def start_store(folder: Path, sha256: str | None = None) -> Future[Stamp]:
    """Start writing ``folder/store/`` (:func:`write_store`) in a daemon thread: the
    bulk loader releases the GIL, so it takes the core the build's own thread leaves."""
    return in_background(write_store, folder, sha256)


def finish_store(pending: Future[Stamp], folder: Path, log: Log = _quiet) -> Stamp | None:
    """Wait for the store :func:`start_store` began; when it failed, remove what it
    wrote and say so (the build goes on: ``govsm serve`` makes the store itself)."""
    try:
        stamp = pending.result()
    except (OSError, ValueError, SyntaxError) as exc:
        shutil.rmtree(folder / STORE, ignore_errors=True)
        log(f"warning: query store not written ({exc}); `govsm serve` will load govsm.nq")
        return None
    log(f"store: {STORE}/ ({stamp.quads} quads, {stamp.seconds:.1f} s)")
    return stamp


# --- reading ---------------------------------------------------------------------------


def read_stamp(dist: Path) -> Stamp | None:
    """The stamp of ``dist/store/`` (None when missing or unreadable)."""
    try:
        data = json.loads((dist / STORE / STAMP).read_text(encoding="utf-8"))
        return Stamp(**data)
    except (OSError, ValueError, TypeError):
        return None


def store_state(dist: Path) -> str | None:
    """Why ``dist/store/`` cannot serve ``dist/govsm.nq`` (None: it can). Same size and
    modification time: the same file; a copied dump (new time) is compared by SHA-256."""
    stamp = read_stamp(dist)
    if stamp is None or not (dist / STORE / DATABASE / "CURRENT").is_file():
        return "missing"
    if stamp.format != FORMAT or stamp.pyoxigraph.split(".")[:2] != ox.__version__.split(".")[:2]:
        return f"written by another version (pyoxigraph {stamp.pyoxigraph})"
    info = (dist / SOURCE).stat()
    if info.st_size != stamp.bytes:
        return f"stale ({SOURCE} has {info.st_size} bytes, the store was loaded from {stamp.bytes})"
    if info.st_mtime_ns != stamp.mtime_ns:
        if file_sha256(dist / SOURCE) != stamp.sha256:
            return f"stale ({SOURCE} changed since the store was loaded)"
        _restamp(dist, replace(stamp, mtime_ns=info.st_mtime_ns))  # hash once per copy
    return None


def _restamp(dist: Path, stamp: Stamp) -> None:
    """Write ``stamp`` over the store's, if the folder may be written (else no matter)."""
    with contextlib.suppress(OSError):
        tmp = dist / STORE / f".{STAMP}.tmp-{os.getpid()}"
        tmp.write_text(json.dumps(asdict(stamp), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, dist / STORE / STAMP)


def ready_store(dist: Path, log: Log = _quiet) -> Path | None:
    """The store folder (``dist/store/db``) that serves ``dist/govsm.nq``: the build's
    when it matches the dump; else made now (a dist/ built before the store existed, or
    changed since), written beside and moved into place in one step; None, said in
    ``log``, when it cannot be written there (the caller loads the dump instead)."""
    why = store_state(dist)
    if why is None:
        return dist / STORE / DATABASE
    log(f"store: {dist}/{STORE}/ {why}: loading {SOURCE} into a new one")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{STORE}.tmp-{os.getpid()}-", dir=dist))
        try:
            (tmp / SOURCE).symlink_to(os.path.abspath(dist / SOURCE))
            stamp = write_store(tmp)
            shutil.rmtree(dist / STORE, ignore_errors=True)
            os.rename(tmp / STORE, dist / STORE)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, SyntaxError, ValueError) as exc:  # not writable, or not N-Quads
        reason = getattr(exc, "strerror", None) or exc
        log(f"warning: cannot write {dist}/{STORE}/ ({reason}): every worker loads {SOURCE}")
        return None
    log(f"store: {dist}/{STORE}/ written ({stamp.quads} quads, {stamp.seconds:.1f} s)")
    return dist / STORE / DATABASE


def prefer_disk(nquads_bytes: int, workers: int, physical_mb: int | None) -> bool:
    """Whether ``govsm serve --store auto`` reads the store on disk: when ``workers``
    copies in memory (each ≈ MEMORY_FACTOR x the dump) would not fit in the share of the
    machine's memory the workers get (kg.web.endpoint.limits); else each worker loads
    the dump, whose queries run several times faster (README: One store on disk)."""
    if physical_mb is None:
        return True
    copies = workers * MEMORY_FACTOR * nquads_bytes / (1 << 20)
    return copies > physical_mb // MACHINE_SHARE


def open_engine(database: Path) -> OxigraphEngine:
    """An engine over the store at ``database``, opened read-only (the on-demand pages'
    reads; several processes may hold it open)."""
    engine = OxigraphEngine()
    engine.store = ox.Store.read_only(str(database))
    engine.dataset = WrittenQuads(engine.store)
    return engine


def site_context(dist: Path, base: str) -> Context | None:
    """The build's JSON-LD context as its site published it (``site/context.jsonld``,
    made from the same N-Quads), read back instead of parsing the dump again; None when
    there is none, or it was made for another base."""
    try:
        body = json.loads((dist / "site" / "context.jsonld").read_text(encoding="utf-8"))
        body = body["@context"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    expected = Context.build(Usage(), base).prefixes
    if any(body.get(name) != namespace for name, namespace in expected.items()):
        return None
    return _context_of(body, expected)


def _context_of(body: dict[str, object], prefixes: dict[str, str]) -> Context:
    """The Context whose ``body()`` is ``body``."""

    def expand(value: str) -> str:
        name, _, local = value.partition(":")
        return prefixes[name] + local if name in prefixes and not local.startswith("//") else value

    terms = []
    for name, value in body.items():
        if name.startswith("@") or name in prefixes:
            continue
        if isinstance(value, str):
            terms.append(TermDef(name, expand(value)))
        elif isinstance(value, dict):
            kind = value.get("@type")
            terms.append(
                TermDef(
                    name,
                    expand(value["@id"]),
                    type=kind if kind in (None, "@id") else expand(kind),
                    language=value.get("@language"),
                    container=value.get("@container"),
                )
            )
    return Context(prefixes, {t.iri: t for t in sorted(terms, key=lambda t: t.iri)})
