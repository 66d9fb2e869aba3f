"""``govsm init``: a new review's data folder, which validates and builds as it is and
grows as studies, a taxonomy and coded evidence are added.

It writes ``DIR/data/<slug>/review.ttl`` (the review: its title, and the concept scheme
its factors and sub-factors will belong to; a commented PRISMA 2020 flow to fill in),
``DIR/data/<slug>/taxonomy.ttl`` (that scheme, empty) and a README of what goes where,
and — unless the project has one — ``DIR/govsm-import.toml``, the project's import
settings, every key a commented example.
IRIs are under the default base, as every data file's are (``govsm build --base`` moves
them). It never overwrites: an existing folder is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal

from kg.config import ConfigError
from kg.importers import refmodel
from kg.importers.project import SETTINGS_FILE
from kg.prefixes import DEFAULT_BASE

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class NewReview:
    """What ``init_project`` wrote."""

    folder: Path
    review: str
    scheme: str
    files: tuple[Path, ...]


def slugify(text: str) -> str:
    """A readable IRI segment of a title: its first eight words as kg.importers.refmodel
    makes slugs (lower-case ASCII letters and digits, hyphens)."""
    return "-".join(refmodel.slug(text).split("-")[:8])


def init_project(root: Path, title: str, slug: str | None = None) -> NewReview:
    """Write a new review's data folder under ``root/data/``; ConfigError if the title
    is empty, the slug unusable or the folder already there."""
    title = " ".join(title.split())
    if not title:
        raise ConfigError("a review needs a title (--title)")
    name = slug or slugify(title)
    if not _SLUG.match(name):
        raise ConfigError(
            f"review slug {name!r} must be lower-case letters and digits joined by hyphens"
        )
    folder = root / "data" / name
    if folder.exists():
        raise ConfigError(f"{folder} already exists: govsm init never overwrites")
    review = f"{DEFAULT_BASE}id/review/{name}"
    scheme = f"{DEFAULT_BASE}id/scheme/{name}-factors"
    folder.mkdir(parents=True)
    files = {
        "review.ttl": _review_turtle(review, scheme, title),
        "taxonomy.ttl": _taxonomy_turtle(scheme, title),
        "README.md": _readme(title, name),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    written = [folder / name for name in files]
    settings = root / SETTINGS_FILE
    if not settings.exists():
        settings.write_text(SETTINGS_EXAMPLE, encoding="utf-8")
        written.append(settings)
    return NewReview(folder, review, scheme, tuple(written))


#: The settings file ``govsm init`` writes: "## " lines explain, "# " lines are settings
#: (each the default or an example) to uncomment.
SETTINGS_EXAMPLE = """\
## govsm import: this project's conventions for REFI-QDA files (.qdpx projects, .qdc
## code books). Every key is optional; uncomment a line to change its default. An unknown
## key or a value of the wrong type stops the import (exit 2).
[refi-qda]
## the top-level code whose children are factors (their children: sub-factors)
# factors = "Factors"
## the top-level code whose children name a direction
# direction = "Direction"
## flat codes named by paths, as Taguette writes them ("Factors.People.Skills"): nest them
# separator = "."
## extensions dropped from a source's name before it is looked up as a citation key or DOI
# extensions = [".txt", ".pdf", ".docx", ".doc", ".rtf", ".odt", ".html"]
## the words that name each direction (the code names under the direction code)
# [refi-qda.directions]
# driver = ["driver", "facilitator", "enabler", "motivator"]
# preventer = ["preventer", "barrier", "obstacle", "inhibitor"]
# mixed = ["mixed", "both"]
## sources not named after their study: source name -> citation key or DOI
# [refi-qda.sources]
# "Interview 3.docx" = "mergel2016"
"""


_PREFIXES = """@prefix govsm: <https://w3id.org/govsm/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def _review_turtle(review: str, scheme: str, title: str) -> str:
    text = Literal(title, lang="en").n3()
    return f"""# The review: its title and the concept scheme of its factors (taxonomy.ttl).
# Add what the review reports: dcterms:description, authors (bibo:authorList), the
# review method (govsm:followsMethod) — see the ontology's documentation (site/ontology).

{_PREFIXES}@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix oa: <http://www.w3.org/ns/oa#> .

<{review}>
    a govsm:Review ;
    rdfs:label {text} ;
    dcterms:title {text} ;
    dcterms:subject <{scheme}> .
{PRISMA_TEMPLATE.replace("REVIEW", review)}"""


#: The commented PRISMA 2020 flow of review.ttl: "## " lines explain, "# " lines are
#: Turtle to uncomment (the example's numbers add up; put the review's own in).
PRISMA_TEMPLATE = """
## PRISMA 2020 flow (optional): the counts of the review's flow diagram (Page et al. 2021,
## BMJ 372:n71, the template for new reviews with databases, registers and other
## sources). Uncomment (remove "# " from) the lines of the boxes the review reports and
## put its numbers in; leave out every box it does not report: an absent count is
## unknown, not zero. The shapes check that the counts add up (records screened =
## records identified - records removed before screening, and so on) and name the counts
## that do not; `govsm build` draws the boxes on the review's page (PAGE/prisma.svg).
## The boxes are the ontology's govsm:prismaBoxes; a source or a reason for excluding
## reports is one count each, with a name (rdfs:label). Quote each number from the
## review, as evidence is quoted:
##   govsm:hasQuote [ a oa:TextQuoteSelector ; oa:exact "the review's own words" ] ;
##   govsm:quotedFrom <REVIEW> .
# <REVIEW> govsm:hasSelectionFlow <REVIEW/selection-flow> .
# <REVIEW/selection-flow> a govsm:SelectionFlow ;
#     govsm:hasFlowCount <REVIEW/selection-flow/scopus> , <REVIEW/selection-flow/duplicates> ,
#         <REVIEW/selection-flow/screened> , <REVIEW/selection-flow/records-excluded> ,
#         <REVIEW/selection-flow/sought> , <REVIEW/selection-flow/not-retrieved> ,
#         <REVIEW/selection-flow/assessed> , <REVIEW/selection-flow/reason-population> ,
#         <REVIEW/selection-flow/reason-data> , <REVIEW/selection-flow/citations> ,
#         <REVIEW/selection-flow/other-sought> , <REVIEW/selection-flow/other-not-retrieved> ,
#         <REVIEW/selection-flow/other-assessed> , <REVIEW/selection-flow/other-reason> ,
#         <REVIEW/selection-flow/studies> , <REVIEW/selection-flow/reports> .
## Identification, databases and registers: one count per source (govsm:prismaRegisters
## for a register), then what was removed before screening (govsm:prismaDuplicatesRemoved,
## govsm:prismaAutomationRemoved, govsm:prismaOtherRemoved).
# <REVIEW/selection-flow/scopus> a govsm:FlowCount ;
#     rdfs:label "Scopus"@en ;
#     govsm:flowBox govsm:prismaDatabases ; govsm:boxCount "150"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/duplicates> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaDuplicatesRemoved ; govsm:boxCount "30"^^xsd:nonNegativeInteger .
## Screening: records screened and excluded, reports sought and not retrieved, reports
## assessed and excluded (a count per reason; govsm:prismaReportsExcluded for a total).
# <REVIEW/selection-flow/screened> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaRecordsScreened ; govsm:boxCount "120"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/records-excluded> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaRecordsExcluded ; govsm:boxCount "80"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/sought> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaReportsSought ; govsm:boxCount "40"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/not-retrieved> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaReportsNotRetrieved ; govsm:boxCount "2"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/assessed> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaReportsAssessed ; govsm:boxCount "38"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/reason-population> a govsm:FlowCount ;
#     rdfs:label "wrong population"@en ;
#     govsm:flowBox govsm:prismaReportsExcludedReason ;
#     govsm:boxCount "10"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/reason-data> a govsm:FlowCount ;
#     rdfs:label "no qualitative data"@en ;
#     govsm:flowBox govsm:prismaReportsExcludedReason ;
#     govsm:boxCount "8"^^xsd:nonNegativeInteger .
## Other methods: govsm:prismaWebsites, govsm:prismaOrganisations,
## govsm:prismaCitationSearching, govsm:prismaOtherSources (a count per source), then the
## column's reports (govsm:prismaOtherReportsSought, ...NotRetrieved, ...Assessed,
## ...ExcludedReason, ...Excluded).
# <REVIEW/selection-flow/citations> a govsm:FlowCount ;
#     rdfs:label "backward citation searching"@en ;
#     govsm:flowBox govsm:prismaCitationSearching ; govsm:boxCount "6"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/other-sought> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaOtherReportsSought ; govsm:boxCount "6"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/other-not-retrieved> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaOtherReportsNotRetrieved ;
#     govsm:boxCount "1"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/other-assessed> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaOtherReportsAssessed ; govsm:boxCount "5"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/other-reason> a govsm:FlowCount ;
#     rdfs:label "not about the question"@en ;
#     govsm:flowBox govsm:prismaOtherReportsExcludedReason ;
#     govsm:boxCount "3"^^xsd:nonNegativeInteger .
## Included: studies, and reports of included studies (from both columns: 38 - 18 + 5 - 3).
## A govsm:Study record is one report: when the review's govsm:includes links are
## recorded, they number as many as the reports of included studies.
# <REVIEW/selection-flow/studies> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaStudiesIncluded ; govsm:boxCount "19"^^xsd:nonNegativeInteger .
# <REVIEW/selection-flow/reports> a govsm:FlowCount ;
#     govsm:flowBox govsm:prismaReportsIncluded ; govsm:boxCount "22"^^xsd:nonNegativeInteger .
"""


def _taxonomy_turtle(scheme: str, title: str) -> str:
    label = Literal(f"Factors of: {title}", lang="en").n3()
    return f"""# The factors and sub-factors the review codes its evidence with: one skos:Concept
# each (govsm:Factor, govsm:SubFactor), skos:inScheme this scheme, a sub-factor
# skos:broader its factor, skos:prefLabel / skos:altLabel (synonyms), skos:definition.

{_PREFIXES}
<{scheme}>
    a skos:ConceptScheme ;
    skos:prefLabel {label} .
"""


def _readme(title: str, slug: str) -> str:
    return f"""# {title}

The data of one review, one named graph per file (`BASE graph/data/{slug}/FILE`).

| file | what goes there |
|---|---|
| `review.ttl` | the review: title, description, authors, method |
| `taxonomy.ttl` | factors and sub-factors (SKOS concepts in the review's scheme) |
| `references.ttl` | the studies (`govsm:Study`: title, year, authors, venue, DOI) |
| `evidence.ttl` | coded evidence (`govsm:EvidenceItem`: study, sub-factor, direction, quote) |
| `context.ttl` | optional: contexts and context assessments (for the assessment rule) |
| `reported.ttl` | optional: classifications a published review reports (only compared) |

Or let `govsm import` write them from what your tools export, all files of one command or
none: references (`.bib`, `.ris`, CSL `.json`) into `references-imported.ttl`, a code book
(REFI-QDA `.qdc`, or a CSV/XLSX with the columns factor, subfactor, synonyms, definition)
into `taxonomy-imported-<name>.ttl`, coded evidence (REFI-QDA `.qdpx`, or a CSV/XLSX with
the columns study, factor, subfactor, direction, quote, location, coder) into
`evidence-imported-<name>.ttl`. The project's `govsm-import.toml` sets the REFI-QDA
conventions (which code holds the factors, which the directions).

Check, build and serve it, from the project folder (the one holding `data/`), or from
anywhere with `--project DIR` or `GOVSM_PROJECT=DIR`:

```sh
govsm validate
govsm build          # into dist/
govsm serve          # http://127.0.0.1:8000/
```
"""
