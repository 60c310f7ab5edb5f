"""Google's identifiers for our classes and objects: ``<issuer id>.<suffix>``, the suffix limited
to ``[A-Za-z0-9._-]`` (Google's rule for resource ids)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connection

from programs.models import LoyaltyProgram
from wallets.models import ProgramWallet, WalletPass

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")


def suffix(text: str) -> str:
    return _NOT_ALLOWED.sub("_", text)


def issuer_id(program: LoyaltyProgram) -> str:
    """The programme's own issuer (``ProgramWallet.google_issuer_id``) or the platform's."""
    try:
        own = program.wallet.google_issuer_id  # no query when loaded with select_related
    except ProgramWallet.DoesNotExist:
        own = ""
    return own or settings.GOOGLE_WALLET_ISSUER_ID


def merchant_key() -> str:
    """The merchant part of our ids: its schema name, which never changes (a slug could)."""
    return suffix(connection.schema_name)


def class_id(program: LoyaltyProgram) -> str:
    return f"{issuer_id(program)}.{merchant_key()}-{program.pk}"


def object_id(wallet_pass: WalletPass, program: LoyaltyProgram) -> str:
    """Random like the Apple serial number it reuses: an object id tells nothing of another."""
    return wallet_pass.google_object_id or (
        f"{issuer_id(program)}.{merchant_key()}-{suffix(wallet_pass.apple_serial_number)}"
    )
