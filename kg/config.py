"""Where things are and how a build is configured."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg import resources
from kg.prefixes import DEFAULT_BASE

DEFAULT_RULES = "auto"  # kg.stages.derive.AUTO: chosen from the data
_BASE_RE = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._~/-]*)?/$")


class ConfigError(ValueError):
    """A build option is not usable (a usage error)."""


#: The environment variable naming the project folder (as ``--project`` does).
PROJECT_ENV = "GOVSM_PROJECT"


@dataclass(frozen=True)
class Project:
    """The folders a build reads: ontology, shapes, data, queries and templates.

    ``root`` is the project folder; each part it has (``root/ontology``, ``root/shapes``,
    ``root/data``, ``root/queries``, ``root/templates``) is used whole, and each part it
    lacks is the package's (kg.resources). The ``*_dir`` fields (``--ontology``,
    ``--shapes``, ``--data``) override both. The default root is the package's own
    (kg.resources.home: the repository in a checkout), i.e. the first review.
    """

    root: Path = field(default_factory=resources.home)
    ontology_dir: Path | None = None
    shapes_dir: Path | None = None
    data_dirs: tuple[Path, ...] = ()
    queries_dir: Path | None = None
    # Where outputs (dist/) and caches (.govsm-cache/) go; None: see ``workspace``.
    outputs: Path | None = None

    def find(self, relative: str | Path) -> Path:
        """``root/relative`` if the project has it, else the package's (kg.resources.home),
        which may not exist either: the caller says what is missing."""
        own = self.root / relative
        return own if own.exists() else resources.home() / relative

    @property
    def ontology(self) -> Path:
        return self.ontology_dir or self.find("ontology")

    @property
    def shapes(self) -> Path:
        return self.shapes_dir or self.find("shapes")

    @property
    def data(self) -> tuple[Path, ...]:
        return self.data_dirs or (self.find("data"),)

    @property
    def queries(self) -> Path:
        return self.queries_dir or self.find("queries")

    @property
    def checks(self) -> Path:
        return self.queries / "checks"

    @property
    def templates(self) -> Path:
        """Page templates and style.css that override the package's (kg.web.templates)."""
        return self.root / "templates"

    @property
    def workspace(self) -> Path:
        """Where the project's outputs (``dist/``) and caches (``.govsm-cache/``) go:
        ``outputs`` if set, else its folder, or the current directory when the project is
        the installed package's own (never site-packages)."""
        if self.outputs is not None:
            return self.outputs
        if resources.installed() and self.root == resources.home():
            return Path.cwd()
        return self.root

    def missing(self) -> list[tuple[str, Path]]:
        """The folders this project names that do not exist, each with what it is."""
        named = [("ontology", self.ontology), ("shapes", self.shapes)]
        named += [("data", d) for d in self.data] + [("queries", self.queries)]
        return [(what, path) for what, path in named if not path.is_dir()]

    def check(self) -> Project:
        """This project, or ConfigError naming each folder it needs that does not exist."""
        if not self.root.is_dir():
            raise ConfigError(f"project folder {self.root} does not exist")
        gone = self.missing()
        if gone:
            raise ConfigError(
                "; ".join(f"{what} folder {path} does not exist" for what, path in gone)
            )
        return self


def looks_like_project(folder: Path) -> bool:
    """The rule for the current directory: a project when it has a ``data/`` folder with
    a Turtle file in it or in one of its sub-folders (what ``govsm init`` writes)."""
    data = folder / "data"
    return data.is_dir() and any(
        p.is_file() for pattern in ("*.ttl", "*/*.ttl") for p in data.glob(pattern)
    )


def choose_project(given: Path | None) -> Project:
    """The project: the folder ``given`` (``--project``, or ``GOVSM_PROJECT`` which the CLI
    reads into it), else the current directory if it looks like a project
    (:func:`looks_like_project`), each with its outputs in it; else the package's own
    first review, with its outputs in the current directory."""
    if given is not None:
        if not given.is_dir():
            raise ConfigError(f"project folder {given} does not exist")
        return Project(root=given, outputs=given)
    cwd = Path.cwd()
    if looks_like_project(cwd):
        return Project(root=cwd, outputs=cwd)
    return Project(root=resources.home(), outputs=cwd)


@dataclass(frozen=True)
class NanopubKey:
    """The key a user supplies to sign the build's nanopublications (kg.build.nanopub),
    with the creator it names: an ORCID IRI and a name, both optional."""

    private_key: str = field(repr=False)  # PEM or base64 DER; never printed
    source: str  # where it was read from, for messages
    orcid: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class BuildOptions:
    """Options of ``govsm build`` (and of the stages it runs)."""

    base: str = DEFAULT_BASE
    engine: str = "oxigraph"
    rules: str = DEFAULT_RULES
    out: Path = field(default_factory=lambda: Path("dist"))
    reason: bool = True
    # The static site (dist/site/): True a page per resource always, False no site, None
    # (default) a page per resource up to kg.build.pipeline.SITE_MAX_RESOURCES resources and
    # above it the site-level pages only (govsm serve renders resource pages on demand).
    site: bool | None = None
    # Sign a nanopublication per derived classification into dist/nanopubs/ (None: none).
    nanopub: NanopubKey | None = None
    # govsm serve's query store dist/store/ (kg.build.store): True always, False never,
    # None (default) when `govsm serve --store auto` would read it (memory too short for a
    # copy of the graph per worker); without it govsm serve makes it when it needs it.
    store: bool | None = None


def check_base(base: str) -> str:
    """Return a usable base IRI: absolute http(s), lower-case, ending in '/'."""
    if not _BASE_RE.match(base):
        raise ConfigError(
            f"base IRI {base!r} must be a lower-case absolute http(s) IRI ending in '/'"
        )
    return base


def rewriter(base: str):  # noqa: ANN201 - returns Callable[[str], str] | None
    """Map instance IRIs under the default base to the chosen base (None when unchanged)."""
    if base == DEFAULT_BASE:
        return None
    moved = tuple(DEFAULT_BASE + part for part in ("id/", "rule/"))

    def rewrite(iri: str) -> str:
        for old in moved:
            if iri.startswith(old):
                return base + iri[len(DEFAULT_BASE) :]
        return iri

    return rewrite
