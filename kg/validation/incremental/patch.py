"""The cached stores kept up to date: every file loaded (a full run), or one changed file's
graph patched with the triples of the statement blocks that differ from its copy."""

from __future__ import annotations

import contextlib
from collections import Counter

import pyoxigraph as ox

from kg.rdf.load import Source, check_syntax
from kg.validation.compiler.literals import encode_quads
from kg.validation.incremental.blocks import (
    BlockError,
    Split,
    parse_blocks,
    read_file,
    split_blocks,
)
from kg.validation.incremental.cache import Cache
from kg.validation.stores import Stores

#: The quads added to and removed from the validation store (encoded).
Change = tuple[list[ox.Quad], list[ox.Quad]]


def file_entry(source: Source) -> dict:
    """A file's entry in the cache state (more is added as it is read)."""
    return {"kind": source.kind, "graph": source.graph}


def save(memory: Stores, disk: Stores) -> None:
    """Copy the in-memory stores into the (emptied) on-disk ones, one bulk load each."""
    for source, target in ((memory.encoded, disk.encoded), (memory.plain, disk.plain)):
        target.clear()
        target.bulk_extend(list(source.quads_for_pattern(None, None, None, None)))
        target.flush()


def load_all(cache: Cache, stores: Stores, sources: list[Source], base: str) -> dict[str, dict]:
    """Load every source file into both (emptied) stores; the files' cache entries."""
    stores.encoded.clear()
    stores.plain.clear()
    quads: list[ox.Quad] = []
    entries: dict[str, dict] = {}
    for source in sources:
        split, file_quads, dups = read_file(source, base)
        quads += file_quads
        cache.keep_copy(source)
        entries[source.rel] = {**file_entry(source), "dups": dups, "whole": split.whole}
    # One bulk load per store: each call writes its own files on disk.
    stores.encoded.bulk_extend(encode_quads(quads))
    stores.plain.bulk_extend(quads)
    return entries


def patch_file(
    cache: Cache, stores: Stores, source: Source | None, entry: dict | None, base: str
) -> Change:
    """Bring one file's graph up to date in both stores (``source`` None: the file is
    gone), changing only the blocks that changed; ``entry`` is its cache entry, updated."""
    if source is None:
        return _drop(stores, entry)
    old_text = ""
    if entry is not None and entry.get("sha256"):  # known before
        with contextlib.suppress(OSError):
            old_text = cache.copy_path(source.rel).read_text(encoding="utf-8-sig")
    old_split = split_blocks(old_text, source.path.suffix)
    new_split = split_blocks(source.path.read_text(encoding="utf-8-sig"), source.path.suffix)
    if (
        entry is None
        or not old_text
        or entry.get("whole")
        or old_split.whole
        or new_split.whole
        or old_split.header != new_split.header
    ):
        return _replace(cache, stores, source, base, entry)
    net = _changed_quads(stores, source, base, old_split, new_split, entry)
    if net is None:
        return _replace(cache, stores, source, base, entry)
    gone_net, came_net = net
    for q in gone_net:
        stores.plain.remove(q)
    stores.plain.extend(came_net)
    gone_enc, came_enc = encode_quads(gone_net), encode_quads(came_net)
    for q in gone_enc:
        stores.encoded.remove(q)
    stores.encoded.extend(came_enc)
    cache.keep_copy(source)
    return came_enc, gone_enc


def _drop(stores: Stores, entry: dict | None) -> Change:
    """A file that is gone: its graph removed from both stores."""
    if not entry or "graph" not in entry:
        return [], []
    graph = ox.NamedNode(entry["graph"])
    removed = list(stores.encoded.quads_for_pattern(None, None, None, graph))
    for store in (stores.encoded, stores.plain):
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
    return [], removed


def _changed_quads(
    stores: Stores, source: Source, base: str, old_split: Split, new_split: Split, entry: dict
) -> Change | None:
    """The (plain) quads that left the file and those that came, from the blocks that
    differ; None when the file must be read again whole. Updates the entry's repeated
    triples."""
    before, after = Counter(old_split.blocks), Counter(new_split.blocks)
    gone_blocks = [b for b, n in before.items() for _ in range(n - after.get(b, 0))]
    came_blocks = [b for b, n in after.items() for _ in range(n - before.get(b, 0))]
    try:
        gone = parse_blocks(old_split, gone_blocks, source, base)
        came = parse_blocks(new_split, came_blocks, source, base)
    except BlockError:
        check_syntax([source])  # a real syntax error: reported with file, line and column
        return None
    gone_subjects = {q.subject for q in gone if isinstance(q.subject, ox.BlankNode)}
    for q in came:
        if (
            isinstance(q.subject, ox.BlankNode)
            and q.subject not in gone_subjects
            and next(stores.encoded.quads_for_pattern(q.subject, None, None, None), None)
        ):
            # A new statement repeats an unchanged one (same text, same blank-node
            # names): the whole file is read again, its blank nodes named by position.
            return None
    dups = set(entry.get("dups", ()))
    came_set = set(came)
    gone_net = [q for q in dict.fromkeys(gone) if q not in came_set]
    if any(str(q) in dups for q in gone_net):
        return None
    gone_set = set(gone)
    came_net = []
    for q in dict.fromkeys(came):
        if q in gone_set:
            continue
        # Another (unchanged) block of this file states it too. Asked of the encoded
        # store: the plain one would equate "05"^^xsd:integer with "5"^^xsd:integer.
        if encode_quads([q])[0] in stores.encoded:
            dups.add(str(q))
            continue
        came_net.append(q)
    entry["dups"] = sorted(dups)
    return gone_net, came_net


def _replace(cache: Cache, stores: Stores, source: Source, base: str, entry: dict | None) -> Change:
    """Re-read a whole file (its layout changed too much to patch block by block)."""
    check_syntax([source])
    graph = ox.NamedNode(source.graph)
    old = set(stores.encoded.quads_for_pattern(None, None, None, graph))
    split, quads, dups = read_file(source, base)
    for store in (stores.encoded, stores.plain):
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
    new_enc = encode_quads(quads)
    stores.encoded.extend(new_enc)
    stores.plain.extend(quads)
    if entry is not None:
        entry["dups"], entry["whole"] = dups, split.whole
    cache.keep_copy(source)
    new = set(new_enc)
    return list(new - old), list(old - new)
