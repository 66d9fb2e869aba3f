"""The parts the package ships: the ontology, the shapes, the queries, the first review's
data, the examples and the SPARQL editor's YASGUI build.

In an installed wheel they are copies inside the package, under ``kg/_shipped/`` (the
wheel's build maps the repository's folders there: ``[tool.hatch.build.targets.wheel.
force-include]`` in pyproject.toml and ``hatch_build.py`` for YASGUI). In a checkout or
an editable install there is no ``kg/_shipped/``: the parts are the repository's own
folders, so that editing ``ontology/`` or ``queries/`` takes effect without reinstalling.
A project folder (kg.config.Project) overrides any part it has.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: Each part's folder, relative to :func:`home` (the repository's layout: an installed
#: package mirrors it, so a source's path relative to home, hence its graph IRI, is the
#: same in both).
PARTS = {
    "ontology": Path("ontology"),
    "shapes": Path("shapes"),
    "queries": Path("queries"),
    "data": Path("data"),
    "examples": Path("examples"),
    "yasgui": Path("web/node_modules/@zazuko/yasgui/build"),
}


class MissingResource(FileNotFoundError):
    """A shipped part is not where the package expects it (a broken install)."""


def _package() -> Path:
    # files() is a Traversable; for a package on the file system it is a Path. Every
    # reader of the parts (rdflib, pyoxigraph, pyshacl, HermiT) needs real files, so a
    # zipped install is not supported.
    return Path(str(files("kg")))


def installed() -> bool:
    """True when the parts are the package's copies (a wheel), False in a checkout."""
    return (_package() / "_shipped").is_dir()


def home() -> Path:
    """The folder the shipped parts are under: ``kg/_shipped`` in a wheel, the
    repository's root in a checkout."""
    package = _package()
    shipped = package / "_shipped"
    return shipped if shipped.is_dir() else package.parent


def part(name: str, *, required: bool = True) -> Path | None:
    """The folder of the shipped part ``name`` (a key of PARTS); MissingResource naming
    the folder when it is absent (None if not ``required``)."""
    folder = home() / PARTS[name]
    if folder.is_dir():
        return folder
    if required:
        raise MissingResource(f"the package's {name} folder {folder} does not exist")
    return None
