"""A card's signed ``.pkpass``, built once per version of what it shows."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models.functions import Greatest

from wallets.apple.credentials import load_credentials
from wallets.apple.pass_content import pass_files
from wallets.apple.signing import package
from wallets.models import WalletPass

# A card's version stays in the cache for a day; a changed card has a new key at once.
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class BuiltPass:
    data: bytes
    modified_at: dt.datetime  # when what the pass shows last changed (Last-Modified)


# The rows besides the card whose fields a pass shows. The latest ``updated_at`` among the card
# and these, and the pass's own message (``WalletPass.message_at``), is the pass's version: read
# from loaded objects here, computed by the database in ``selectors.passes_updated_since``, and
# both from this one list.
PASS_SOURCES = ("customer", "program", "store")


def pass_modified_at(wallet_pass: WalletPass) -> dt.datetime:
    """The last change to anything the pass shows: the card, its customer, programme, store, and
    the message on its back.

    Needs them loaded with the pass (``selectors.find_apple_pass``)."""
    card = wallet_pass.card
    moments = [card.updated_at, *(getattr(card, name).updated_at for name in PASS_SOURCES)]
    if wallet_pass.message_at is not None:  # no message yet
        moments.append(wallet_pass.message_at)
    return max(moments)


def pass_version(pass_path: str) -> Greatest:
    """``pass_modified_at`` as a database expression, for the wallet pass at ``pass_path``
    (e.g. ``"wallet_pass__"``). PostgreSQL's GREATEST skips NULL, as the Python does: a pass
    without a message has its card's version."""
    card_path = f"{pass_path}card__"
    return Greatest(
        f"{card_path}updated_at",
        *(f"{card_path}{name}__updated_at" for name in PASS_SOURCES),
        f"{pass_path}message_at",
    )


def _cache_key(
    wallet_pass: WalletPass, modified_at: dt.datetime, host: str, fingerprint: str
) -> str:
    # The host and the public scheme and port make the links (card page, web service) inside.
    version = "|".join(
        (
            wallet_pass.apple_serial_number,
            modified_at.isoformat(),
            host,
            settings.PUBLIC_SCHEME,
            str(settings.PUBLIC_PORT or ""),
            fingerprint,
        )
    )
    # Hashed: the key is fixed-length and safe for any cache backend (memcached forbids spaces).
    return "apple-pkpass:" + hashlib.sha256(version.encode()).hexdigest()


def build_pkpass(wallet_pass: WalletPass, *, host: str, use_cache: bool = True) -> BuiltPass:
    """The signed pass of ``wallet_pass.card`` (loaded with its customer, programme and store),
    with the pass's message;
    links in it are built on ``host``. Raises AppleCredentialsError when Apple Wallet is off or
    its files cannot be read.

    The bytes are kept in Django's cache (per merchant) under the card's version, so a burst of
    downloads of an unchanged card signs once, and any change to it gives a new pass."""
    card = wallet_pass.card
    credentials = load_credentials()
    modified_at = pass_modified_at(wallet_pass)
    key = _cache_key(wallet_pass, modified_at, host, credentials.fingerprint)
    if use_cache and (data := cache.get(key)) is not None:
        return BuiltPass(data=data, modified_at=modified_at)
    files = pass_files(wallet_pass, card, credentials, host=host)
    data = package(files, credentials)
    if use_cache:
        cache.set(key, data, CACHE_SECONDS)
    return BuiltPass(data=data, modified_at=modified_at)
