"""Incremental validation for the editing loop: after a data file changes, re-check only
what that file can affect (:mod:`.run`), with an on-disk cache (:mod:`.cache`) of the
stores, the files as last validated and the report. A changed file is cut into statement
blocks (:mod:`.blocks`), its graph patched with the blocks that differ (:mod:`.patch`),
and the focus nodes the change can reach re-checked (:mod:`.affected`).
"""

from kg.validation.incremental.cache import CacheBusy, default_cache_dir
from kg.validation.incremental.run import Outcome, validate_incremental

__all__ = ["CacheBusy", "Outcome", "default_cache_dir", "validate_incremental"]
