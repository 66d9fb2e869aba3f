"""The govsm command: one Typer app with every command, in the order ``--help`` lists
them. The commands live in their group's module; none of them imports this one.

A command's module is imported when that command runs, not before (click's lazily
loaded subcommands, https://click.palletsprojects.com/en/stable/complex/#lazily-loading-subcommands):
``govsm build`` does not import what ``govsm import`` needs (the spreadsheet and Taguette
readers) nor the server's, release's or query's modules. ``govsm --help`` imports them
all, to list each command's summary.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click
import typer
from typer.core import TyperGroup

from kg.cli import exits

SUMMARY = "govsm: build, check, query and trace the GovSM knowledge graph."

#: Every command: its name -> (module, attribute: a command function, or a Typer app for
#: a group of commands), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("kg.cli.init", "init_command"),
    "import": ("kg.cli.importing", "import_command"),
    "export": ("kg.cli.exporting", "export_command"),
    "build": ("kg.cli.build", "build"),
    "publish": ("kg.cli.build", "publish"),
    "release": ("kg.cli.release", "release_command"),
    "validate": ("kg.cli.validating", "validate"),
    "reason": ("kg.cli.reason", "reason_command"),
    "push": ("kg.cli.push", "push_command"),
    "derive": ("kg.cli.build", "derive"),
    "verify": ("kg.cli.build", "verify"),
    "query": ("kg.cli.query", "query"),
    "trace": ("kg.cli.query", "trace_command"),
    "diff": ("kg.cli.diffing", "diff_command"),
    "serve": ("kg.cli.serve", "serve"),
    "nanopub": ("kg.cli.nanopub", "app"),
}


def load_command(name: str) -> click.Command:
    """The click command ``name`` of :data:`COMMANDS`, its module imported now."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):  # a group of commands (govsm nanopub ...)
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(add_completion=False, rich_markup_mode=None)
    single.command(name)(target)
    return typer.main.get_command(single)  # one command: the command itself


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands by name: every name known, each command made (its module
    imported) the first time it is asked for."""

    def __init__(self) -> None:
        self._made: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._made:
            if name not in COMMANDS:
                raise KeyError(name)
            self._made[name] = load_command(name)
        return self._made[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._made[name] = command

    def __delitem__(self, name: str) -> None:
        del self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._made]))

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self._made))


class LazyGroup(TyperGroup):
    """Typer's group with :class:`_Commands` for its commands: ``govsm CMD`` imports
    CMD's module only; the names are all known (usage errors suggest the nearest)."""

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        self.commands = _Commands()


app = typer.Typer(
    cls=LazyGroup,
    help=f"{SUMMARY}\n\n{exits.describe(exits.MEANINGS)}",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _govsm() -> None:
    """No option of its own: Typer makes a group of an app only with a callback or a
    registered command, and this group's commands come from COMMANDS."""
