"""REFI-QDA (the Rotterdam Exchange Format, QDA-XML 1.0): read and write ``.qdpx``
projects and ``.qdc`` code books safely, and map a coded project to evidence records.

``read_qdpx`` / ``read_qdc`` -> the typed intermediate (kg.importers.refiqda.model);
``write_qdpx`` writes it back (valid against the REFI-QDA Project XSD);
``map_evidence`` turns it into evidence-item records under documented conventions.
"""

from kg.importers.refiqda.mapping import (
    DEFAULT_MAPPING,
    DIRECTION_WORDS,
    EvidenceMapping,
    EvidenceRecord,
    check_mapping,
    codebook_factors,
    map_evidence,
    normalise_doi,
)
from kg.importers.refiqda.model import (
    CODEBOOK_NS,
    PROJECT_NS,
    Code,
    QdaProject,
    Selection,
    TextSource,
    User,
    nest_codes,
)
from kg.importers.refiqda.read import RefiQdaError, check_project, read_qdc, read_qdpx
from kg.importers.refiqda.write import project_xml, qdpx_bytes, write_qdpx

__all__ = [
    "CODEBOOK_NS",
    "DEFAULT_MAPPING",
    "DIRECTION_WORDS",
    "PROJECT_NS",
    "Code",
    "EvidenceMapping",
    "EvidenceRecord",
    "QdaProject",
    "RefiQdaError",
    "Selection",
    "TextSource",
    "User",
    "check_mapping",
    "check_project",
    "codebook_factors",
    "map_evidence",
    "nest_codes",
    "normalise_doi",
    "project_xml",
    "qdpx_bytes",
    "read_qdc",
    "read_qdpx",
    "write_qdpx",
]
