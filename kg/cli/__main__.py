"""``python -m kg.cli``: the govsm command, as the installed script runs it."""

from kg.cli.app import app

if __name__ == "__main__":
    app()
