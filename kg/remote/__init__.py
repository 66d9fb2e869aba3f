"""External SPARQL engines: remote queries and the push."""
