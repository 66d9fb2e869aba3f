"""``govsm nanopub``: check the nanopublications a build signed (``verify``) and make a
signing key (``keygen``); the options ``govsm build`` takes to sign them. Nothing here
publishes to a nanopublication server: that stays a deliberate step of the user's own
(see the README)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kg.build.nanopub.keys import NanopubKeyError, generate_key, read_key, read_profile
from kg.build.nanopub.verify import verify_folder
from kg.cli import exits, options
from kg.cli.exits import FAILED, OK, USAGE, fail
from kg.cli.options import ProjectDir
from kg.cli.output import console, err
from kg.config import ConfigError, NanopubKey

app = typer.Typer(
    help="Nanopublications of the derived classifications: verify them, make a key.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

# --- the options of govsm build -------------------------------------------------------

KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--nanopub-key",
        envvar="GOVSM_NANOPUB_KEY",
        help="RSA private key (PEM, or base64 as `govsm nanopub keygen` and the nanopub "
        "tools write it) to sign a nanopublication per derived classification into "
        "dist/nanopubs/. Without a key or profile none is written.",
    ),
]
ProfileFile = Annotated[
    Path | None,
    typer.Option(
        "--nanopub-profile",
        envvar="GOVSM_NANOPUB_PROFILE",
        help="A nanopub profile.yml (private_key, orcid_id, name), read only when given.",
    ),
]
Orcid = Annotated[
    str | None,
    typer.Option(
        "--nanopub-orcid",
        envvar="GOVSM_NANOPUB_ORCID",
        help="The creator the nanopublications name (dcterms:creator), an ORCID IRI.",
    ),
]
Name = Annotated[
    str | None,
    typer.Option("--nanopub-name", envvar="GOVSM_NANOPUB_NAME", help="The creator's name."),
]


def signing_key(
    key: Path | None, profile: Path | None, orcid: str | None, name: str | None
) -> NanopubKey | None:
    """The key to sign with, read and checked before the build starts (NanopubKeyError:
    exit 2, dist/ untouched); None when the user gave none."""
    if profile is not None:
        return read_profile(profile, orcid, name, key)
    if key is not None:
        return read_key(key, orcid, name)
    if orcid or name:
        raise NanopubKeyError("--nanopub-orcid/--nanopub-name need --nanopub-key or a profile")
    return None


# --- govsm nanopub verify / keygen ----------------------------------------------------

Folder = Annotated[
    Path | None,
    typer.Argument(
        help="A folder of .trig nanopublications, or one file (default: the project's "
        "dist/nanopubs/, as govsm build writes it)."
    ),
]
PublicKey = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        help="Also require this public key (the file keygen writes beside the private "
        "key, or a PEM public key): a valid signature by another key fails.",
    ),
]


@app.command()
@exits.documented(
    {
        OK: "every nanopublication verifies (trusty URI and signature)",
        FAILED: "one does not (changed, unsigned, or signed with another key)",
        USAGE: "no such folder, no .trig file in it, or an unreadable public key",
    }
)
@exits.on_library_errors
def verify(
    folder: Folder = None, public_key: PublicKey = None, project_dir: ProjectDir = None
) -> None:
    """Check every nanopublication with the nanopub library's own check, offline."""
    folder = options.build_output(folder, project_dir, "nanopubs")
    expected = None
    if public_key is not None:
        try:
            expected = public_key.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{public_key}: cannot read the public key: {exc}") from None
    verdicts = verify_folder(folder, expected)
    for verdict in verdicts:
        if not verdict.ok:
            err.print(
                f"[red]FAILED[/] {escape(str(verdict.path))}: {escape(verdict.problem or '')}",
                highlight=False,
            )
    bad = sum(not v.ok for v in verdicts)
    if bad:
        fail(f"{bad} of {len(verdicts)} nanopublication(s) do not verify", FAILED)
    console.print(
        f"[green]verified[/] {len(verdicts)} nanopublication(s) in {escape(str(folder))}: "
        "trusty URI and signature",
        highlight=False,
    )


@app.command()
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the private key.")],
) -> None:
    """Make an RSA key pair to sign nanopublications: PATH (private, mode 0600) and
    PATH.pub, in the form the nanopub tools use (~/.nanopub/id_rsa)."""
    try:
        private, public = generate_key(path)
    except NanopubKeyError as exc:
        fail(str(exc), USAGE)
    console.print(f"[green]wrote[/] {escape(str(private))} and {escape(str(public))}")
