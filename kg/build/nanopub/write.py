"""The build's nanopublications, written into its temporary folder (kg.build.atomic)
beside the dumps: ``nanopubs/<slug>.trig``, one per derived classification, and
``nanopubs/index.trig``, the index nanopublication that lists them all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kg.build.nanopub.make import make_nanopubs
from kg.config import NanopubKey
from kg.rdf.load import Loaded
from kg.stages.derive import Derivation

FOLDER = "nanopubs"


def write_nanopubs(
    folder: Path,
    loaded: Loaded,
    derivations: list[Derivation],
    key: NanopubKey | None,
    log: Callable[[str], None],
) -> int:
    """Sign and write the nanopublications into ``folder/nanopubs/`` (none without a
    key: the build says so); how many files were written."""
    if key is None:
        log(
            "nanopub: none written (no signing key; govsm build --nanopub-key PATH or "
            "GOVSM_NANOPUB_KEY signs one per derived classification)"
        )
        return 0
    signed = make_nanopubs(loaded, derivations, key)
    out = folder / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    for np in signed:
        (out / f"{np.slug}.trig").write_text(np.trig, encoding="utf-8")
    creator = key.orcid or "no creator (no --nanopub-orcid)"
    findings = sum(1 for np in signed if not np.index)
    log(
        f"nanopub: {findings} signed nanopublications (one per derived classification) and "
        f"their index, with trusty URIs, in {FOLDER}/ (key {key.source}, {creator}); "
        "nothing published"
    )
    return len(signed)
