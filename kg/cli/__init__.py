"""The govsm command line: a thin shell over the library.

app.py assembles the Typer app from the command modules, one per group: build.py (build,
publish, validate, derive, verify: the pipeline, whole or in part), query.py (query,
trace), serve.py, push.py, reason.py. They share options.py (where the sources are),
output.py (the consoles and the tables several commands print) and exits.py (the exit
codes, their meanings and which library error ends a command with which). None of them
imports app.py; ``python -m kg.cli`` runs it (__main__.py).
"""
