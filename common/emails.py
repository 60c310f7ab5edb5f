"""E-mail addresses: how they are compared (one spelling per address, whoever typed it), and
the sender our messages to customers carry."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings


def normalise_email(email: str) -> str:
    """The address as stored and looked up: trimmed and lower-case.

    Lower-casing the local part is stricter than RFC 5321 allows, but no mailbox provider our
    users meet tells ``Jane@`` from ``jane@``, and one person must not hold two accounts (or two
    cards) by typing a capital letter.
    """
    return email.strip().lower()


def sender_named(name: str) -> str:
    """The platform's sender address under ``name`` (a merchant's): customers know the shop, not
    us."""
    _display, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name, address or settings.DEFAULT_FROM_EMAIL))
