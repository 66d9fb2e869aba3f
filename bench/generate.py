"""Synthetic reviews for the scale benchmark and the validation tests.

``python -m bench.generate --studies N [--evidence-per-study M] [--contexts K] [--seed S]
--out DIR [--inject KIND=COUNT ...]`` writes a project folder ``DIR`` that ``govsm`` and
:class:`kg.config.Project` read as they read this repository:

- ``DIR/ontology``, ``DIR/shapes``, ``DIR/queries``: copies of the project's own;
- ``DIR/data/synthetic/``: one review in exactly the data format of
  ``data/social-media-service-delivery/`` (the same ten files, so the same named
  graphs): the review and its process, N studies with authors and venues, M coded
  evidence items per study, K contexts with one assessment and one reported
  classification per sub-factor, in-text citations, appraisals, data-quality issues;
- ``DIR/generated.json``: the parameters, the triple count, the injected violations per
  kind and every SHACL / check-query result that validation must report (see
  :class:`Expected`).

Without ``--inject`` the data conforms to the shapes and check queries, every derived
classification matches the reported one (``govsm build`` passes), and the only results are
the warnings the generator lists (studies without a DOI, assessments inferred from a
general statement, evidence coded from a title). ``--inject KIND=COUNT`` plants COUNT
violations of one kind (:data:`INJECTIONS`; ``--list-kinds`` prints them), each giving
known report entries (focus node, path, constraint component, severity, shape).

Everything is a function of the parameters and the seed: two runs write byte-identical
files. The review reuses the project's factor taxonomy IRIs (4 factors, 16 sub-factors),
so the site, the derivation rules and the reports work on it unchanged.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: The checkout (the benchmark runs from one): its ontology/, shapes/, queries/.
REPO_ROOT = Path(__file__).resolve().parents[1]

ID = "https://w3id.org/govsm/id/"
GOVSM = "https://w3id.org/govsm/ontology#"
SH = "http://www.w3.org/ns/shacl#"
SHAPE = "https://w3id.org/govsm/shapes#"
DCTERMS = "http://purl.org/dc/terms/"
BIBO = "http://purl.org/ontology/bibo/"
FABIO = "http://purl.org/spar/fabio/"
FOAF = "http://xmlns.com/foaf/0.1/"
CITO = "http://purl.org/spar/cito/"
OA = "http://www.w3.org/ns/oa#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Default evidence items per study: with our format (about 12 triples per evidence item
#: and its quote, 25 per study record with its author list), 2 items per study give the
#: issue's sizes, about 0.5 M triples at 10^4 studies and 5 M at 10^5.
EVIDENCE_PER_STUDY = 2
REVIEW_SLUG = "synthetic"
REVIEW = f"{ID}review/{REVIEW_SLUG}"
PROCESS = f"{ID}process/{REVIEW_SLUG}"
CODER = f"{ID}agent/govsm-kg-project"
SCHEME = f"{ID}scheme/social-media-service-delivery-factors"
TOOL = f"{ID}appraisal-tool/{REVIEW_SLUG}-glynn"
DATA_FILES = (
    "appraisal.ttl",
    "citations.ttl",
    "context.ttl",
    "data-quality.ttl",
    "evidence.ttl",
    "platforms.ttl",
    "references.ttl",
    "reported.ttl",
    "review.ttl",
    "taxonomy.ttl",
)
#: Name of the check-query "component" in reports (as kg.validation.CHECK_COMPONENT).
CHECK = "check-query"

PREFIXES = {
    "govsm": GOVSM,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": DCTERMS,
    "bibo": BIBO,
    "fabio": FABIO,
    "foaf": FOAF,
    "cito": CITO,
    "oa": OA,
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "wd": "http://www.wikidata.org/entity/",
}

FACTORS = {
    "managerial": "managerial",
    "organizational": "organizational",
    "human": "human",
    "infrastructural": "infrastructural",
}
# (slug, preferred label, factor, condition): the project's taxonomy.
SUBFACTORS: tuple[tuple[str, str, str, str], ...] = (
    ("transparency", "transparency", "managerial", "Government action is transparent."),
    ("enforcement", "enforcement", "managerial", "The executive capacity exists."),
    ("manager-training", "manager training", "managerial", "Managers are trained."),
    ("capital-budgeting", "capital budgeting", "managerial", "Capital budget is allocated."),
    ("organizational-policies", "organizational policies", "organizational", "Policies help."),
    (
        "organizational-structure-and-communication",
        "organizational structure and communication",
        "organizational",
        "Structure and communication suit the use.",
    ),
    ("organizational-processes", "organizational processes", "organizational", "Processes fit."),
    ("user-training", "user training", "human", "Users are trained."),
    ("user-resistance", "user resistance", "human", "Users do not resist the change."),
    ("usability", "usability", "human", "The platform is usable."),
    ("citizen-experience", "citizen experience", "human", "Citizens are experienced."),
    ("technical-infrastructure", "technical infrastructure", "infrastructural", "It exists."),
    ("financial-infrastructure", "financial infrastructure", "infrastructural", "It exists."),
    ("legal-infrastructure", "legal infrastructure", "infrastructural", "Laws exist."),
    ("specialized-infrastructure", "specialized infrastructure", "infrastructural", "It exists."),
    ("cultural-infrastructure", "cultural infrastructure", "infrastructural", "It exists."),
)
STEP_KINDS = (
    "researchQuestionStep",
    "systematicSearchStep",
    "screeningStep",
    "appraisalStep",
    "extractionStep",
    "synthesisStep",
    "presentationStep",
)
PLATFORMS = (("facebook", "Facebook"), ("twitter", "Twitter"), ("weibo", "Weibo"))
COUNTRIES = (
    ("iran", "Iran", "Q794"),
    ("turkey", "Turkey", "Q43"),
    ("china", "China", "Q148"),
    ("south-korea", "South Korea", "Q884"),
    ("netherlands", "Netherlands", "Q55"),
    ("united-states", "United States", "Q30"),
    ("denmark", "Denmark", "Q35"),
    ("canada", "Canada", "Q16"),
)
FAMILIES = [
    "mergel",
    "adams",
    "baker",
    "chen",
    "dubois",
    "evans",
    "fischer",
    "garcia",
    "hansen",
    "ito",
    "jensen",
    "kim",
    "lopez",
    "moreau",
    "nakamura",
    "olsen",
    "petrov",
    "quinn",
    "rossi",
    "silva",
    "tanaka",
    "urban",
    "vargas",
    "weber",
    "xu",
    "yilmaz",
    "zhang",
    "novak",
    "horvat",
    "costa",
]
TITLE_WORDS = [
    "social",
    "media",
    "government",
    "service",
    "delivery",
    "citizen",
    "trust",
    "municipal",
    "platforms",
    "engagement",
    "adoption",
    "public",
    "agencies",
    "digital",
    "channels",
    "transparency",
    "policy",
    "infrastructure",
    "training",
    "resistance",
    "usability",
    "budgets",
    "networks",
    "twitter",
    "facebook",
    "participation",
    "communication",
    "e-government",
    "local",
    "open",
    "data",
    "innovation",
]
ANSWERS = ("answerYes", "answerNo", "answerUnclear", "answerNotApplicable")


# --------------------------------------------------------------------------------------
# What validation must report
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One result validation must report: the fields the differential tests compare.

    ``component`` is a SHACL constraint component IRI, or ``"check-query"`` for a row of
    ``queries/checks/*-violation.rq``, whose file name is then ``shape``. ``path`` is the
    property IRI (None where the result has no path). ``kind`` is the injection kind that
    caused it, or ``"clean"`` for the warnings clean data has by design.
    """

    severity: str  # "Violation" or "Warning"
    focus: str
    path: str | None
    component: str
    shape: str
    kind: str = "clean"

    def key(self) -> tuple[str, str, str | None, str, str]:
        """(severity, focus, path, component, shape): what a report entry is compared by."""
        return (self.severity, self.focus, self.path, self.component, self.shape)


# (severity, component local name or CHECK, path IRI or None, shape local name or check file)
Entry = tuple[str, str, str | None, str]


@dataclass(frozen=True)
class Injection:
    """A kind of violation the generator can plant, and what each instance must produce.

    ``entries`` are the report entries of one instance whose focus is the target; an entry
    whose path starts with ``"@"`` has as focus the target's resource named after the ``@``
    (see the kind's description).
    """

    name: str
    target: str  # what is modified: study, evidence, title-evidence, assessment, ...
    description: str
    entries: tuple[Entry, ...]
    max_count: int | None = None


def _e(sev: str, comp: str, path: str | None, shape: str) -> Entry:
    return (sev, comp, path, shape)


V, W = "Violation", "Warning"
INJECTIONS: dict[str, Injection] = {
    i.name: i
    for i in (
        Injection(
            "study-missing-title",
            "study",
            "a study without dcterms:title and without an incomplete-record issue (sh:or)",
            (
                _e(V, "OrConstraintComponent", None, "StudyShape"),
                _e(
                    W, "MinCountConstraintComponent", DCTERMS + "title", "StudyShape-title-minCount"
                ),
            ),
        ),
        Injection(
            "study-two-titles",
            "study",
            "a study with two dcterms:title values (sh:maxCount)",
            (_e(V, "MaxCountConstraintComponent", DCTERMS + "title", "StudyShape-title-maxCount"),),
        ),
        Injection(
            "study-year-not-gyear",
            "study",
            "a publication year typed xsd:integer instead of xsd:gYear (sh:datatype)",
            (
                _e(
                    V,
                    "DatatypeConstraintComponent",
                    FABIO + "hasPublicationYear",
                    "StudyShape-hasPublicationYear-datatype",
                ),
            ),
        ),
        Injection(
            "study-doi-as-url",
            "study-with-doi",
            "a DOI written as an https://doi.org/ URL (sh:pattern)",
            (_e(V, "PatternConstraintComponent", BIBO + "doi", "StudyShape-doi-datatype"),),
        ),
        Injection(
            "study-venue-not-a-venue",
            "study",
            "govsm:publishedIn pointing to a person (sh:class govsm:Venue)",
            (
                _e(
                    V,
                    "ClassConstraintComponent",
                    GOVSM + "publishedIn",
                    "StudyShape-publishedIn-class",
                ),
            ),
        ),
        Injection(
            "creator-not-in-author-list",
            "study",
            "a dcterms:creator missing from the study's bibo:authorList (check query)",
            (_e(V, CHECK, None, "creator-authorlist-mismatch-violation.rq"),),
        ),
        Injection(
            "venue-without-title",
            "venue",
            "a venue without dcterms:title (sh:minCount)",
            (_e(V, "MinCountConstraintComponent", DCTERMS + "title", "VenueShape-title-count"),),
        ),
        Injection(
            "person-without-name",
            "person",
            "a person with neither foaf:name nor rdfs:label (sh:or; plus the no-name warning)",
            (
                _e(V, "OrConstraintComponent", None, "PersonShape"),
                _e(W, "MinCountConstraintComponent", FOAF + "name", "PersonShape-name-minCount"),
            ),
        ),
        Injection(
            "evidence-about-a-factor",
            "evidence",
            "govsm:aboutSubFactor pointing to a factor, not a sub-factor (sh:class)",
            (
                _e(
                    V,
                    "ClassConstraintComponent",
                    GOVSM + "aboutSubFactor",
                    "EvidenceItemShape-aboutSubFactor-class",
                ),
            ),
        ),
        Injection(
            "evidence-without-quote",
            "evidence",
            "an evidence item without govsm:hasQuote (sh:minCount)",
            (
                _e(
                    V,
                    "MinCountConstraintComponent",
                    GOVSM + "hasQuote",
                    "EvidenceItemShape-hasQuote-count",
                ),
            ),
        ),
        Injection(
            "evidence-unknown-coding-basis",
            "evidence",
            "a govsm:codingBasis outside the three bases (sh:in)",
            (
                _e(
                    V,
                    "InConstraintComponent",
                    GOVSM + "codingBasis",
                    "EvidenceItemShape-codingBasis-in",
                ),
            ),
        ),
        Injection(
            "evidence-two-sources",
            "evidence",
            "an evidence item with two govsm:evidenceSource values (sh:maxCount)",
            (
                _e(
                    V,
                    "MaxCountConstraintComponent",
                    GOVSM + "evidenceSource",
                    "EvidenceItemShape-evidenceSource-count",
                ),
            ),
        ),
        Injection(
            "evidence-derived-from-reported",
            "evidence",
            "an evidence item prov:wasDerivedFrom a reported classification (check query)",
            (_e(V, CHECK, None, "reported-classification-as-input-violation.rq"),),
        ),
        Injection(
            "title-quote-not-in-title",
            "title-evidence",
            "title-only evidence whose quote is not in the study's title (SPARQL constraint)",
            (_e(V, "SPARQLConstraintComponent", None, "EvidenceItemShape"),),
        ),
        Injection(
            "title-evidence-quoted-from-review",
            "title-evidence",
            "title-only evidence quoted from the review, not the study (SPARQL constraint)",
            (_e(V, "SPARQLConstraintComponent", GOVSM + "quotedFrom", "EvidenceItemShape"),),
        ),
        Injection(
            "empty-quote",
            "evidence",
            "an evidence item's quote selector whose oa:exact is blank: focus the selector "
            "(sh:pattern and the empty-quote check query)",
            (
                _e(
                    V,
                    "PatternConstraintComponent",
                    OA + "exact",
                    "TextQuoteSelectorShape-exact-datatype",
                ),
                _e(V, CHECK, None, "empty-quote-violation.rq"),
            ),
        ),
        Injection(
            "assessment-unknown-status",
            "assessment",
            "a govsm:conditionStatus outside the four statuses (sh:in)",
            (
                _e(
                    V,
                    "InConstraintComponent",
                    GOVSM + "conditionStatus",
                    "ContextAssessmentShape-conditionStatus-in",
                ),
            ),
        ),
        Injection(
            "assessment-duplicate",
            "assessment",
            "a second assessment of the same sub-factor in the same context "
            "(SPARQL constraint, once on each of the two)",
            (
                _e(V, "SPARQLConstraintComponent", None, "ContextAssessmentShape"),
                _e(V, "SPARQLConstraintComponent", "@duplicate", "ContextAssessmentShape"),
            ),
        ),
        Injection(
            "assessment-missing",
            "assessment",
            "a context assessment left out: focus the sub-factor (check query)",
            (_e(V, CHECK, None, "subfactor-without-assessment-violation.rq"),),
        ),
        Injection(
            "context-jurisdiction-literal",
            "context",
            "a jurisdiction given as a name, not an IRI (sh:nodeKind; plus the pattern warning)",
            (
                _e(
                    V,
                    "NodeKindConstraintComponent",
                    GOVSM + "jurisdiction",
                    "ContextShape-jurisdiction-nodeKind",
                ),
                _e(
                    W,
                    "PatternConstraintComponent",
                    GOVSM + "jurisdiction",
                    "ContextShape-jurisdiction-pattern",
                ),
            ),
        ),
        Injection(
            "reported-label-language-tagged",
            "reported",
            "a govsm:reportedLabel with a language tag, not a plain string (sh:datatype)",
            (
                _e(
                    V,
                    "DatatypeConstraintComponent",
                    GOVSM + "reportedLabel",
                    "ReportedClassificationShape-reportedLabel-datatype",
                ),
            ),
        ),
        Injection(
            "citation-two-cited-works",
            "citation",
            "an in-text citation with two cito:hasCitedEntity values (sh:maxCount)",
            (
                _e(
                    V,
                    "MaxCountConstraintComponent",
                    CITO + "hasCitedEntity",
                    "InTextCitationShape-hasCitedEntity-count",
                ),
            ),
        ),
        Injection(
            "appraisal-score-above-one",
            "appraisal",
            "an appraisal score of 1.5 (sh:maxInclusive 1)",
            (
                _e(
                    V,
                    "MaxInclusiveConstraintComponent",
                    GOVSM + "appraisalScore",
                    "AppraisalShape-appraisalScore",
                ),
            ),
        ),
        Injection(
            "answer-unknown-value",
            "appraisal",
            "an appraisal answer whose value is not one of the four (sh:in): focus the answer",
            (
                _e(
                    V,
                    "InConstraintComponent",
                    GOVSM + "answerValue",
                    "AppraisalAnswerShape-answerValue-in",
                ),
            ),
        ),
        Injection(
            "step-shared-position",
            "process",
            "two method steps of the review process at one position (SPARQL constraint)",
            (_e(V, "SPARQLConstraintComponent", None, "ReviewProcessShape"),),
            max_count=1,
        ),
    )
}


# --------------------------------------------------------------------------------------
# Turtle writing
# --------------------------------------------------------------------------------------


def iri(value: str) -> str:
    return f"<{value}>"


def lit(text: str, datatype: str | None = None, lang: str | None = None) -> str:
    """A Turtle literal (the generator's strings never hold quotes or backslashes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{escaped}"@{lang}'
    if datatype:
        return f'"{escaped}"^^xsd:{datatype}'
    return f'"{escaped}"'


Props = list[tuple[str, str]]  # (predicate as written, object as written)


def block(subject: str, props: Props) -> str:
    """One Turtle subject block; objects of a repeated predicate are joined by commas."""
    lines: list[str] = []
    merged: dict[str, list[str]] = {}
    for pred, obj in props:
        merged.setdefault(pred, []).append(obj)
    for pred, objs in merged.items():
        lines.append(f"    {pred} {' , '.join(objs)}")
    return f"{iri(subject)}\n" + " ;\n".join(lines) + " .\n\n"


class TurtleFile:
    """A data file written block by block, counting triples as it goes."""

    def __init__(self, path: Path, banner: str, prefixes: tuple[str, ...]) -> None:
        self.handle = path.open("w", encoding="utf-8")
        self.triples = 0
        self.handle.write(f"# {banner}\n# Synthetic data: generated by bench/generate.py.\n\n")
        for name in prefixes:
            self.handle.write(f"@prefix {name}: <{PREFIXES[name]}> .\n")
        self.handle.write("\n")

    def add(self, subject: str, props: Props) -> None:
        if not props:
            return
        self.triples += len(props)
        self.handle.write(block(subject, props))

    def raw(self, text: str, triples: int) -> None:
        self.triples += triples
        self.handle.write(text)

    def close(self) -> None:
        self.handle.close()


def _drop(props: Props, pred: str) -> Props:
    return [(p, o) for p, o in props if p != pred]


def _replace(props: Props, pred: str, obj: str) -> Props:
    return [(p, obj if p == pred else o) for p, o in props]


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------


@dataclass
class Generated:
    """What :func:`generate` wrote."""

    root: Path
    review_dir: Path
    studies: int
    evidence_per_study: int
    contexts: int
    seed: int
    triples: int
    injected: dict[str, int] = field(default_factory=dict)
    expected: list[Expected] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """The data files, in name order."""
        return [self.review_dir / name for name in DATA_FILES]

    def violations(self) -> list[Expected]:
        """Expected results of severity Violation."""
        return [e for e in self.expected if e.severity == V]


class GenerateError(ValueError):
    """Parameters the generator cannot honour."""


@dataclass(frozen=True)
class _Study:
    index: int
    slug: str
    iri: str
    family: str
    year: int
    title: str | None  # None: the entry prints no title (an incomplete-record issue says so)
    authors: tuple[str, ...]
    venue: str
    doi: str | None
    title_evidence: bool  # its first evidence item is coded from the title only


def _slug_study(i: int, family: str, year: int) -> str:
    return f"{family}-{year}-s{i + 1}"


class _Plan:
    """Which targets get which injected violation (disjoint targets per category)."""

    def __init__(self, inject: Mapping[str, int], rng: random.Random, pools: dict) -> None:
        self.by_target: dict[tuple[str, object], str] = {}
        self.counts: dict[str, int] = {}
        used: dict[str, set] = {}
        for name in sorted(inject):
            count = inject[name]
            if name not in INJECTIONS:
                known = ", ".join(sorted(INJECTIONS))
                raise GenerateError(f"unknown injection kind {name!r}; known kinds: {known}")
            if count < 0:
                raise GenerateError(f"--inject {name}={count}: the count must be 0 or more")
            if count == 0:
                continue
            kind = INJECTIONS[name]
            if kind.max_count is not None and count > kind.max_count:
                raise GenerateError(
                    f"--inject {name}={count}: at most {kind.max_count} can be planted"
                )
            category = _CATEGORY.get(kind.target, kind.target)
            taken = used.setdefault(category, set())
            pool = [t for t in pools[kind.target] if t not in taken]
            if len(pool) < count:
                raise GenerateError(
                    f"--inject {name}={count}: only {len(pool)} eligible {kind.target} "
                    "targets left at this size; generate more studies or inject fewer"
                )
            for target in sorted(rng.sample(pool, count), key=str):
                taken.add(target)
                self.by_target[(category, target)] = name
            self.counts[name] = count

    def kind(self, category: str, target: object) -> str | None:
        return self.by_target.get((category, target))


# Targets that share resources share a category (one injected kind per resource).
_CATEGORY = {"study-with-doi": "study", "title-evidence": "evidence"}


PROJECT_FOLDERS = ("ontology", "shapes", "queries")


def copy_project_folders(out: Path) -> None:
    """Put fresh copies of the project's ontology, shapes and queries into ``out``.

    Also called on cached data before each measurement: stale copies would measure the
    queries and shapes of the day the data was generated, not the ones being changed.
    """
    for folder in PROJECT_FOLDERS:
        target = out / folder
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(REPO_ROOT / folder, target)


def generate(
    out: Path,
    studies: int,
    evidence_per_study: int = EVIDENCE_PER_STUDY,
    contexts: int = 4,
    seed: int = 0,
    inject: Mapping[str, int] | None = None,
    copy_project: bool = True,
) -> Generated:
    """Write a synthetic review project into ``out`` (see the module docstring)."""
    if studies < 1 or evidence_per_study < 1 or contexts < 1:
        raise GenerateError("studies, evidence per study and contexts must be 1 or more")
    if studies * evidence_per_study < len(SUBFACTORS):
        raise GenerateError(
            f"{studies} studies x {evidence_per_study} evidence items cannot cover the "
            f"{len(SUBFACTORS)} sub-factors (every sub-factor needs evidence)"
        )
    out = Path(out)
    review_dir = out / "data" / REVIEW_SLUG
    review_dir.mkdir(parents=True, exist_ok=True)
    if copy_project:
        copy_project_folders(out)

    rng = random.Random(seed)
    gen = _Generator(review_dir, studies, evidence_per_study, contexts, rng)
    plan = _Plan(inject or {}, random.Random(f"inject-{seed}"), gen.pools())
    gen.plan = plan
    gen.write_all()
    result = Generated(
        root=out,
        review_dir=review_dir,
        studies=studies,
        evidence_per_study=evidence_per_study,
        contexts=contexts,
        seed=seed,
        triples=gen.triples,
        injected=dict(sorted(plan.counts.items())),
        expected=sorted(gen.expected, key=lambda e: (*e.key()[:2], e.key()[2] or "", *e.key()[3:])),
    )
    manifest = {
        "studies": studies,
        "evidence_per_study": evidence_per_study,
        "contexts": contexts,
        "seed": seed,
        "triples": gen.triples,
        "injected": result.injected,
        "expected": [asdict(e) for e in result.expected],
    }
    (out / "generated.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return result


class _Generator:
    """Writes the ten data files; records every expected report entry as it goes."""

    def __init__(self, folder: Path, n: int, m: int, k: int, rng: random.Random) -> None:
        self.folder, self.n, self.m, self.k = folder, n, m, k
        self.plan: _Plan
        self.expected: list[Expected] = []
        self.triples = 0
        # the population, drawn once from the seed
        self.persons = [
            (f"{ID}person/{FAMILIES[p % len(FAMILIES)]}-{chr(97 + p % 26)}{p + 1}", p)
            for p in range(max(20, n))
        ]
        self.venues = [f"{ID}venue/{REVIEW_SLUG}-journal-{v + 1}" for v in range(max(3, n // 100))]
        self.studies: list[_Study] = []
        for i in range(n):
            family = FAMILIES[rng.randrange(len(FAMILIES))]
            year = rng.randrange(2000, 2024)
            slug = _slug_study(i, family, year)
            has_title = i % 97 != 50
            words = rng.sample(TITLE_WORDS, 6)
            title = f"{words[0].capitalize()} {' '.join(words[1:])} (synthetic study {i + 1})"
            n_auth = 1 + rng.randrange(3)
            authors = tuple(
                self.persons[rng.randrange(len(self.persons))][0] for _ in range(n_auth)
            )
            authors = tuple(dict.fromkeys(authors))  # no person twice in one list
            self.studies.append(
                _Study(
                    index=i,
                    slug=slug,
                    iri=f"{ID}study/{slug}",
                    family=family,
                    year=year,
                    title=title if has_title else None,
                    authors=authors,
                    venue=self.venues[rng.randrange(len(self.venues))],
                    doi=None if i % 3 == 2 else f"10.5555/synthetic.{i + 1}",
                    title_evidence=has_title and i % 7 == 3,
                )
            )
        self.contexts = []
        for c in range(k):
            if c < len(COUNTRIES):
                self.contexts.append(COUNTRIES[c])
            else:
                self.contexts.append((f"region-{c + 1}", f"Region {c + 1}", f"Q{100000 + c}"))
        # conditions per (context, sub-factor): met -> driver, not met -> preventer
        self.status = {
            (c, s): rng.choice(("conditionMet", "conditionNotMet"))
            for c in range(k)
            for s in range(len(SUBFACTORS))
        }
        self.inferred = {key: rng.random() < 0.3 for key in self.status}
        self.directions = [rng.choice((None, "driver", "preventer", "mixed")) for _ in range(n * m)]

    # -- targets ----------------------------------------------------------------------

    def pools(self) -> dict[str, list]:
        plain = [s.index for s in self.studies if s.title and not s.title_evidence]
        return {
            "study": plain,
            "study-with-doi": [i for i in plain if self.studies[i].doi],
            "venue": list(range(len(self.venues))),
            "person": [p for _, p in self.persons],
            "evidence": [
                (s.index, j)
                for s in self.studies
                for j in range(self.m)
                if not (j == 0 and s.title_evidence)
            ],
            "title-evidence": [(s.index, 0) for s in self.studies if s.title_evidence],
            "assessment": [(c, s) for c in range(self.k) for s in range(len(SUBFACTORS))],
            "context": list(range(self.k)),
            "reported": [(c, s) for c in range(self.k) for s in range(len(SUBFACTORS))],
            "citation": [s.index for s in self.studies if self._cited(s)],
            "appraisal": [s.index for s in self.studies if self._appraised(s)],
            "process": [0],
        }

    @staticmethod
    def _cited(s: _Study) -> bool:
        return s.index % 10 == 0

    @staticmethod
    def _appraised(s: _Study) -> bool:
        return s.index % 10 == 5

    def expect(self, kind: str, focus: str, resources: Mapping[str, str] | None = None) -> None:
        """Record the entries of one planted instance of ``kind`` (focus = the target)."""
        for severity, comp, path, shape in INJECTIONS[kind].entries:
            where = focus
            if path is not None and path.startswith("@"):
                where, path = (resources or {})[path[1:]], None
            component = comp if comp == CHECK else SH + comp
            shape_id = shape if shape.endswith(".rq") else SHAPE + shape
            self.expected.append(Expected(severity, where, path, component, shape_id, kind))

    def warn(self, focus: str, comp: str, path: str, shape: str) -> None:
        self.expected.append(Expected(W, focus, path, SH + comp, SHAPE + shape))

    # -- files ------------------------------------------------------------------------

    def open(self, name: str, banner: str, prefixes: tuple[str, ...]) -> TurtleFile:
        return TurtleFile(self.folder / name, banner, prefixes)

    def write_all(self) -> None:
        for writer in (
            self.write_review,
            self.write_taxonomy,
            self.write_references,
            self.write_citations,
            self.write_data_quality,
            self.write_appraisal,
            self.write_evidence,
            self.write_context,
            self.write_reported,
            self.write_platforms,
        ):
            writer()

    def _quote(self, f: TurtleFile, holder: str, text: str, name: str = "quote") -> str:
        selector = f"{holder}/{name}"
        f.add(selector, [("a", "oa:TextQuoteSelector"), ("oa:exact", lit(text))])
        return selector

    def _close(self, f: TurtleFile) -> None:
        f.close()
        self.triples += f.triples

    def write_review(self) -> None:
        f = self.open(
            "review.ttl",
            "The synthetic review, its process and method.",
            ("govsm", "rdfs", "xsd", "skos", "dcterms", "bibo", "foaf", "oa"),
        )
        authors = [self.persons[0][0], self.persons[1][0]]
        f.raw(
            f"{iri(REVIEW)} bibo:authorList ( {' '.join(iri(a) for a in authors)} ) .\n\n",
            1 + 2 * len(authors),
        )
        quote = self._quote(f, REVIEW, "a synthetic meta-synthesis of studies on social media")
        f.add(
            REVIEW,
            [
                ("a", "govsm:MetaSynthesis"),
                ("rdfs:label", lit(f"Synthetic review of {self.n} studies", lang="en")),
                ("dcterms:title", lit(f"A synthetic review of {self.n} studies")),
                *[("dcterms:creator", iri(a)) for a in authors],
                ("govsm:producedBy", iri(PROCESS)),
                *[
                    ("govsm:hasResearchQuestion", iri(f"{REVIEW}/research-question/{q}"))
                    for q in (1, 2)
                ],
                ("govsm:reportedIncludedCount", lit(str(self.n), "nonNegativeInteger")),
                ("dcterms:subject", iri(SCHEME)),
                ("govsm:hasQuote", iri(quote)),
                ("govsm:quotedFrom", iri(REVIEW)),
            ],
        )
        for q in (1, 2):
            rq = f"{REVIEW}/research-question/{q}"
            f.add(
                rq,
                [
                    ("a", "govsm:ResearchQuestion"),
                    ("rdfs:label", lit(f"Research question {q}", lang="en")),
                    ("govsm:questionText", lit(f"which factors matter, question {q}")),
                ],
            )
        method = f"{ID}method/{REVIEW_SLUG}-seven-step"
        steps = [f"{PROCESS}/step/{p + 1}" for p in range(len(STEP_KINDS))]
        f.add(
            PROCESS,
            [
                ("a", "govsm:ReviewProcess"),
                ("rdfs:label", lit("Process of the synthetic review", lang="en")),
                ("govsm:followsMethod", iri(method)),
                *[("govsm:hasStep", iri(s)) for s in steps],
                ("govsm:usedAppraisalTool", iri(TOOL)),
            ],
        )
        f.add(
            method,
            [("a", "govsm:ReviewMethod"), ("rdfs:label", lit("Seven-step method", lang="en"))],
        )
        shared = self.plan.kind("process", 0) == "step-shared-position"
        if shared:
            self.expect("step-shared-position", PROCESS)
        for p, (step, kind) in enumerate(zip(steps, STEP_KINDS, strict=True)):
            position = 1 if (shared and p == 1) else p + 1
            f.add(
                step,
                [
                    ("a", "govsm:MethodStep"),
                    ("rdfs:label", lit(f"Step {p + 1}", lang="en")),
                    ("govsm:stepPosition", lit(str(position), "positiveInteger")),
                    ("govsm:stepKind", f"govsm:{kind}"),
                ],
            )
        self._close(f)

    def write_taxonomy(self) -> None:
        f = self.open(
            "taxonomy.ttl", "The factor taxonomy (the project's IRIs).", ("govsm", "skos")
        )
        f.add(
            SCHEME,
            [
                ("a", "skos:ConceptScheme"),
                ("skos:prefLabel", lit("Factors of government use of social media", lang="en")),
                *[("skos:hasTopConcept", iri(f"{ID}factor/{x}")) for x in FACTORS],
            ],
        )
        for slug, label in FACTORS.items():
            f.add(
                f"{ID}factor/{slug}",
                [
                    ("a", "govsm:Factor"),
                    ("skos:inScheme", iri(SCHEME)),
                    ("skos:topConceptOf", iri(SCHEME)),
                    ("skos:prefLabel", lit(label, lang="en")),
                ],
            )
        for slug, label, factor, condition in SUBFACTORS:
            f.add(
                f"{ID}subfactor/{slug}",
                [
                    ("a", "govsm:SubFactor"),
                    ("skos:inScheme", iri(SCHEME)),
                    ("skos:broader", iri(f"{ID}factor/{factor}")),
                    ("skos:prefLabel", lit(label, lang="en")),
                    ("govsm:condition", lit(condition, lang="en")),
                ],
            )
        self._close(f)

    def write_references(self) -> None:
        f = self.open(
            "references.ttl",
            "The reference list: studies, authors, venues.",
            ("govsm", "rdf", "xsd", "dcterms", "bibo", "fabio", "foaf", "schema"),
        )
        f.add(REVIEW, [("govsm:citesWork", iri(s.iri)) for s in self.studies])
        for s in self.studies:
            kind = self.plan.kind("study", s.index)
            authors = list(s.authors)
            creators = list(authors)
            props: Props = [
                ("a", "govsm:Study"),
                ("a", "bibo:AcademicArticle"),
                ("govsm:referencePosition", lit(str(s.index + 1), "positiveInteger")),
                (
                    "govsm:referenceText",
                    lit(f"{s.family.capitalize()}, A. ({s.year}). {s.title or ''}. Journal."),
                ),
            ]
            if s.title is not None:
                props.append(("dcterms:title", lit(s.title)))
            props.append(("fabio:hasPublicationYear", lit(str(s.year), "gYear")))
            props += [("dcterms:creator", iri(a)) for a in creators]
            props.append(("govsm:publishedIn", iri(s.venue)))
            props.append(("bibo:volume", lit(str(1 + s.index % 40))))
            if s.doi:
                props.append(("bibo:doi", lit(s.doi)))
            if s.index % 5 == 0:
                platform = PLATFORMS[s.index % len(PLATFORMS)][0]
                props.append(("govsm:mentionsPlatform", iri(f"{ID}platform/{platform}")))
            if kind == "study-missing-title":
                props = _drop(props, "dcterms:title")
            elif kind == "study-two-titles":
                props.append(("dcterms:title", lit(f"{s.title}: a second title")))
            elif kind == "study-year-not-gyear":
                props = _replace(props, "fabio:hasPublicationYear", lit(str(s.year), "integer"))
            elif kind == "study-doi-as-url":
                props = _replace(props, "bibo:doi", lit(f"https://doi.org/{s.doi}"))
            elif kind == "study-venue-not-a-venue":
                props = _replace(props, "govsm:publishedIn", iri(authors[0]))
            elif kind == "creator-not-in-author-list":
                extra = next(p for p, _ in self.persons if p not in authors)
                props.append(("dcterms:creator", iri(extra)))
            if kind:
                self.expect(kind, s.iri)
            f.raw(
                f"{iri(s.iri)} bibo:authorList ( {' '.join(iri(a) for a in authors)} ) .\n",
                1 + 2 * len(authors),
            )
            f.add(s.iri, props)
            if s.title is None:  # an entry printed without title (an issue says so)
                self.warn(
                    s.iri,
                    "MinCountConstraintComponent",
                    DCTERMS + "title",
                    "StudyShape-title-minCount",
                )
            if not any(p == "bibo:doi" for p, _ in props):
                self.warn(
                    s.iri, "MinCountConstraintComponent", BIBO + "doi", "StudyShape-doi-minCount"
                )
        for person, p in self.persons:
            family = FAMILIES[p % len(FAMILIES)]
            props = [
                ("a", "govsm:Person"),
                ("a", "foaf:Person"),
                ("foaf:name", lit(f"{family.capitalize()}, {chr(65 + p % 26)}.")),
                ("foaf:familyName", lit(family.capitalize())),
            ]
            if self.plan.kind("person", p) == "person-without-name":
                props = _drop(props, "foaf:name")
                self.expect("person-without-name", person)
            f.add(person, props)
        for v, venue in enumerate(self.venues):
            props = [
                ("a", "govsm:Venue"),
                ("a", "bibo:Journal"),
                ("dcterms:title", lit(f"Journal of Synthetic Studies {v + 1}")),
            ]
            if self.plan.kind("venue", v) == "venue-without-title":
                props = _drop(props, "dcterms:title")
                self.expect("venue-without-title", venue)
            f.add(venue, props)
        self._close(f)

    def write_citations(self) -> None:
        f = self.open(
            "citations.ttl",
            "In-text citations of the studies the review summarises.",
            ("govsm", "rdfs", "oa", "cito"),
        )
        cited = [s for s in self.studies if self._cited(s)]
        f.add(REVIEW, [("govsm:summarises", iri(s.iri)) for s in cited])
        for s in cited:
            cit = f"{ID}citation/{REVIEW_SLUG}/{s.slug}"
            quote = self._quote(f, cit, f"{s.family.capitalize()} ({s.year})")
            props: Props = [
                ("a", "govsm:InTextCitation"),
                ("a", "cito:Citation"),
                ("rdfs:label", lit(f"In-text citation of {s.slug}", lang="en")),
                ("cito:hasCitingEntity", iri(REVIEW)),
                ("cito:hasCitedEntity", iri(s.iri)),
                ("govsm:hasQuote", iri(quote)),
                ("govsm:quotedFrom", iri(REVIEW)),
                ("govsm:inSection", lit("Literature Review")),
            ]
            if self.plan.kind("citation", s.index) == "citation-two-cited-works":
                other = self.studies[(s.index + 1) % self.n]
                props.append(("cito:hasCitedEntity", iri(other.iri)))
                self.expect("citation-two-cited-works", cit)
            f.add(cit, props)
        self._close(f)

    def write_data_quality(self) -> None:
        f = self.open(
            "data-quality.ttl",
            "Data-quality issues: entries printed without title.",
            ("govsm", "dcterms", "oa"),
        )
        for s in self.studies:
            if s.title is not None:
                continue
            issue = f"{ID}data-quality/{s.slug}-incomplete"
            quote = self._quote(f, issue, f"{s.family.capitalize()}, A. ({s.year}).")
            f.add(
                issue,
                [
                    ("a", "govsm:DataQualityIssue"),
                    ("govsm:issueKind", "govsm:incompleteRecord"),
                    ("govsm:concerns", iri(s.iri)),
                    ("dcterms:description", lit("The entry prints no title.", lang="en")),
                    ("govsm:resolution", lit("Recorded without a title.", lang="en")),
                    ("govsm:hasQuote", iri(quote)),
                    ("govsm:quotedFrom", iri(REVIEW)),
                    ("govsm:codedBy", iri(CODER)),
                ],
            )
        self._close(f)

    def write_appraisal(self) -> None:
        f = self.open(
            "appraisal.ttl",
            "The appraisal tool and per-study appraisals.",
            ("govsm", "rdfs", "xsd"),
        )
        f.add(
            TOOL,
            [
                ("a", "govsm:AppraisalTool"),
                ("rdfs:label", lit("Synthetic appraisal tool", lang="en")),
                ("govsm:inclusionThreshold", lit("0.75", "decimal")),
            ],
        )
        questions = [f"{TOOL}/question/{q + 1}" for q in range(3)]
        for q, question in enumerate(questions):
            f.add(
                question,
                [
                    ("a", "govsm:AppraisalQuestion"),
                    ("govsm:questionOf", iri(TOOL)),
                    ("govsm:questionText", lit(f"Appraisal question {q + 1}")),
                ],
            )
        for s in self.studies:
            if not self._appraised(s):
                continue
            kind = self.plan.kind("appraisal", s.index)
            appraisal = f"{ID}appraisal/{REVIEW_SLUG}/{s.slug}"
            answers = [f"{appraisal}/answer/{q + 1}" for q in range(3)]
            score = "1.5" if kind == "appraisal-score-above-one" else "0.67"
            f.add(
                appraisal,
                [
                    ("a", "govsm:Appraisal"),
                    ("govsm:appraisedStudy", iri(s.iri)),
                    ("govsm:usedTool", iri(TOOL)),
                    ("govsm:appraisalScore", lit(score, "decimal")),
                    ("govsm:appraisalDecision", "govsm:decisionInclude"),
                    *[("govsm:hasAnswer", iri(a)) for a in answers],
                ],
            )
            if kind == "appraisal-score-above-one":
                self.expect(kind, appraisal)
            for q, answer in enumerate(answers):
                value = ANSWERS[(s.index + q) % len(ANSWERS)]
                if kind == "answer-unknown-value" and q == 0:
                    value = "answerMaybe"
                    self.expect(kind, answer)
                f.add(
                    answer,
                    [
                        ("a", "govsm:AppraisalAnswer"),
                        ("govsm:answersQuestion", iri(questions[q])),
                        ("govsm:answerValue", f"govsm:{value}"),
                    ],
                )
        self._close(f)

    def write_evidence(self) -> None:
        f = self.open(
            "evidence.ttl",
            "Coded evidence: M items per study, one quote each.",
            ("govsm", "dcterms", "oa", "prov"),
        )
        first_reported = f"{ID}reported/{REVIEW_SLUG}/{self.contexts[0][0]}/{SUBFACTORS[0][0]}"
        for s in self.studies:
            for j in range(self.m):
                number = s.index * self.m + j
                item = f"{ID}evidence/{s.slug}-{j + 1}"
                sub_slug, sub_label = SUBFACTORS[number % len(SUBFACTORS)][:2]
                title_only = j == 0 and s.title_evidence
                kind = self.plan.kind("evidence", (s.index, j))
                if title_only:
                    assert s.title is not None
                    text = " ".join(s.title.split()[:3])
                else:
                    text = f"finding {j + 1} of study {s.index + 1} on {sub_label}"
                if kind == "title-quote-not-in-title":
                    text = f"words that are not in the title of study {s.index + 1}"
                if kind == "empty-quote":
                    text = "   "
                selector = f"{item}/quote"
                props: Props = [
                    ("a", "govsm:EvidenceItem"),
                    ("govsm:evidenceSource", iri(s.iri)),
                    (
                        "govsm:codingBasis",
                        "govsm:basisStudyTitle" if title_only else "govsm:basisReviewSummary",
                    ),
                    ("govsm:aboutSubFactor", iri(f"{ID}subfactor/{sub_slug}")),
                ]
                direction = self.directions[number]
                if direction:
                    props.append(("govsm:indicatesDirection", f"govsm:{direction}"))
                props += [
                    ("govsm:hasQuote", iri(selector)),
                    ("govsm:quotedFrom", iri(s.iri if title_only else REVIEW)),
                    ("govsm:inSection", lit("Reference list" if title_only else "Results")),
                    ("govsm:codedBy", iri(CODER)),
                ]
                write_selector = True
                if kind == "evidence-about-a-factor":
                    factor = SUBFACTORS[number % len(SUBFACTORS)][2]
                    props = _replace(props, "govsm:aboutSubFactor", iri(f"{ID}factor/{factor}"))
                elif kind == "evidence-without-quote":
                    props = _drop(props, "govsm:hasQuote")
                    write_selector = False
                elif kind == "evidence-unknown-coding-basis":
                    props = _replace(props, "govsm:codingBasis", "govsm:basisGuess")
                elif kind == "evidence-two-sources":
                    other = self.studies[(s.index + 1) % self.n]
                    props.append(("govsm:evidenceSource", iri(other.iri)))
                elif kind == "evidence-derived-from-reported":
                    props.append(("prov:wasDerivedFrom", iri(first_reported)))
                elif kind == "title-evidence-quoted-from-review":
                    props = _replace(props, "govsm:quotedFrom", iri(REVIEW))
                if kind == "empty-quote":
                    self.expect(kind, selector)
                elif kind:
                    self.expect(kind, item)
                f.add(item, props)
                if title_only:
                    self.warn(
                        item,
                        "NotConstraintComponent",
                        GOVSM + "codingBasis",
                        "EvidenceItemShape-codingBasis-not",
                    )
                if write_selector:
                    f.add(selector, [("a", "oa:TextQuoteSelector"), ("oa:exact", lit(text))])
        self._close(f)

    def write_context(self) -> None:
        f = self.open(
            "context.ttl",
            "Contexts and one assessment per sub-factor in each.",
            ("govsm", "rdfs", "dcterms", "oa", "wd"),
        )
        for c, (slug, label, qid) in enumerate(self.contexts):
            context = f"{ID}context/{slug}"
            jurisdiction = f"wd:{qid}"
            if self.plan.kind("context", c) == "context-jurisdiction-literal":
                jurisdiction = lit(label)
                self.expect("context-jurisdiction-literal", context)
            f.add(
                context,
                [
                    ("a", "govsm:Context"),
                    ("rdfs:label", lit(label, lang="en")),
                    ("govsm:jurisdiction", jurisdiction),
                    ("govsm:codedBy", iri(CODER)),
                ],
            )
            for s, (sub_slug, sub_label, _, _) in enumerate(SUBFACTORS):
                kind = self.plan.kind("assessment", (c, s))
                subfactor = f"{ID}subfactor/{sub_slug}"
                assessment = f"{ID}assessment/{slug}/{sub_slug}"
                if kind == "assessment-missing":
                    self.expect(kind, subfactor)
                    continue
                status = self.status[(c, s)]
                if kind == "assessment-unknown-status":
                    status = "driver"
                inferred = self.inferred[(c, s)]
                self._assessment(
                    f, assessment, subfactor, context, sub_label, label, status, inferred
                )
                if kind == "assessment-duplicate":
                    duplicate = f"{assessment}-duplicate"
                    self._assessment(
                        f,
                        duplicate,
                        subfactor,
                        context,
                        sub_label,
                        label,
                        self.status[(c, s)],
                        False,
                    )
                    self.expect(kind, assessment, {"duplicate": duplicate})
                elif kind:
                    self.expect(kind, assessment)
        self._close(f)

    def _assessment(
        self,
        f: TurtleFile,
        assessment: str,
        subfactor: str,
        context: str,
        sub_label: str,
        label: str,
        status: str,
        inferred: bool,
    ) -> None:
        quote = self._quote(f, assessment, f"the state of {sub_label} in {label}")
        basis = "inferredFromGeneralStatement" if inferred else "explicitStatement"
        f.add(
            assessment,
            [
                ("a", "govsm:ContextAssessment"),
                ("rdfs:label", lit(f"Assessment of {sub_label} in {label}", lang="en")),
                ("govsm:assessedSubFactor", iri(subfactor)),
                ("govsm:inContext", iri(context)),
                ("govsm:conditionStatus", f"govsm:{status}"),
                ("govsm:assessmentBasis", f"govsm:{basis}"),
                ("govsm:justification", lit("Synthetic justification.", lang="en")),
                ("govsm:hasQuote", iri(quote)),
                ("govsm:quotedFrom", iri(REVIEW)),
                ("govsm:inSection", lit("Results")),
                ("govsm:codedBy", iri(CODER)),
            ],
        )
        if inferred:
            self.warn(
                assessment,
                "NotConstraintComponent",
                GOVSM + "assessmentBasis",
                "ContextAssessmentShape-assessmentBasis-not",
            )

    def write_reported(self) -> None:
        f = self.open(
            "reported.ttl",
            "Reported classifications (compared, never rule input).",
            ("govsm", "rdfs", "oa"),
        )
        for c, (slug, label, _) in enumerate(self.contexts):
            for s, (sub_slug, sub_label, _, _) in enumerate(SUBFACTORS):
                reported = f"{ID}reported/{REVIEW_SLUG}/{slug}/{sub_slug}"
                met = self.status[(c, s)] == "conditionMet"
                word = "motivator" if met else "preventive"
                quote = self._quote(f, reported, f"{sub_label} sub-factor: {word}")
                label_lit = lit(word)
                if self.plan.kind("reported", (c, s)) == "reported-label-language-tagged":
                    label_lit = lit(word, lang="en")
                    self.expect("reported-label-language-tagged", reported)
                f.add(
                    reported,
                    [
                        ("a", "govsm:ReportedClassification"),
                        ("rdfs:label", lit(f"Reported: {sub_label} ({label})", lang="en")),
                        ("govsm:classifiedSubFactor", iri(f"{ID}subfactor/{sub_slug}")),
                        ("govsm:inContext", iri(f"{ID}context/{slug}")),
                        ("govsm:hasDirection", "govsm:driver" if met else "govsm:preventer"),
                        ("govsm:reportedLabel", label_lit),
                        ("govsm:reportedIn", iri(REVIEW)),
                        ("govsm:hasQuote", iri(quote)),
                        ("govsm:quotedFrom", iri(REVIEW)),
                        ("govsm:inSection", lit("Results")),
                    ],
                )
        self._close(f)

    def write_platforms(self) -> None:
        f = self.open("platforms.ttl", "Social-media platforms.", ("govsm", "rdfs", "schema"))
        for slug, name in PLATFORMS:
            f.add(
                f"{ID}platform/{slug}",
                [
                    ("a", "govsm:SocialMediaPlatform"),
                    ("rdfs:label", lit(name, lang="en")),
                    ("schema:name", lit(name)),
                ],
            )
        self._close(f)


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def _parse_inject(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or not count.strip().isdigit():
            raise GenerateError(f"--inject {value!r}: expected KIND=COUNT, e.g. empty-quote=3")
        out[name.strip()] = out.get(name.strip(), 0) + int(count)
    return out


def iter_kinds() -> Iterator[str]:
    """One line per injection kind: name, what it plants, entries per instance."""
    for name, kind in INJECTIONS.items():
        limit = f" (at most {kind.max_count})" if kind.max_count else ""
        yield f"{name:34} {kind.description}; {len(kind.entries)} result(s) each{limit}"


def main(argv: list[str] | None = None, echo: Callable[[str], None] = print) -> int:
    """Command line; exit 0, or 2 with a one-line reason on bad parameters."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--studies", type=int, default=100)
    parser.add_argument("--evidence-per-study", type=int, default=EVIDENCE_PER_STUDY)
    parser.add_argument("--contexts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--inject", action="append", default=[], metavar="KIND=COUNT")
    parser.add_argument("--list-kinds", action="store_true", help="list the injection kinds")
    args = parser.parse_args(argv)
    if args.list_kinds:
        for line in iter_kinds():
            echo(line)
        return 0
    if args.out is None:
        parser.error("--out DIR is required")
    try:
        done = generate(
            args.out,
            args.studies,
            args.evidence_per_study,
            args.contexts,
            args.seed,
            _parse_inject(args.inject),
        )
    except GenerateError as exc:
        print(f"bench.generate: {exc}", file=sys.stderr)
        return 2
    injected = ", ".join(f"{k}={v}" for k, v in done.injected.items()) or "none"
    echo(
        f"{done.root}: {done.studies} studies x {done.evidence_per_study} evidence items, "
        f"{done.contexts} contexts, seed {done.seed}: {done.triples} data triples; "
        f"injected: {injected}; expected results: {len(done.violations())} violation(s), "
        f"{len(done.expected) - len(done.violations())} warning(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
