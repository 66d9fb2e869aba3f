"""SPARQL query files: headers, parameters, safe binding and scanning."""
