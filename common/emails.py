"""How e-mail addresses are compared: one spelling per address, whoever typed it."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    """The address as stored and looked up: trimmed and lower-case.

    Lower-casing the local part is stricter than RFC 5321 allows, but no mailbox provider our
    users meet tells ``Jane@`` from ``jane@``, and one person must not hold two accounts (or two
    cards) by typing a capital letter.
    """
    return email.strip().lower()
