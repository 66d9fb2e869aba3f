"""SHACL Core shapes compiled into SPARQL, for the fast path on pyoxigraph.

pySHACL stays the reference validator (:mod:`kg.validation.reference`). Every top-level
constraint (one constraint component of one shape, for the focus nodes of the shape's
targets) becomes one SPARQL ``SELECT`` that returns exactly the focus nodes (and value
nodes) that violate it. Nested shapes (``sh:node``, ``sh:not``, ``sh:and``, ``sh:or``,
``sh:xone``, ``sh:qualifiedValueShape``, ``sh:property``) are inlined as a
``fails(shape, ?x)`` SPARQL expression built from ``EXISTS`` patterns, so a whole
validation is a few dozen queries whatever the size of the data.

What is compiled: targets (``sh:targetClass`` with the ``rdfs:subClassOf`` closure in the
data graph, implicit class targets, ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf``); property paths (predicate, inverse, sequence, alternative,
zero-or-more, one-or-more, zero-or-one); the Core constraint components, one module per
family as pySHACL keeps them (:mod:`.value_type`, :mod:`.cardinality`, :mod:`.value_range`,
:mod:`.string_based`, :mod:`.property_pair`, :mod:`.logical`, :mod:`.shape_based`,
:mod:`.other`; the table in :mod:`.components`); ``sh:sparql`` (SELECT-based, top level,
:mod:`.sparql`); ``sh:deactivated``, ``sh:severity``, ``sh:message``. A shape using
anything else raises :class:`NotCompiled` naming the feature, and the fast path leaves
that shape to pySHACL.

The data is validated with its literals encoded as written (:mod:`.literals`); the
queries are put together in :mod:`.assembly`.
"""

from kg.validation.compiler.assembly import compile_shapes
from kg.validation.compiler.base import NotCompiled
from kg.validation.compiler.compiled import Compiled, CompiledQuery

__all__ = ["Compiled", "CompiledQuery", "NotCompiled", "compile_shapes"]
