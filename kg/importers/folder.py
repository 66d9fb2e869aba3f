"""What a review's data folder already says, as the importers need it: its review and
concept scheme, its studies (by citation key, DOI and slug) and its taxonomy's concepts
(by preferred and alternative label) — read from the files on disk and from the files one
``govsm import`` is about to write (``pending``), so that a later kind of file in the same
command sees what an earlier one adds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg.importers.refmodel import ImportFailure
from kg.prefixes import GOVSM, PREFIXES

BIBO_DOI = URIRef(PREFIXES["bibo"] + "doi")
GOVSM_REVIEW = URIRef(GOVSM + "Review")
REVIEW_FILE = "review.ttl"


@dataclass
class Folder:
    """What a review folder already says: its scheme, studies and taxonomy."""

    scheme: URIRef
    studies: dict[str, URIRef]
    concepts: dict[tuple[str, str], URIRef]  # (kind, lower-case label) -> concept


def parse_turtle(graph: Graph, path: Path, text: str | None = None) -> None:
    """Parse a data file (or the text about to be written to it) into ``graph``; a file
    that is not Turtle is an ImportFailure naming it."""
    try:
        if text is None:
            graph.parse(path, format="turtle")
        else:
            graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
    except Exception as exc:  # rdflib raises several types for bad Turtle
        raise ImportFailure(path, None, f"cannot be parsed as Turtle ({exc})") from exc


def folder_graph(
    data_dir: Path, skip: Iterable[Path] = (), pending: Mapping[Path, str] | None = None
) -> Graph:
    """The folder's Turtle as it will be: the files on disk, those in ``pending`` as they
    will be written, none of ``skip`` (the files the caller is about to replace)."""
    graph = Graph()
    skipped = {p.resolve() for p in skip}
    planned = {p.resolve(): text for p, text in (pending or {}).items()}
    paths = {p.resolve(): p for p in data_dir.glob("*.ttl")}
    here = data_dir.resolve()
    paths.update({p.resolve(): p for p in (pending or {}) if p.parent.resolve() == here})
    for key in sorted(paths):
        if key not in skipped:
            parse_turtle(graph, paths[key], planned.get(key))
    return graph


def read_folder(
    data_dir: Path, skip: Iterable[Path] = (), pending: Mapping[Path, str] | None = None
) -> Folder:
    """The review folder's data, but for the files an import is about to replace."""
    graph = folder_graph(data_dir, skip, pending)
    schemes = sorted(
        o
        for o in graph.objects(None, DCTERMS.subject)
        if (o, RDF.type, SKOS.ConceptScheme) in graph
    )
    if not schemes:
        raise ImportFailure(data_dir, None, "no review with a concept scheme (govsm init)")
    studies: dict[str, URIRef] = {}
    for study in graph.subjects(RDF.type, URIRef(GOVSM + "Study")):
        names = [str(study).rsplit("/", 1)[-1]]
        names += [str(v) for p in (DCTERMS.identifier, BIBO_DOI) for v in graph.objects(study, p)]
        for name in names:
            studies.setdefault(name.lower(), study)  # type: ignore[arg-type]
    concepts: dict[tuple[str, str], URIRef] = {}
    for kind in ("Factor", "SubFactor"):
        for concept in sorted(graph.subjects(RDF.type, URIRef(GOVSM + kind))):
            for p in (SKOS.prefLabel, SKOS.altLabel):
                for label in sorted(graph.objects(concept, p)):
                    key = (kind, " ".join(str(label).split()).lower())
                    concepts.setdefault(key, concept)  # type: ignore[arg-type]
    return Folder(schemes[0], studies, concepts)  # type: ignore[arg-type]


def review_of(data_dir: Path) -> URIRef | None:
    """The review of the folder: the one govsm:Review its review.ttl describes; None when
    there is no review.ttl or it describes none; an ImportFailure when it describes
    several (which one includes the imported studies would be a guess)."""
    path = data_dir / REVIEW_FILE
    if not path.is_file():
        return None
    graph = Graph()
    parse_turtle(graph, path)
    reviews = sorted(graph.subjects(RDF.type, GOVSM_REVIEW))
    if len(reviews) > 1:
        names = ", ".join(str(r) for r in reviews)
        raise ImportFailure(path, None, f"describes {len(reviews)} reviews ({names}), not one")
    return reviews[0] if reviews else None  # type: ignore[return-value]
