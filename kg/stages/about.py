"""What a build is about, from its data: the reviews (``govsm:Review`` and its
sub-classes), each with its title, description, taxonomy schemes and contexts.

The site's title and description, the VoID/DCAT dataset description, the figure's
caption and the report's title are all worded from this, so that nothing about one
review is written in kg/. A build with no review in it is "the GovSM-KG dataset".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal

from kg.prefixes import PREFIXES
from kg.rdf.engine import Engine

#: The dataset's name when the data names no review.
NEUTRAL_TITLE = "GovSM-KG dataset"
PROJECT = "GovSM-KG"

# One row per (review, what, value): its names, descriptions, schemes (dcterms:subject,
# or the schemes whose govsm:hasQuote / dcterms:source is the review) and contexts
# (quoted from the review).
_QUERY = f"""PREFIX govsm: <{PREFIXES["govsm"]}>
PREFIX rdfs: <{PREFIXES["rdfs"]}>
PREFIX dcterms: <{PREFIXES["dcterms"]}>
PREFIX skos: <{PREFIXES["skos"]}>
SELECT DISTINCT ?review ?what ?value WHERE {{
  ?class rdfs:subClassOf* govsm:Review .
  ?review a ?class .
  FILTER(isIRI(?review))
  {{ ?review dcterms:title ?value . BIND("title" AS ?what) }}
  UNION {{ ?review rdfs:label ?value . BIND("label" AS ?what) }}
  UNION {{ ?review dcterms:description ?value . BIND("description" AS ?what) }}
  UNION {{ ?review dcterms:subject ?value . ?value a skos:ConceptScheme .
           BIND("scheme" AS ?what) }}
  UNION {{ ?value a skos:ConceptScheme ; dcterms:source ?review . BIND("scheme" AS ?what) }}
  UNION {{ ?value a govsm:Context ; govsm:quotedFrom ?review . BIND("context" AS ?what) }}
  UNION {{ BIND("review" AS ?what) BIND(?review AS ?value) }}
}}"""


@dataclass
class ReviewAbout:
    """One review: its IRI, name (dcterms:title, else rdfs:label, else None),
    description, and the IRIs of its schemes and contexts (sorted)."""

    iri: str
    name: str | None = None
    description: str | None = None
    schemes: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)


@dataclass
class About:
    """The reviews a build holds (sorted by IRI)."""

    reviews: list[ReviewAbout]

    @property
    def title(self) -> str:
        """The dataset's title: the project's name and its review's, or how many reviews
        it holds; the neutral name when the data names none."""
        named = [r.name for r in self.reviews if r.name]
        if len(self.reviews) == 1 and named:
            return f"{PROJECT}: {named[0]}"
        if len(self.reviews) > 1:
            return f"{PROJECT}: {len(self.reviews)} reviews"
        return NEUTRAL_TITLE

    @property
    def description(self) -> str:
        """What the dataset holds, naming its reviews."""
        named = [f"“{r.name}”" for r in self.reviews if r.name]
        if not self.reviews:
            what = "evidence synthesis data"
        elif len(self.reviews) == 1:
            what = "the review " + (named[0] if named else f"<{self.reviews[0].iri}>")
        else:
            what = f"{len(self.reviews)} reviews" + (f" ({'; '.join(named)})" if named else "")
        return (
            f"A knowledge graph of {what}: its studies, coded evidence with verbatim quotes, "
            "context assessments, and the classifications derived by SPARQL rules, with "
            "their provenance."
        )

    @property
    def report_title(self) -> str:
        """The classification report's title: of the review named, of how many, or of
        the neutral dataset."""
        named = [r.name for r in self.reviews if r.name]
        if len(self.reviews) == 1 and named:
            return f"Classification of sub-factors: {named[0]}"
        if len(self.reviews) > 1:
            return f"Classification of sub-factors: {len(self.reviews)} reviews"
        return f"{NEUTRAL_TITLE}: classification of sub-factors"

    def reviews_of_context(self, context: str) -> list[ReviewAbout]:
        """The reviews a context is quoted from."""
        return [r for r in self.reviews if context in r.contexts]


def _text(value: object) -> str | None:
    """A literal's text when it is in English or untagged (None otherwise)."""
    if isinstance(value, Literal) and (value.language or "en").lower().startswith("en"):
        return str(value)
    return None


def about(engine: Engine) -> About:
    """The reviews of the data in ``engine``; of several names or descriptions of one
    review the first in code-point order is taken, so the wording is deterministic."""
    found: dict[str, dict[str, set[str]]] = {}
    for row in engine.select(_QUERY).rows:
        review, what, value = row[0], row[1], row[2]
        if review is None or what is None or value is None:
            continue
        kinds = found.setdefault(str(review), {})
        what = str(what)
        text = str(value) if what in ("scheme", "context", "review") else _text(value)
        if text is not None:
            kinds.setdefault(what, set()).add(text)
    reviews = []
    for iri in sorted(found):
        kinds = found[iri]
        names = sorted(kinds.get("title", ())) or sorted(kinds.get("label", ()))
        descriptions = sorted(kinds.get("description", ()))
        reviews.append(
            ReviewAbout(
                iri,
                names[0] if names else None,
                descriptions[0] if descriptions else None,
                sorted(kinds.get("scheme", ())),
                sorted(kinds.get("context", ())),
            )
        )
    return About(reviews)
