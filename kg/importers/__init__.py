"""Importers: files that reviewers' tools write (BibTeX/RIS/CSL-JSON, REFI-QDA, CSV/XLSX
codebooks) read into typed intermediates, then mapped onto the GovSM data model; and a new
review's files (``scaffold``, ``govsm init``).

The layer sits above kg.rdf / kg.sparql / kg.prefixes / kg.config and below kg.cli; it
imports neither kg.web nor kg.build nor kg.cli (tests/test_architecture.py). Untrusted
archives and XML are read through kg.importers.safe."""
