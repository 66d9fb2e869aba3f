"""The one prefix table of the project.

Every Turtle and SPARQL file in the repository must declare prefixes that agree with
this table (a test checks it). Instance IRIs live under ``DEFAULT_BASE + "id/"``;
ontology terms and controlled values under ``GOVSM``.
"""

from __future__ import annotations

from functools import lru_cache

DEFAULT_BASE = "https://w3id.org/govsm/"
ONTOLOGY_IRI = DEFAULT_BASE + "ontology"
GOVSM = ONTOLOGY_IRI + "#"

PREFIXES: dict[str, str] = {
    "govsm": GOVSM,
    "id": DEFAULT_BASE + "id/",
    "rule": DEFAULT_BASE + "rule/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dctype": "http://purl.org/dc/dcmitype/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "bibo": "http://purl.org/ontology/bibo/",
    "fabio": "http://purl.org/spar/fabio/",
    "cito": "http://purl.org/spar/cito/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "cv": "http://data.europa.eu/m8g/",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "schema": "https://schema.org/",
    "sioc": "http://rdfs.org/sioc/ns#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "spdx": "http://spdx.org/rdf/terms#",
    "vann": "http://purl.org/vocab/vann/",
    "wd": "http://www.wikidata.org/entity/",
    "sepio": "http://purl.obolibrary.org/obo/SEPIO_",
    "shape": DEFAULT_BASE + "shapes#",
}


def for_base(base: str) -> dict[str, str]:
    """The prefix table for a build with ``base``: ``id:`` and ``rule:`` move with the
    base (instance IRIs do, see kg.config.rewriter); ontology terms do not."""
    table = dict(PREFIXES)
    if base and base != DEFAULT_BASE:
        for name, namespace in PREFIXES.items():
            if namespace.startswith((DEFAULT_BASE + "id/", DEFAULT_BASE + "rule/")):
                table[name] = base + namespace[len(DEFAULT_BASE) :]
    return table


@lru_cache(maxsize=1 << 16)
def compact(iri: str) -> str:
    """``prefix:local`` for display, by the longest namespace of PREFIXES the IRI starts
    with; the IRI itself when none does. Remembered: the site shows the same IRIs on
    thousands of pages (PREFIXES never changes at run time)."""
    best, name = "", ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, name = namespace, prefix
    return f"{name}:{iri[len(best) :]}" if best else iri
