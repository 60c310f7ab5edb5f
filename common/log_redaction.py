"""Keep secrets and personal data out of the logs (Django's loggers and gunicorn's access log).

What a request line may carry that must not be written down:
- a card page link, ``/c/<token>/`` (the token opens the customer's card);
- a wallet pass link, ``/passes/apple/<serial>.pkpass`` or ``/passes/google/<serial>`` (the serial
  is the secret that downloads the pass);
- query values such as ``?search=jane@example.com`` (customers' e-mails, names, phone numbers):
  every value is replaced except those of a few harmless paging and filtering parameters;
- an e-mail address anywhere else in the line.
``Authorization`` headers (API keys, ``ApplePass`` tokens) are never logged by Django or by
gunicorn's access log format, so there is nothing to remove for them.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# Query parameters whose values say nothing about a person and help reading the logs.
HARMLESS_QUERY_PARAMETERS = frozenset(
    {"limit", "offset", "ordering", "page", "format", "lang", "language", "script", "type"}
)

_CARD_PAGE = re.compile(r"(/c/)[^/?#\s\"]+")
_PASS = re.compile(r"(/passes/(?:apple|google)/)[^/?#\s\"]+?(\.pkpass)?(?=[/?#\s\"]|$)")
_QUERY = re.compile(r"\?([^\s#\"]*)")
_EMAIL = re.compile(r"[^\s/?&=\"'<>@%]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _redact_query(match: re.Match[str]) -> str:
    pairs = []
    for pair in match.group(1).split("&"):
        name, sep, _value = pair.partition("=")
        keep = not sep or name.lower() in HARMLESS_QUERY_PARAMETERS
        pairs.append(pair if keep else f"{name}={REDACTED}")
    return "?" + "&".join(pairs)


def redact(text: str) -> str:
    """``text`` (a request line, a URL, a log message) without tokens, serials and e-mails."""
    text = _CARD_PAGE.sub(rf"\g<1>{REDACTED}", text)
    text = _PASS.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2) or ''}", text)
    text = _QUERY.sub(_redact_query, text)
    return _EMAIL.sub(REDACTED, text)


class RedactFilter(logging.Filter):
    """A handler filter: the record's message is rendered once, redacted, and kept that way."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
