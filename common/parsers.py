"""Request body parsers for the API: DRF's, bounded so that no body can end in a 500."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far deeper than any request of ours (a reward list is 3 levels), far shallower than Python's
# recursion limit: serializers, idempotency hashing and JSON storage all walk the data recursively.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than ``MAX_JSON_DEPTH`` with a 400.

    The standard decoder recurses once per level: ``[[[[…]]]]`` 100,000 levels deep raised a
    RecursionError, a 500, before any view ran.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The request body is nested too deeply.")) from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise ParseError(_("The request body is nested too deeply."))
        return data


def _depth(data: Any) -> int:
    # Iterative, so that measuring a deep value cannot itself overflow the stack.
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest
