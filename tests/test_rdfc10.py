"""RDFC-1.0 canonical N-Quads (kg.rdf.canon.rdfc10_nquads), the canonicaliser releases
use: every evaluation test of the W3C RDFC-1.0 suite (vendored in tests/w3c/rdf-canon,
read from its manifest), its poison test refused by the guard, and the first review's
dump canonicalised, parsed back and canonicalised again."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from support import built_dist

from kg.rdf.canon import (
    PERMUTATION_LIMIT,
    CanonicalisationLimitError,
    canonical_blank_lines,
    rdfc10_nquads,
    rdfc10_permutations,
    split_line,
)

SUITE = Path(__file__).resolve().parent / "w3c" / "rdf-canon"
BASE = "https://w3c.github.io/rdf-canon/tests/"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
RDFC = "https://w3c.github.io/rdf-canon/tests/vocab#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def manifest() -> dict[str, dict[str, str]]:
    """Test name -> {type, action, result, hashAlgorithm} (files relative to SUITE)."""
    store = ox.Store()
    store.load(path=str(SUITE / "manifest.ttl"), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    keys = {RDF_TYPE: "type", MF + "action": "action", MF + "result": "result"}
    keys[RDFC + "hashAlgorithm"] = "hashAlgorithm"
    tests: dict[str, dict[str, str]] = {}
    for quad in store:
        key = keys.get(quad.predicate.value)
        if key is None or not quad.subject.value.startswith(BASE + "manifest#"):
            continue
        value = quad.object.value.removeprefix(RDFC).removeprefix(BASE)
        tests.setdefault(quad.subject.value.split("#")[1], {})[key] = value
    return tests


TESTS = manifest()
EVAL = sorted(name for name, test in TESTS.items() if test["type"] == "RDFC10EvalTest")
NEGATIVE = sorted(name for name, test in TESTS.items() if test["type"] == "RDFC10NegativeEvalTest")


def parsed(path: Path) -> ox.Dataset:
    return ox.Dataset(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))


def test_the_manifest_is_read_whole() -> None:
    """Guard counts, so that a manifest read wrongly cannot pass with fewer tests: 64
    evaluation tests (one on SHA-384), 21 map tests (not run: pyoxigraph does not give
    the issued-identifier map), one negative test."""
    kinds = [test["type"] for test in TESTS.values()]
    assert (kinds.count("RDFC10EvalTest"), kinds.count("RDFC10MapTest")) == (64, 21)
    assert NEGATIVE == ["test074c"]
    assert [n for n in EVAL if TESTS[n].get("hashAlgorithm")] == ["test075c"]


@pytest.mark.parametrize("name", EVAL)
def test_rdfc10_evaluation(name: str) -> None:
    """The canonical N-Quads equal the suite's expected file byte for byte."""
    test = TESTS[name]
    expected = (SUITE / test["result"]).read_text(encoding="utf-8")
    algorithm = test.get("hashAlgorithm", "SHA256")
    assert rdfc10_nquads(parsed(SUITE / test["action"]), hash_algorithm=algorithm) == expected


@pytest.mark.parametrize("name", NEGATIVE)
def test_rdfc10_poison_is_refused(name: str) -> None:
    """pyoxigraph has no limit of its own (test074 ran over 5 minutes unanswered): the
    guard refuses the poison graph before pyoxigraph starts."""
    dataset = parsed(SUITE / TESTS[name]["action"])
    assert rdfc10_permutations(dataset) > PERMUTATION_LIMIT
    with pytest.raises(CanonicalisationLimitError, match="permute its blank nodes"):
        rdfc10_nquads(dataset)


def clique(size: int) -> ox.Dataset:
    p = ox.NamedNode("http://example.org/p")
    nodes = [ox.BlankNode() for _ in range(size)]
    return ox.Dataset([ox.Quad(a, p, b) for a in nodes for b in nodes])


def test_the_guard_counts_permutations() -> None:
    """Unique first-degree hashes need no permutation; a clique of k needs k·((k-1)!)²
    by the guard's count; the limit is a parameter."""
    assert rdfc10_permutations(parsed(SUITE / "rdfc10/test002-in.nq")) == 0
    assert rdfc10_permutations(clique(5)) == 5 * 24 * 24
    small = rdfc10_nquads(clique(5))
    assert small.count("\n") == 25 and "_:c14n4 " in small
    with pytest.raises(CanonicalisationLimitError):
        rdfc10_nquads(clique(5), limit=5 * 24 * 24 - 1)


def test_the_input_is_left_alone() -> None:
    dataset = parsed(SUITE / "rdfc10/test003-in.nq")
    before = set(dataset)
    rdfc10_nquads(dataset)
    assert set(dataset) == before


def has_blank_node(line: bytes) -> bool:
    terms = split_line(line)
    assert terms is not None, line
    return any(term.startswith(b"_:") for term in (terms[0], terms[2], terms[3]))


def test_the_dump_canonicalised_is_isomorphic_and_idempotent(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The first review's build: its RDFC-1.0 N-Quads parse back to the same dataset
    (the ground quads unchanged, the blank-node quads equal under the project's own
    labels, an independent algorithm) and are their own canonical form."""
    dump = (built_dist(tmp_path_factory) / "govsm.nq").read_bytes()
    canonical = rdfc10_nquads(ox.parse(dump, format=ox.RdfFormat.N_QUADS))
    assert canonical != dump.decode("utf-8"), "the build's labels are not RDFC-1.0's"
    again = canonical.encode("utf-8")
    assert rdfc10_nquads(ox.parse(again, format=ox.RdfFormat.N_QUADS)) == canonical

    def ground_and_blank(data: bytes) -> tuple[set[bytes], set[bytes]]:
        lines = [line for line in data.split(b"\n") if line]
        blank = {line for line in lines if has_blank_node(line)}
        return set(lines) - blank, set(canonical_blank_lines(sorted(blank)))

    ground, blank = ground_and_blank(dump)
    assert blank, "the dump has blank nodes (author lists) to canonicalise"
    assert ground_and_blank(again) == (ground, blank)
    assert len(again.split(b"\n")) == len(dump.split(b"\n"))
