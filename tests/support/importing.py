"""What the importer tests share: a small BibTeX library and a REFI-QDA project folder
(project.qde + sources/) zipped as the .qdpx a QDA program exports."""

from __future__ import annotations

import zipfile
from pathlib import Path

#: Two studies as a reference manager exports them (one with a DOI).
TWO_STUDIES_BIB = """@article{mergel2016,
  author = {Mergel, Ines},
  title = {Social media institutionalization in the U.S. federal government},
  journal = {Government Information Quarterly},
  year = {2016},
}
@article{smith2020,
  author = {Smith, Jo and Lee, Kim},
  title = {Chatbots at the counter},
  journal = {Government Information Quarterly},
  year = {2020},
  doi = {10.1016/j.giq.2020.101234},
}
"""


def qdpx_of(folder: Path, target: Path, qde: str | None = None) -> Path:
    """The project in ``folder`` as a .qdpx at ``target`` (``qde``: another project.qde)."""
    with zipfile.ZipFile(target, "w") as archive:
        if qde is None:
            archive.write(folder / "project.qde", "project.qde")
        else:
            archive.writestr("project.qde", qde)
        for source in sorted((folder / "sources").iterdir()):
            archive.write(source, f"sources/{source.name}")
    return target
