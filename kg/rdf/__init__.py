"""RDF terms, the two engines, loading source files and canonical labels."""
