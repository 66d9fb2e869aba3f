"""Where things are and how a build is configured."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.prefixes import DEFAULT_BASE

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RULES = "auto"  # kg.stages.derive.AUTO: chosen from the data
_BASE_RE = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._~/-]*)?/$")


class ConfigError(ValueError):
    """A build option is not usable (a usage error)."""


@dataclass(frozen=True)
class Project:
    """The folders a build reads: ontology, shapes, data and queries."""

    root: Path = REPO_ROOT
    ontology_dir: Path | None = None
    shapes_dir: Path | None = None
    data_dirs: tuple[Path, ...] = ()
    queries_dir: Path | None = None

    @property
    def ontology(self) -> Path:
        return self.ontology_dir or self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.shapes_dir or self.root / "shapes"

    @property
    def data(self) -> tuple[Path, ...]:
        return self.data_dirs or (self.root / "data",)

    @property
    def queries(self) -> Path:
        return self.queries_dir or self.root / "queries"

    @property
    def checks(self) -> Path:
        return self.queries / "checks"

    @property
    def templates(self) -> Path:
        """Page templates and style.css that override the package's (kg.web.templates)."""
        return self.root / "templates"


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
    # above it the site-level pages only (resource pages are rendered on demand).
    site: bool | None = None
    # Sign a nanopublication per derived classification into dist/nanopubs/ (None: none).
    nanopub: NanopubKey | None = None


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
