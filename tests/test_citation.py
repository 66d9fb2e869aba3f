"""The licence and citation files agree with each other, with pyproject.toml and with
the ontology's own dcterms:license."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import rdflib
import yaml

ROOT = Path(__file__).resolve().parents[1]
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def test_versions_and_licences_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    zenodo = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert project["version"] == cff["version"] == zenodo["version"]
    assert project["license"] == cff["license"] == zenodo["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert cff["title"] == zenodo["title"]


def test_citation_file_has_what_cff_requires() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff[key], key
    assert all("name" in a or "family-names" in a for a in cff["authors"])


def test_the_data_licence_is_the_ontologys() -> None:
    graph = rdflib.Graph().parse(ROOT / "ontology" / "govsm.ttl")
    licences = {str(o) for o in graph.objects(None, rdflib.DCTERMS.license)}
    assert licences == {CC_BY}
    assert CC_BY in (ROOT / "LICENSE-DATA.md").read_text(encoding="utf-8")
