"""Every message of every page has a French, German and Luxembourgish translation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["fr", "de", "lb"]
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _entries(catalogue: Path) -> list[tuple[str, bool, list[str]]]:
    """(msgid, fuzzy, translations) of each live entry; plural entries have one per form."""
    entries = []
    for block in catalogue.read_text().split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not lines:
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            if line.startswith('"'):
                keyword, rest = current, line
            current = keyword
            fields[keyword] = fields.get(keyword, "") + "".join(STRING.findall(rest))
        if fields.get("msgid"):
            translations = [value for key, value in fields.items() if key.startswith("msgstr")]
            entries.append((fields["msgid"], fuzzy, translations))
    return entries


def _unfinished(locale: Path, language: str) -> list[str]:
    entries = _entries(locale / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 50
    return [msgid for msgid, fuzzy, found in entries if fuzzy or not all(found)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language: str) -> None:
    assert _unfinished(ROOT / "locale", language) == []


def test_catalogues_hold_every_string_of_the_code(tmp_path: Path) -> None:
    """makemessages over today's code finds nothing new: no page shows an untranslated string."""
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".git", ".venv", ".data", "test-artifacts", "__pycache__"),
    )
    # makemessages reads settings but needs no database: a server that is never contacted.
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", *(f"-l{lang}" for lang in LANGUAGES)],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    for language in LANGUAGES:
        assert _unfinished(copy / "locale", language) == [], language
