"""GovSM-KG: a systematic review as a validated, derivable, traceable knowledge graph."""

__version__ = "0.1.0"
