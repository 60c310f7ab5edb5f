"""Validators any app's models, forms and serializers share."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CONTROL_CHARACTERS_MESSAGE = _("Control characters are not allowed.")


def has_control_characters(value: str) -> bool:
    # NUL is left to the frameworks' own check ("Null characters are not allowed.").
    return any(unicodedata.category(char) == "Cc" and char != "\x00" for char in value)


def refuse_control_characters(value: object) -> None:
    """Refuse a name holding a control character (Unicode category Cc: U+0000 to U+001F,
    U+007F to U+009F), tabs and line breaks included: names are one line, and they end up on
    wallet passes, e-mails, CSV exports and receipts, where such characters garble or hide text."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="invalid")
