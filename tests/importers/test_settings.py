"""The project's import settings (PROJECT/govsm-import.toml, its [refi-qda] table), and
writing an import's files all or none (kg.importers.output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.importers.output import write_all
from kg.importers.project import SETTINGS_FILE, read_settings
from kg.importers.refiqda import DEFAULT_MAPPING, check_mapping
from kg.importers.refmodel import ImportFailure
from kg.importers.scaffold import SETTINGS_EXAMPLE, init_project


def _settings(tmp_path: Path, text: str) -> Path:
    (tmp_path / SETTINGS_FILE).write_text(text, encoding="utf-8")
    return tmp_path / SETTINGS_FILE


def test_no_file_is_the_defaults(tmp_path: Path) -> None:
    assert read_settings(tmp_path) == {}


def test_the_refi_qda_table_is_read(tmp_path: Path) -> None:
    _settings(
        tmp_path,
        '[refi-qda]\nfactors = "Codes"\nseparator = "."\n'
        '[refi-qda.sources]\n"Interview 3.docx" = "mergel2016"\n',
    )
    assert read_settings(tmp_path) == {
        "factors": "Codes",
        "separator": ".",
        "sources": {"Interview 3.docx": "mergel2016"},
    }


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ('[refi-qda]\nfactor = "Codes"\n', "[refi-qda] key 'factor'", "unknown (known keys"),
        ("[refi-qda]\nfactors = 3\n", "[refi-qda] key 'factors'", "must be a string"),
        ('[refi-qda]\nextensions = ".txt"\n', "[refi-qda] key 'extensions'", "a list of strings"),
        (
            '[refi-qda.directions]\nsupportive = ["helps"]\n',
            "[refi-qda] key 'directions'",
            "driver, preventer, mixed",
        ),
        ("[refi-qda.sources]\nx = 1\n", "[refi-qda] key 'sources'", "source name -> study key"),
        ('[refiqda]\nfactors = "Codes"\n', "table [refiqda]", "unknown (known tables"),
        ('refi-qda = "x"\n', "key 'refi-qda'", "must be a table"),
        ("[refi-qda\n", None, "not a TOML file"),
    ],
)
def test_a_bad_key_or_value_names_file_and_key(
    tmp_path: Path, text: str, where: str | None, reason: str
) -> None:
    path = _settings(tmp_path, text)
    with pytest.raises(ImportFailure) as caught:
        read_settings(tmp_path)
    assert caught.value.file == str(path) and caught.value.where == where
    assert reason in caught.value.reason


def test_the_example_init_writes_is_valid_when_uncommented(tmp_path: Path) -> None:
    made = init_project(tmp_path, "A review")
    assert tmp_path / SETTINGS_FILE in made.files
    assert read_settings(tmp_path) == {}  # all commented: the defaults
    lines = SETTINGS_EXAMPLE.splitlines()
    settings = [line[2:] if line.startswith("# ") else line for line in lines]
    _settings(tmp_path, "\n".join(settings))
    found = read_settings(tmp_path)
    assert set(found) == set(DEFAULT_MAPPING)  # every key is exemplified
    assert check_mapping(found, "x")["separator"] == "."
    # a second review of the project keeps the project's settings
    init_project(tmp_path, "Another review")
    assert read_settings(tmp_path) == found


def test_write_all_replaces_none_when_one_fails(tmp_path: Path) -> None:
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    first.write_text("old a", encoding="utf-8")
    second.write_text("same", encoding="utf-8")
    with pytest.raises(OSError):
        write_all({first: "new a", second: "same", tmp_path / "no-such-dir" / "c.ttl": "c"})
    assert first.read_text(encoding="utf-8") == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ttl", "b.ttl"]  # no temp left
    assert write_all({first: "new a", second: "same"}) == [first]
    assert first.read_text(encoding="utf-8") == "new a"
