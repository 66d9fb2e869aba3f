"""The wheel's build hook: copy the repository's shipped folders into the wheel under
``kg/_shipped/`` (where kg.resources finds them), as listed in pyproject.toml
(``[tool.hatch.build.targets.wheel.hooks.custom]``: ``shipped``, ``optional``).

Why a hook rather than hatchling's ``force-include`` table: force-include also copies the
folders into an editable install's site-packages, where they would shadow nothing but go
stale; and a force-included path that is missing is an error, while a wheel must build
without Node.js (the YASGUI files are ``optional``: the editor then offers its plain mode).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TARGET = Path("kg/_shipped")


class ShippedHook(BuildHookInterface):
    """Maps ``shipped`` (required) and ``optional`` (all or none) into kg/_shipped/."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        include = build_data["force_include"]
        for name in self.config.get("shipped", []):
            if not (root / name).is_dir():
                raise FileNotFoundError(f"{root / name}: a shipped folder is missing")
            include[str(root / name)] = str(TARGET / name)
        optional = self.config.get("optional", [])
        missing = [name for name in optional if not (root / name).is_file()]
        if missing:
            message = f"not found: {', '.join(missing)} (make runs npm ci in web/)"
            if os.environ.get("GOVSM_REQUIRE_YASGUI") == "1":
                raise FileNotFoundError(message)
            print(f"warning: the wheel ships no YASGUI; {message}", file=sys.stderr)
            return
        for name in optional:
            include[str(root / name)] = str(TARGET / name)
