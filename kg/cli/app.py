"""The govsm command: one Typer app with every command, in the order ``--help`` lists
them. The commands live in their group's module; none of them imports this one."""

from __future__ import annotations

import typer

from kg.cli import (
    build,
    diffing,
    exits,
    exporting,
    importing,
    init,
    nanopub,
    push,
    query,
    reason,
    release,
    serve,
)

SUMMARY = "govsm: build, check, query and trace the GovSM knowledge graph."

app = typer.Typer(
    help=f"{SUMMARY}\n\n{exits.describe(exits.MEANINGS)}",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

app.command("init")(init.init_command)
app.command("import")(importing.import_command)
app.command("export")(exporting.export_command)
app.command()(build.build)
app.command()(build.publish)
app.command("release")(release.release_command)
app.command()(build.validate)
app.command("reason")(reason.reason_command)
app.command("push")(push.push_command)
app.command()(build.derive)
app.command()(build.verify)
app.command()(query.query)
app.command("trace")(query.trace_command)
app.command("diff")(diffing.diff_command)
app.command()(serve.serve)
app.add_typer(nanopub.app, name="nanopub")
