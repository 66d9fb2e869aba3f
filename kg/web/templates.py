"""The HTML pages' templates: Jinja2, autoescaped, one page shell (``base.html``).

Every HTML page of the site, the report, the query catalogue and the SPARQL editor is a
template in ``kg/web/templates/`` (package data) extending ``base.html``; the stylesheet
is ``style.css`` beside them. A project overrides any of these files with one of the same
name in its own ``templates/`` folder (:attr:`kg.config.Project.templates`), so a user
restyles the pages without editing Python.

Links built from data go through the ``href`` filter (or the ``link`` macro of
``macros.html``): only relative references and ``http``, ``https`` and ``mailto`` IRIs
become links; any other scheme (``javascript:``, ``data:``, ``vbscript:``, ...) is shown as
text, never put in an ``href``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from kg.config import Project

PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
STYLESHEET = "style.css"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# What a browser ignores in a URL before reading its scheme (WHATWG URL: leading and
# trailing C0 controls and spaces, and every tab or line break), so "java\tscript:" and
# " javascript:" are caught as what they are.
_IGNORED_ANYWHERE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))


def safe_href(url: object) -> str | None:
    """``url`` as a link target if its scheme may be followed (none, or one of
    LINK_SCHEMES), else None."""
    if url is None:
        return None
    text = str(url)
    cleaned = _IGNORED_ANYWHERE.sub("", text).strip(_C0_OR_SPACE)
    scheme = _SCHEME.match(cleaned)
    if scheme is not None and scheme.group(1).lower() not in LINK_SCHEMES:
        return None
    return text


def project_templates(project: Project | None) -> Path | None:
    """A project's templates folder (:attr:`kg.config.Project.templates`), or None when
    there is no project or it has no such folder."""
    if project is None or not project.templates.is_dir():
        return None
    return project.templates


@lru_cache(maxsize=16)
def environment(overrides: Path | None = None) -> jinja2.Environment:
    """The template environment: ``overrides`` (a project's templates folder) first, then
    the package's templates; autoescaping on, undefined names an error."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(PACKAGE_TEMPLATES)]
    if overrides is not None and overrides.is_dir():
        loaders.insert(0, jinja2.FileSystemLoader(overrides))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = safe_href
    return env


def render(template: str, overrides: Path | None = None, **context: Any) -> str:
    """Render one template (see environment) with ``context``."""
    return environment(overrides).get_template(template).render(**context)


def stylesheet(overrides: Path | None = None) -> str:
    """The pages' CSS: the project's ``templates/style.css`` if it has one, else ours."""
    for folder in (overrides, PACKAGE_TEMPLATES):
        if folder is not None and (folder / STYLESHEET).is_file():
            return (folder / STYLESHEET).read_text(encoding="utf-8")
    raise FileNotFoundError(PACKAGE_TEMPLATES / STYLESHEET)
