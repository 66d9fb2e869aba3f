"""Small projects made for a test: data files copied into a folder of their own, with
the repository's ontology, shapes and queries unless told otherwise, validated as
``govsm validate`` does (loaded into the engine, then kg.validation.validate)."""

from __future__ import annotations

import shutil
from pathlib import Path

from kg.config import Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.load import load
from kg.validation import ValidationReport, validate

REPO = Path(__file__).resolve().parents[2]


def project_with(
    folder: Path,
    *data: Path,
    shapes: Path | None = None,
    ontology: Path | None = None,
    checks: bool = True,
) -> Project:
    """A project in ``folder`` whose data are copies of ``data`` (each under
    ``data/<its folder's name>/``); the repository's check queries only with ``checks``."""
    for path in data:
        target = folder / "data" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    return Project(
        root=folder,
        ontology_dir=ontology or REPO / "ontology",
        shapes_dir=shapes or REPO / "shapes",
        queries_dir=REPO / "queries" if checks else folder / "queries",
    )


def validate_files(
    folder: Path,
    *data: Path,
    validator: str = "fast",
    shapes: Path | None = None,
    ontology: Path | None = None,
    checks: bool = True,
) -> ValidationReport:
    """Validate copies of ``data`` (see :func:`project_with`) with ``validator``."""
    project = project_with(folder, *data, shapes=shapes, ontology=ontology, checks=checks)
    return validate(load(project, DEFAULT_BASE), project, validator)
