"""The web: the linked-data site, the SPARQL endpoint and the server."""
