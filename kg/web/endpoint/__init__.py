"""The SPARQL endpoint of ``govsm serve``: the SPARQL 1.1 Protocol (``protocol``), the
service that checks and runs queries under limits (``service``, ``guard``,
``executor``, ``limits``, ``formats``, ``description``), the named-query API (``api``)
and the browser editor (``editor``)."""
