"""The exit codes of govsm, what each means, and which library error ends a command with
which code. Exit codes are API (scripts and CI test them): a command names them from
here, never as bare integers, and ``govsm --help`` lists them from MEANINGS."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Final, NoReturn, ParamSpec, TypeVar

import typer
from rich.markup import escape

from kg.build import pipeline
from kg.build.atomic import OutputError
from kg.cli.output import err, print_differences, print_reasoning, print_validation
from kg.config import ConfigError
from kg.rdf.engine import EngineError
from kg.rdf.load import ParseError
from kg.sparql.files import QueryError
from kg.stages.ontology import OntologyLoadError
from kg.validation import ValidationSetupError

OK: Final = 0
#: A check failed: the command ran as asked and the answer is no.
FAILED: Final = 1
#: The command could not run as asked: bad input or options.
USAGE: Final = 2
#: The remote SPARQL engine failed.
REMOTE: Final = 3

MEANINGS: Final[Mapping[int, str]] = {
    OK: "ok",
    FAILED: "a SHACL or check-query violation, a reasoning failure (inconsistent ontology, "
    "unsatisfiable class), a difference between derived and reported classifications, or "
    "a triple count that differs after a push",
    USAGE: "a parse error or a usage error: unknown query, rule set, format, label, engine "
    "or validator; missing, unknown or malformed parameter; bad base IRI or limit; missing "
    "input (no build to serve or push, no Java for the reasoner); an output folder that "
    "cannot be written (read-only, full disk); an input refused because reading it would "
    "need the network or it declares an XML DOCTYPE",
    REMOTE: "the remote engine failed (push, query --endpoint): HTTP error, timeout, "
    "refused connection",
}


def describe(meanings: Mapping[int, str]) -> str:
    """``Exit codes: 0 ...; 1 ...`` for a help text, codes in increasing order."""
    return "Exit codes: " + "; ".join(f"{code} {meanings[code]}" for code in sorted(meanings)) + "."


P = ParamSpec("P")
R = TypeVar("R")


def documented(meanings: Mapping[int, str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Add the command's own exit codes (``describe``) to its docstring, its help text."""

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        command.__doc__ = f"{inspect.cleandoc(command.__doc__ or '')}\n\n{describe(meanings)}"
        return command

    return decorate


def fail(message: str, code: int) -> NoReturn:
    """Print ``error: MESSAGE`` on stderr (the message verbatim, never read as markup) and
    end the command with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def on_library_errors(command: Callable[P, R]) -> Callable[P, R]:
    """End a pipeline command with the exit code of the library error it raised: parse and
    usage errors USAGE; a stage that failed FAILED, after printing why."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ParseError as exc:
            fail(f"parse error: {exc}", USAGE)
        except (QueryError, ConfigError, EngineError, OutputError) as exc:
            fail(str(exc), USAGE)
        except (OntologyLoadError, ValidationSetupError) as exc:
            # an ontology or shapes file unreadable, or refused as unsafe (kg.rdf.offline)
            fail(str(exc), USAGE)
        except pipeline.ValidationFailed as exc:
            print_validation(exc.report)
            fail("validation failed: the graph does not conform; dist/ untouched", FAILED)
        except pipeline.ReasoningFailed as exc:
            print_reasoning(exc.report)
            fail("reasoning failed; dist/ untouched", FAILED)
        except pipeline.VerifyFailed as exc:
            print_differences(exc.report)
            fail(f"{exc}; dist/ untouched", FAILED)

    return wrapper
