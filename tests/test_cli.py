"""The govsm CLI: trace, query (names, parameters, formats, injection), serve, and its
exit codes (each one tested here, named in kg/cli/exits.py)."""

from __future__ import annotations

import ast
import json
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import owlready2
import pytest
import rdflib
import typer
from rdflib import Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from typer.testing import CliRunner

from kg.build import pipeline
from kg.cli import exits
from kg.cli.app import COMMANDS, app
from kg.config import ConfigError
from kg.rdf.engine import EngineError, make_engine
from kg.rdf.load import ParseError
from kg.sparql.files import (
    QueryError,
    bind_parameters,
    check_offline,
    inject_values,
    read_query,
    serialize_term,
)
from kg.stages.reason import ReasonReport
from kg.stages.verify import Difference, VerifyReport
from kg.validation import ValidationReport
from kg.web.server import make_server

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pipeline"
DATA = ["--data", str(FIXTURE / "data")]
runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


# --- trace ---------------------------------------------------------------------------


def test_trace_prints_the_whole_chain() -> None:
    result = runner.invoke(app, ["trace", "Legal Infrastructure", *DATA])
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    for expected in (
        "preventer",
        "rule:classification-from-assessment",
        "condition not met",
        "Fixture: the legal infrastructure is judged missing.",
        "Without these necessary components",
        "clear rules are needed",
        "Linke, A.; Zerfass, A. (2013)",
        "doi:10.1108/jcom-09-2011-0050",
    ):
        assert expected in out, expected


def test_trace_by_alt_label_and_by_iri() -> None:
    by_alt = runner.invoke(app, ["trace", "LEGAL FRAMEWORK", *DATA])
    by_iri = runner.invoke(app, ["trace", "id:subfactor/legal-infrastructure", *DATA])
    assert by_alt.exit_code == by_iri.exit_code == 0
    assert "clear rules are needed" in by_iri.output


def test_trace_authors_in_printed_order() -> None:
    result = runner.invoke(app, ["trace", "technical infrastructure", *DATA])
    assert "Norris, P.; Second, B.; Third, C. (2001)" in flat(result.output)


def test_trace_prints_data_with_brackets_verbatim(tmp_path: Path) -> None:
    # Quotes are data: square brackets in them must print as written, not as rich markup.
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", data)
    context = data / "mini-review" / "context.ttl"
    text = context.read_text(encoding="utf-8")
    old = '"Without these necessary components, the effectiveness may decrease"'
    assert old in text
    context.write_text(
        text.replace(old, '"Without these [bold]necessary[/bold] components [sic]"'),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["trace", "legal infrastructure", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "Without these [bold]necessary[/bold] components [sic]" in flat(result.output)


def test_trace_unknown_label_exits_2_with_closest() -> None:
    result = runner.invoke(app, ["trace", "legal infra", *DATA])
    assert result.exit_code == 2
    assert "Closest labels: legal infrastructure" in flat(result.output)


# --- query ---------------------------------------------------------------------------


def test_query_unknown_name_exits_2_listing_queries() -> None:
    result = runner.invoke(app, ["query", "classification-tabel", *DATA])
    assert result.exit_code == 2
    out = flat(result.output)
    assert "Did you mean: classification-table" in out
    assert "Available:" in out and "derived-vs-reported" in out


def test_query_missing_and_unknown_parameters_exit_2() -> None:
    missing = runner.invoke(app, ["query", "trace-subfactor", *DATA])
    assert missing.exit_code == 2
    assert "missing parameter(s) subfactor" in flat(missing.output)
    assert "declared: subfactor (iri)" in flat(missing.output)
    unknown = runner.invoke(
        app, ["query", "derived-vs-reported", "-p", "rule=rule:x", "-p", "nope=1"]
    )
    assert unknown.exit_code == 2
    assert "unknown parameter(s) nope" in flat(unknown.output)
    malformed = runner.invoke(app, ["query", "derived-vs-reported", "-p", "rule"])
    assert malformed.exit_code == 2


def test_query_json_and_csv() -> None:
    args = [
        "query",
        "classification-table",
        *DATA,
        "-p",
        "rule=rule:classification-from-assessment",
    ]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert len(doc["results"]["bindings"]) == 3
    assert doc["head"]["vars"][0] == "factorLabel"
    csv_out = runner.invoke(app, [*args, "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("factorLabel,subfactorLabel")
    tsv_out = runner.invoke(app, [*args, "--format", "tsv"])
    assert tsv_out.output.splitlines()[0].startswith("?factorLabel\t?subfactorLabel")
    assert runner.invoke(app, [*args, "--format", "xml"]).exit_code == 2


def test_query_by_file_with_iri_parameter(tmp_path: Path) -> None:
    file = tmp_path / "mine.rq"
    file.write_text(
        "# title: t\n# parameters: subfactor (IRI)\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?label WHERE { ?subfactor skos:prefLabel ?label }\n"
    )
    result = runner.invoke(
        app,
        [
            "query",
            str(file),
            *DATA,
            "-p",
            "subfactor=id:subfactor/user-training",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["label", "user training"]


INJECTIONS = [
    'x" } ?s ?p ?o . FILTER(true) #',
    "x> } UNION { ?s ?p ?o } #",
    "x'\n} ; DROP ALL ;",
    'tab\there "quote" \\ backslash }',
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_through_a_literal_leaves_the_query_unchanged(value: str) -> None:
    text = "SELECT ?s WHERE { ?s <http://example.org/p> ?word }"
    bound = inject_values(text, {"word": Literal(value)})
    parsed = prepareQuery(bound)
    values = [node for node in _walk(parsed.algebra) if getattr(node, "name", "") == "values"]
    assert len(values) == 1 and len(values[0]["res"]) == 1
    (row,) = values[0]["res"]
    assert row[rdflib.Variable("word")] == Literal(value)
    # And the engines run it as one pattern with that literal: no rows, no error.
    for name in ("oxigraph", "rdflib"):
        engine = make_engine(name)
        engine.add(
            "http://example.org/g",
            [(URIRef("http://example.org/a"), URIRef("http://example.org/p"), Literal("z"))],
        )
        assert engine.select(text, {"word": Literal(value)}).rows == []


def _walk(node: object):  # noqa: ANN202
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize(
    "value", ["http://x/a> } UNION { ?s ?p ?o", 'http://x/"q"', "http://x/a\nb", "no-colon"]
)
def test_injection_through_an_iri_is_refused(value: str) -> None:
    query = read_query(ROOT / "queries" / "cq" / "trace-subfactor.rq")
    with pytest.raises(QueryError):
        bind_parameters(query, {"subfactor": value})
    result = runner.invoke(app, ["query", "trace-subfactor", *DATA, "-p", f"subfactor={value}"])
    assert result.exit_code == 2


def test_serialize_term_escapes() -> None:
    assert serialize_term(Literal('a"b\nc\\')) == '"a\\"b\\nc\\\\"'
    assert serialize_term(Literal("x", lang="en")) == '"x"@en'
    with pytest.raises(QueryError):
        serialize_term(URIRef("http://x/> } ?s"))


def test_network_access_is_refused() -> None:
    for text in (
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    ):
        with pytest.raises(QueryError):
            check_offline(text)
    check_offline('SELECT * WHERE { ?s ?p "FROM SERVICE" } # SERVICE in a comment')
    result = runner.invoke(app, ["query", "x.rq"])
    assert result.exit_code == 2


# --- serve ---------------------------------------------------------------------------


def test_serve_is_read_only(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    result = runner.invoke(
        app,
        ["build", "--no-reason", *DATA, "--shapes", str(FIXTURE / "shapes"), "--out", str(dist)],
    )
    assert result.exit_code == 0, result.output
    server = make_server(dist, "127.0.0.1", 0)
    assert server.server_address[0] == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        page = urllib.request.urlopen(url).read().decode()
        assert "legal infrastructure" in page and 'href="govsm.nq"' in page
        head = urllib.request.urlopen(urllib.request.Request(url + "govsm.nq", method="HEAD"))
        assert head.status == 200
        for method in ("POST", "PUT", "DELETE"):
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(urllib.request.Request(url, data=b"x", method=method))
            assert info.value.code == 405
            assert info.value.headers["Allow"] == "GET, HEAD"
    finally:
        server.shutdown()
        server.server_close()


def test_serve_without_dist_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--dist", str(tmp_path / "none"), "--port", "0"])
    assert result.exit_code == 2


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("build", "validate", "reason", "derive", "verify", "query", "trace", "serve"):
        assert command in result.output


#: What other commands need and `govsm build` does not: the importers' spreadsheet and
#: Taguette readers, the server, releases, the incremental validation and rdflib's SPARQL
#: parser it brings, PyLD (only JSON-LD input needs it).
NOT_FOR_BUILD = (
    "openpyxl",
    "kg.importers.taguette",
    "kg.web.server",
    "kg.build.release",
    "kg.validation.incremental",
    "rdflib.plugins.sparql",
    "pyld",
)


def test_a_command_imports_only_its_own_module() -> None:
    """`govsm build` (kg.cli.app's lazily loaded commands) starts without importing what
    only other commands use; `--help` still lists every command (each one imported)."""
    code = (
        "import sys, typer.main\n"
        "from kg.cli.app import app\n"
        "group = typer.main.get_command(app)\n"
        "assert group.get_command(None, 'build').name == 'build'\n"
        f"print([m for m in {NOT_FOR_BUILD!r} if m in sys.modules])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]", run.stdout
    result = runner.invoke(app, ["--help"])
    commands = result.output.split("Commands:")[1]
    assert [name for name in COMMANDS if f"\n  {name} " not in commands] == []


# --- validate ------------------------------------------------------------------------


REAL_DATA = ROOT / "data"


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="the review's data folder is absent")
def test_validate_real_data_conforms_and_groups_warnings_by_shape() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "Warnings by shape" in out
    assert "shape:StudyShape" in out and "shape:EvidenceItemShape" in out
    assert "conforms" in out


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="the review's data folder is absent")
def test_validate_names_file_focus_path_and_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REAL_DATA, data)
    references = data / "social-media-service-delivery" / "references.ttl"
    text = references.read_text(encoding="utf-8")
    old = 'bibo:doi "10.1016/j.giq.2012.06.001"'
    assert old in text
    references.write_text(text.replace(old, 'bibo:doi "doi 10.1016 / giq"'), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--data", str(data)])
    assert result.exit_code == 1, result.output
    out = "".join(result.output.split())  # the table folds long cells across lines
    assert "references.ttl" in out
    assert "id:study/lee-2012" in out
    assert "bibo:doi" in out
    assert "DOI" in out


# --- exit codes ----------------------------------------------------------------------


def test_help_lists_every_exit_code() -> None:
    assert set(exits.MEANINGS) == {exits.OK, exits.FAILED, exits.USAGE, exits.REMOTE}
    assert (exits.OK, exits.FAILED, exits.USAGE, exits.REMOTE) == (0, 1, 2, 3)
    out = flat(runner.invoke(app, ["--help"]).output)
    assert flat(exits.describe(exits.MEANINGS)) in out
    for code, meaning in exits.MEANINGS.items():
        assert f"{code} {flat(meaning)}" in out


def test_command_help_lists_its_exit_codes() -> None:
    out = flat(runner.invoke(app, ["push", "--help"]).output)
    assert "Exit codes: 0 pushed and verified; 1 a count differs" in out
    assert "3 the remote failed" in out
    out = flat(runner.invoke(app, ["reason", "--help"]).output)
    assert "1 inconsistent, or a class is unsatisfiable; 2 Java is missing" in out


_DIFFERENCE = Difference(
    rule="classification-from-assessment",
    subfactor="https://w3id.org/govsm/id/subfactor/legal-infrastructure",
    label="legal infrastructure",
    context="https://w3id.org/govsm/id/context/iran",
    derived="preventer",
    reported="driver",
    reported_words="motivator",
    status="direction differs",
)


@pytest.mark.parametrize(
    ("error", "code", "printed"),
    [
        (ParseError(Path("a.ttl"), 3, 4, "bad"), exits.USAGE, "error: parse error: a.ttl:3:4: bad"),
        (QueryError("unknown query 'x'"), exits.USAGE, "error: unknown query 'x'"),
        (ConfigError("bad base IRI"), exits.USAGE, "error: bad base IRI"),
        (EngineError("unknown engine 'x'"), exits.USAGE, "error: unknown engine 'x'"),
        (
            pipeline.ValidationFailed(ValidationReport()),
            exits.FAILED,
            "error: validation failed: the graph does not conform",
        ),
        (
            pipeline.ReasoningFailed(ReasonReport(consistent=False, java="java 17")),
            exits.FAILED,
            "error: reasoning failed",
        ),
        (
            pipeline.VerifyFailed(VerifyReport(1, [_DIFFERENCE])),
            exits.FAILED,
            "error: 1 difference(s) from the reported results",
        ),
    ],
)
def test_library_errors_end_with_their_exit_codes(
    error: Exception, code: int, printed: str
) -> None:
    command = typer.Typer()

    @command.command()
    @exits.on_library_errors
    def failing() -> None:
        raise error

    result = runner.invoke(command, [])
    assert result.exit_code == code
    assert printed in flat(result.output)
    if isinstance(error, pipeline.VerifyFailed):
        assert "Derived vs reported: differences" in result.output


def test_error_messages_print_verbatim() -> None:
    # A message is data (a path, a parser's words): brackets in it are not rich markup.
    command = typer.Typer()

    @command.command()
    def failing() -> None:
        exits.fail("cannot read /tmp/[bold]x[/bold] [/oops]", exits.USAGE)

    result = runner.invoke(command, [])
    assert result.exit_code == exits.USAGE
    assert "error: cannot read /tmp/[bold]x[/bold] [/oops]" in result.output


def _exit_codes(tree: ast.Module) -> list[ast.expr]:
    """The codes given to fail(message, code) and Exit(code) calls (both branches of a
    conditional expression)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "fail" and len(node.args) == 2:
            found.append(node.args[1])
        elif name == "Exit" and node.args:
            found.append(node.args[0])
    while any(isinstance(code, ast.IfExp) for code in found):
        found = [
            branch
            for code in found
            for branch in ((code.body, code.orelse) if isinstance(code, ast.IfExp) else (code,))
        ]
    return found


NAMED_CODES = {"OK", "FAILED", "USAGE", "REMOTE", "exits.OK", "exits.FAILED", "exits.USAGE"}
NAMED_CODES |= {"exits.REMOTE", "code"}  # code: fail's own parameter


def test_commands_name_their_exit_codes() -> None:
    codes = [
        (path.name, code)
        for path in sorted((ROOT / "kg" / "cli").glob("*.py"))
        for code in _exit_codes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert len(codes) > 20  # the walk sees the commands' exits
    bare = [f"{name}:{code.lineno}: {ast.unparse(code)}" for name, code in codes]
    assert [b for b in bare if b.rsplit(": ", 1)[1] not in NAMED_CODES] == []


def test_bare_exit_codes_are_found() -> None:
    tree = ast.parse("fail('x', 2)\ntyper.Exit(USAGE)\nfail('y', USAGE if usage else 3)")
    assert [ast.unparse(c) for c in _exit_codes(tree)] == ["2", "USAGE", "USAGE", "3"]


def test_remote_failure_exits_3() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(
        app, ["query", "review-method", "--endpoint", f"http://127.0.0.1:{port}/sparql"]
    )
    assert result.exit_code == exits.REMOTE == 3, result.output
    assert "error:" in result.output


def test_reason_without_java_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(owlready2, "JAVA_EXE", "no-such-java-for-govsm")
    result = runner.invoke(app, ["reason"])
    assert result.exit_code == exits.USAGE == 2, result.output
    assert "Java not found" in result.output
