"""The SPARQL endpoint of ``govsm serve``: the SPARQL 1.1 Protocol (``protocol``), the
service that checks and runs queries under limits (``service``, ``guard``,
``executor``, ``limits``, ``formats``, ``description``), the named-query catalogue
(``catalogue``) served as an API (``api``, ``openapi``) and the browser editor
(``editor``). Content negotiation is :mod:`kg.web.negotiation`; the HTML pages are
templates of :mod:`kg.web.templates`."""
