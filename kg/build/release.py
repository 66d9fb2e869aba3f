"""Versioned releases: ``govsm release VERSION`` writes ``dist/releases/VERSION/``.

A release is a build whose N-Quads use the W3C standard's blank-node labels (RDFC-1.0,
kg.rdf.canon.rdfc10_nquads) instead of the project's fast ones, so anybody can check a
dump with a standard tool; ``SHA256SUMS`` (``sha256sum -c`` format) covers every other
file of the bundle. The build runs into a temporary folder; the bundle is written into
its own temporary folder and moved into place in one step (kg.build.atomic), and an
existing version is never replaced: a published version does not change.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox

from kg.build import pipeline
from kg.build.atomic import atomic_folder
from kg.build.crate import CrateFacts, software_version, write_crate
from kg.config import BuildOptions, ConfigError, Project
from kg.rdf.canon import CanonicalisationLimitError, rdfc10_nquads
from kg.rdf.engine import Engine
from kg.web.site import file_sha256
from kg.web.site.ontology_docs import version_path
from kg.web.site.rdfio import turtle

#: Semantic Versioning 2.0.0 (semver.org's own pattern), e.g. 1.0.0, 0.2.0-rc.1.
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)

#: The bundle's checksum file, in ``sha256sum`` format.
SUMS = "SHA256SUMS"
#: The changelog of a project, beside its dist/ (Keep a Changelog headings).
CHANGELOG = "CHANGELOG.md"
_CHANGELOG_HEAD = (
    "# Changelog\n\nReleases of this dataset (`govsm release VERSION`), newest first.\n"
)


class ReleaseError(ConfigError):
    """A release cannot be made as asked (a usage error: exit 2)."""


@dataclass
class Release:
    """A written release: its version, folder and files (relative, sorted)."""

    version: str
    folder: Path
    files: list[str]


def check_version(version: str) -> str:
    """``version`` if it is a semantic version (``MAJOR.MINOR.PATCH[-pre][+build]``),
    else ReleaseError."""
    if not SEMVER.fullmatch(version):
        raise ReleaseError(
            f"release version {version!r} is not a semantic version such as 1.0.0 or 0.2.0-rc.1"
        )
    return version


def release_date(given: str | None = None) -> datetime.date:
    """The release's date: ``given`` (YYYY-MM-DD), else SOURCE_DATE_EPOCH's (UTC), else
    today's (UTC): the one date in a release, so the same sources on the same date give
    the same bytes."""
    if given is not None:
        try:
            return datetime.date.fromisoformat(given)
        except ValueError:
            raise ReleaseError(f"release date {given!r} is not a date YYYY-MM-DD") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise ReleaseError(f"SOURCE_DATE_EPOCH={epoch!r} is not a Unix time") from None
    return datetime.datetime.now(datetime.UTC).date()


def _quiet(_: str) -> None:
    """A log that says nothing."""


def release(
    project: Project,
    options: BuildOptions,
    version: str,
    releases: Path,
    date: datetime.date,
    log: pipeline.Log = _quiet,
) -> Release:
    """Build ``project`` and write release ``version`` into ``releases/VERSION/``
    (atomically); ReleaseError for a bad or existing version (checked before building)."""
    check_version(version)
    target = releases / version
    if target.exists():
        raise ReleaseError(f"release {version} exists already: {target} (versions never change)")
    with tempfile.TemporaryDirectory(prefix="govsm-release-") as tmp:
        built = Path(tmp) / "dist"
        # no static site: the bundle holds the data; the site comes from govsm build
        result = pipeline.build(project, replace(options, out=built, site=False), log=log)
        facts = CrateFacts(version, date, software_version())
        with atomic_folder(target) as folder:
            ontology = {s.graph for s in result.loaded.sources if s.kind == "ontology"}
            write_bundle(built, folder, result.loaded.engine, facts, ontology)
    files = sorted(
        path.relative_to(target).as_posix() for path in target.rglob("*") if path.is_file()
    )
    log(f"release: {target}/ ({len(files)} files)")
    return Release(version, target, files)


def write_bundle(
    built: Path, folder: Path, engine: Engine, facts: CrateFacts, ontology: set[str]
) -> None:
    """The bundle of the build in ``built`` (its data in ``engine``, its ontology in the
    named graphs ``ontology``), into ``folder``: RDFC-1.0 N-Quads, the Turtle as built,
    the ontology under its version IRI, the RO-Crate describing them, then the sums of
    everything."""
    dataset = ox.Dataset(ox.parse(path=built / "govsm.nq", format=ox.RdfFormat.N_QUADS))
    try:
        canonical = rdfc10_nquads(dataset)
    except CanonicalisationLimitError as exc:
        raise ReleaseError(f"cannot release: {exc}; nothing written") from None
    (folder / "govsm.nq").write_bytes(canonical.encode("utf-8"))
    shutil.copyfile(built / "govsm.ttl", folder / "govsm.ttl")
    write_ontology(folder, canonical, ontology)
    write_crate(folder, engine, facts)
    write_sums(folder)


def write_ontology(folder: Path, canonical: str, graphs: set[str]) -> str | None:
    """``folder/ontology/VERSION.ttl``: the ontology (the union of ``graphs``, blank nodes
    as RDFC-1.0 labelled them in ``canonical``) named after its owl:versionIRI; its
    relative path, or None when the ontology declares no usable version IRI."""
    quads = ox.parse(canonical.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    triples = {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in quads
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in graphs
    }
    ordered = sorted(triples, key=str)
    path = version_path(ordered)
    if path is None:
        return None
    target = folder / f"{path}.ttl"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(turtle(ordered), encoding="utf-8")
    return target.relative_to(folder).as_posix()


def write_sums(folder: Path) -> None:
    """``folder/SHA256SUMS``: a ``sha256sum`` line (hash, two spaces, path relative to
    ``folder``) for every other file under ``folder``, in path order."""
    lines = []
    for path in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix()):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name != SUMS:
            lines.append(f"{file_sha256(path)}  {name}\n")
    (folder / SUMS).write_text("".join(lines), encoding="utf-8")


def changelog_entry(made: Release, date: datetime.date) -> str:
    """The changelog entry of a release: its version and date, what it holds (quads of
    the N-Quads, their SHA-256) and the files of the bundle."""
    nquads = made.folder / "govsm.nq"
    with nquads.open("rb") as stream:
        quads = sum(1 for _ in stream)
    listed = ", ".join(f"`{name}`" for name in made.files)
    return (
        f"## [{made.version}] - {date.isoformat()}\n\n"
        f"- {quads} quads (`govsm.nq`, RDFC-1.0 canonical N-Quads, "
        f"SHA-256 {file_sha256(nquads)}).\n"
        f"- Files: {listed}.\n"
    )


def add_to_changelog(path: Path, version: str, entry: str) -> bool:
    """Put ``entry`` first among the entries of the changelog ``path`` (made when
    missing); False, and nothing written, when it has an entry for ``version``."""
    text = path.read_text(encoding="utf-8") if path.exists() else _CHANGELOG_HEAD
    if re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE):
        return False
    first = re.search(r"^## ", text, re.MULTILINE)
    at = first.start() if first else len(text)
    head = text[:at].rstrip("\n") + "\n\n"
    rest = text[at:]
    path.write_text(head + entry + ("\n" + rest if rest else ""), encoding="utf-8")
    return True
