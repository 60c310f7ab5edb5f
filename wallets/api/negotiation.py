from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class IgnoreAccept(DefaultContentNegotiation):
    """Apple Wallet does not negotiate: it asks for ``application/vnd.apple.pkpass``, gets the pass
    as a plain response, and an error as JSON (the view's first renderer) rather than a 406."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type
