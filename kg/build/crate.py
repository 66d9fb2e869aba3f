"""The RO-Crate of a release (``ro-crate-metadata.json``, written with the ``rocrate``
package): the root dataset (name and description from the data, kg.stages.about; the
licence the ontology declares; the reviews' ``dcterms:creator``s; the version and date),
each file with its media type and SHA-256, and the software that made it, as the
instrument of a ``CreateAction``.

Nothing in it comes from the clock: the date is the caller's (kg.build.release takes it
from SOURCE_DATE_EPOCH or the command line), so that a release can be made again byte for
byte.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from rocrate.rocrate import ROCrate

from kg.prefixes import ONTOLOGY_IRI, PREFIXES
from kg.rdf.engine import Engine
from kg.stages.about import about
from kg.web.site import file_sha256

#: The metadata file of an RO-Crate (RO-Crate 1.1).
METADATA = "ro-crate-metadata.json"
#: The distribution this package is installed as.
DISTRIBUTION = "govsm-kg"
#: Media types of the files a release holds (others: no encodingFormat).
FORMATS = {
    ".nq": "application/n-quads",
    ".ttl": "text/turtle",
    ".html": "text/html",
    ".md": "text/markdown",
    ".json": "application/json",
}

_CREATORS = f"""PREFIX govsm: <{PREFIXES["govsm"]}>
PREFIX rdfs: <{PREFIXES["rdfs"]}>
PREFIX dcterms: <{PREFIXES["dcterms"]}>
PREFIX foaf: <{PREFIXES["foaf"]}>
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?creator ?name WHERE {{
  ?class rdfs:subClassOf* govsm:Review . ?review a ?class ; dcterms:creator ?creator .
  FILTER(isIRI(?creator))
  OPTIONAL {{ ?creator foaf:name|schema:name|rdfs:label ?name }}
}}"""

_LICENSES = f"""PREFIX dcterms: <{PREFIXES["dcterms"]}>
SELECT DISTINCT ?license WHERE {{
  <{ONTOLOGY_IRI}> dcterms:license ?license . FILTER(isIRI(?license))
}}"""


@dataclass
class CrateFacts:
    """What the crate says beyond its files."""

    version: str
    date: datetime.date
    software_version: str


def software_version() -> str:
    """The installed govsm-kg's version ("unknown" when it is not installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def creators(engine: Engine) -> list[tuple[str, str | None]]:
    """The reviews' creators: (IRI, name or None), by IRI; of several names the first in
    code-point order, so the crate is deterministic."""
    names: dict[str, list[str]] = {}
    for row in engine.select(_CREATORS).rows:
        if row[0] is None:
            continue
        found = names.setdefault(str(row[0]), [])
        if row[1] is not None:
            found.append(str(row[1]))
    return [(iri, min(names[iri]) if names[iri] else None) for iri in sorted(names)]


def licenses(engine: Engine) -> list[str]:
    """The licences the ontology declares (dcterms:license), sorted."""
    return sorted(str(row[0]) for row in engine.select(_LICENSES).rows if row[0] is not None)


def write_crate(folder: Path, engine: Engine, facts: CrateFacts) -> None:
    """Write ``folder/ro-crate-metadata.json`` describing every file under ``folder``."""
    crate = ROCrate()
    described = about(engine)
    crate.name = f"{described.title} {facts.version}"
    crate.description = described.description
    crate.root_dataset["version"] = facts.version
    crate.root_dataset["datePublished"] = facts.date.isoformat()
    for iri in licenses(engine):
        crate.license = crate.add_jsonld({"@id": iri, "@type": "CreativeWork", "name": iri})
    people = []
    for iri, name in creators(engine):
        person = {"@id": iri, "@type": "Person"}
        if name is not None:
            person["name"] = name
        people.append(crate.add_jsonld(person))
    if people:
        crate.creator = people
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        properties = {"sha256": file_sha256(path), "contentSize": str(path.stat().st_size)}
        if path.suffix in FORMATS:
            properties["encodingFormat"] = FORMATS[path.suffix]
        files.append(crate.add_file(path, dest_path=name, properties=properties))
    software = crate.add_jsonld(
        {
            "@id": f"#software-{DISTRIBUTION}-{facts.software_version}",
            "@type": "SoftwareApplication",
            "name": DISTRIBUTION,
            "version": facts.software_version,
        }
    )
    crate.add_action(
        software,
        identifier=f"#release-{facts.version}",
        result=files,
        properties={"@type": "CreateAction", "name": f"govsm release {facts.version}",
                    "endTime": facts.date.isoformat()},
    )  # fmt: skip
    crate.metadata.write(folder)
