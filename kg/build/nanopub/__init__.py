"""Nanopublications of the derived classifications: the signing key (keys), making and
signing them (make), writing them into a build (write) and checking them (verify)."""
