"""Every message of every page has a French, German and Luxembourgish translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.MULTILINE)


@pytest.mark.parametrize("language", ["fr", "de", "lb"])
def test_catalogue_is_complete(language: str) -> None:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    live = text.split("\n#~", 1)[0]  # obsolete entries at the end do not count
    entries = [(msgid, msgstr) for msgid, msgstr in ENTRY.findall(live) if msgid.strip() != '""']
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries if msgstr.strip() == '""']
    assert untranslated == []
    assert "#, fuzzy" not in live
