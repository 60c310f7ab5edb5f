"""Absolute links for passes, e-mails and QR codes, built from PUBLIC_SCHEME and PUBLIC_PORT."""

from __future__ import annotations

from django.conf import settings


def absolute_url(host: str, path: str = "/") -> str:
    scheme = settings.PUBLIC_SCHEME
    port = str(settings.PUBLIC_PORT or "")
    default_port = {"http": "80", "https": "443"}.get(scheme)
    netloc = host if not port or port == default_port else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"
