"""The back office theme (django-unfold) ships no translations: its own messages are translated in
locale_unfold/ where Django's catalogues (and, in Luxembourgish, our locale_thirdparty/) do not."""

from __future__ import annotations

import ast
import gettext
import re
from functools import cache
from pathlib import Path

import django
import pytest
import unfold
from django.test import Client
from django.utils import translation
from django.utils.translation import trim_whitespace

from tests.conftest import PASSWORD, Loyalty, client_for

ROOT = Path(__file__).resolve().parent.parent
UNFOLD = Path(unfold.__file__).parent
DJANGO = Path(django.__file__).parent
LANGUAGES = ["fr", "de", "lb"]

# A string literal in a template tag or in Python (adjacent literals are concatenated in Python).
_LITERAL = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')"""
_TEMPLATE_TRANS = re.compile(r"{%\s*trans(?:late)?\s+(" + _LITERAL + r")")
_TEMPLATE_UNDERSCORE = re.compile(r"\b_\((" + _LITERAL + r")\)")
_BLOCKTRANS = re.compile(
    r"{%\s*blocktrans(?:late)?\b(?P<options>[^%]*)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}",
    re.DOTALL,
)
_PLURAL = re.compile(r"{%\s*plural\s*%}")
_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
_PYTHON_CALL = re.compile(
    r"\b(?:_|gettext|gettext_lazy|ngettext|ngettext_lazy)\(\s*((?:" + _LITERAL + r"\s*)+)"
)


def _blocktrans_msgid(options: str, body: str) -> str:
    """What makemessages (and so the catalogue) calls a {% blocktranslate %}'s singular."""
    singular = _PLURAL.split(body)[0]
    singular = _VARIABLE.sub(r"%(\1)s", singular.replace("%", "%%"))
    return trim_whitespace(singular) if "trimmed" in options.split() else singular


@cache
def unfold_msgids() -> frozenset[str]:
    """The theme's msgids (singulars), read from the installed package; its contrib subpackages
    (import-export, guardian, …) are not installed apps here, so their messages never show."""
    found: set[str] = set()
    for template in (UNFOLD / "templates").rglob("*.html"):
        text = template.read_text()
        for pattern in (_TEMPLATE_TRANS, _TEMPLATE_UNDERSCORE):
            found |= {ast.literal_eval(literal) for literal in pattern.findall(text)}
        found |= {_blocktrans_msgid(m["options"], m["body"]) for m in _BLOCKTRANS.finditer(text)}
    for module in UNFOLD.rglob("*.py"):
        if "contrib" in module.relative_to(UNFOLD).parts:
            continue
        for literals in _PYTHON_CALL.findall(module.read_text()):
            found.add(ast.literal_eval(f"({literals})"))
    return frozenset(found)


def _msgids(mo: Path) -> set[str]:
    """A compiled catalogue's translated msgids (plural entries by their singular)."""
    if not mo.exists():
        return set()
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    return {key[0] if isinstance(key, tuple) else key for key, text in catalogue.items() if text}


def _already_translated(language: str) -> set[str]:
    """What Django (and, in Luxembourgish, our locale_thirdparty/) translates without us."""
    found: set[str] = set()
    for root in (DJANGO / "conf", DJANGO / "contrib" / "admin", DJANGO / "contrib" / "auth"):
        found |= _msgids(root / "locale" / language / "LC_MESSAGES" / "django.mo")
    return found | _msgids(ROOT / "locale_thirdparty" / language / "LC_MESSAGES" / "django.mo")


def _ours(language: str) -> set[str]:
    return _msgids(ROOT / "locale_unfold" / language / "LC_MESSAGES" / "django.mo") - {""}


def test_the_theme_messages_are_found() -> None:
    """The extraction above works: a message of each kind (template tag, blocktranslate with a
    plural, Python call) is among them."""
    msgids = unfold_msgids()
    assert len(msgids) > 100
    assert {"Type to search", "Welcome back to", "Select record", "Welcome"} <= msgids
    assert "\n                Found %(counter)s result in %(time)s seconds\n            " in msgids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_unfold_translation_is_a_theme_message(language: str) -> None:
    """After an unfold upgrade that reworded a message, the stale entry shows up here."""
    ours = _ours(language)
    assert len(ours) > 40
    assert sorted(ours - unfold_msgids()) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_theme_message_is_translated(language: str) -> None:
    """Each of the theme's messages is translated, by Django or by us; and never by both, since
    locale_unfold/ would replace Django's own wording."""
    upstream = _already_translated(language)
    ours = _ours(language)
    assert sorted(unfold_msgids() - upstream - ours) == []
    assert sorted(ours & upstream) == []


def _signed_in(loyalty: Loyalty, language: str) -> Client:
    client = client_for(loyalty.merchant)
    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{loyalty.merchant.slug}.example", "password": PASSWORD},
        headers={"accept-language": language},
    )
    assert signed_in.status_code == 302
    return client


# A merchant without cards: the theme's empty list, search field, action picker, theme switch.
CHANGELIST = {
    "fr": [
        "Rechercher…",
        "Choisir une action",
        "Aucun résultat",
        "Réinitialiser les filtres",
        "Sombre",
    ],
    "de": [
        "Suchen…",
        "Aktion auswählen",
        "Keine Ergebnisse gefunden",
        "Filter zurücksetzen",
        "Dunkel",
    ],
    "lb": [
        "Sichen…",
        "Aktioun auswielen",
        "Keng Resultater fonnt",
        "Filteren zrécksetzen",
        "Donkel",
    ],
}
CHANGELIST_ENGLISH = ["Type to search", "Select action", "No results", "Reset filters", "Dark"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_card_list_shows_the_theme_in_the_language(loyalty: Loyalty, language: str) -> None:
    client = _signed_in(loyalty, language)
    html = client.get("/admin/cards/loyaltycard/", headers={"accept-language": language})
    html = html.content.decode()
    for translated in CHANGELIST[language]:
        assert translated in html
    for english in CHANGELIST_ENGLISH:
        assert english not in html


LOGIN = {
    "fr": ["Bon retour sur", "Retour au site"],
    "de": ["Willkommen zurück bei", "Zurück zur Website"],
    "lb": ["Wëllkomm zréck bei", "Zréck op de Site"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_in_page_shows_the_theme_in_the_language(loyalty: Loyalty, language: str) -> None:
    page = client_for(loyalty.merchant).get("/admin/login/", headers={"accept-language": language})
    html = page.content.decode()
    for translated in LOGIN[language]:
        assert translated in html
    assert "Welcome back" not in html and "Return to site" not in html


CHANGE = {  # Django's verb (links and buttons), and our noun: what a transaction changes.
    # Django's French admin says "Modification" itself (its history's action names share the msgid).
    "fr": ("Modification", "Modification"),
    "de": ("Ändern", "Änderung"),
    "lb": ("Änneren", "Ännerung"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_change_is_a_verb_on_buttons_and_a_noun_in_our_headings(language: str) -> None:
    """Our noun "Change" has a context of its own, so it no longer replaces Django's verb."""
    msgid, context = "Change", "stamps and points a transaction adds or removes"
    # Through variables: makemessages (tests/test_catalogues.py) would take literals for ours.
    with translation.override(language):
        assert translation.gettext(msgid) == CHANGE[language][0]
        assert translation.pgettext(context, msgid) == CHANGE[language][1]
