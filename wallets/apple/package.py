"""A card's signed ``.pkpass``, built once per version of what it shows."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.cache import cache

from cards.models import LoyaltyCard
from wallets.apple.credentials import AppleCredentials, load_credentials
from wallets.apple.pass_content import pass_files
from wallets.apple.signing import package
from wallets.models import WalletPass

# A card's version stays in the cache for a day; a changed card has a new key at once.
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class BuiltPass:
    data: bytes
    modified_at: dt.datetime  # when what the pass shows last changed (Last-Modified)


def pass_modified_at(card: LoyaltyCard) -> dt.datetime:
    """The last change to anything the pass shows: the card, its customer, programme, store.

    Needs them loaded with the card (``selectors.find_apple_pass``)."""
    return max(
        card.updated_at, card.customer.updated_at, card.program.updated_at, card.store.updated_at
    )


def credentials_fingerprint(credentials: AppleCredentials) -> str:
    """Changes with the signing certificate, the intermediate or the identifiers: a renewed
    certificate gives every pass a new cache key."""
    return _fingerprint(
        credentials.pass_type_id, credentials.team_id, credentials.pass_cert, credentials.wwdr_cert
    )


@lru_cache(maxsize=8)
def _fingerprint(
    pass_type_id: str, team_id: str, pass_cert: x509.Certificate, wwdr_cert: x509.Certificate
) -> str:
    parts = (
        pass_type_id,
        team_id,
        pass_cert.fingerprint(hashes.SHA256()).hex(),
        wwdr_cert.fingerprint(hashes.SHA256()).hex(),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


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
    """The signed pass of ``wallet_pass.card`` (loaded with its customer, programme and store);
    links in it are built on ``host``. Raises AppleCredentialsError when Apple Wallet is off or
    its files cannot be read.

    The bytes are kept in Django's cache (per merchant) under the card's version, so a burst of
    downloads of an unchanged card signs once, and any change to it gives a new pass."""
    card = wallet_pass.card
    credentials = load_credentials()
    modified_at = pass_modified_at(card)
    key = _cache_key(wallet_pass, modified_at, host, credentials_fingerprint(credentials))
    if use_cache and (data := cache.get(key)) is not None:
        return BuiltPass(data=data, modified_at=modified_at)
    files = pass_files(wallet_pass, card, credentials, host=host)
    data = package(files, credentials)
    if use_cache:
        cache.set(key, data, CACHE_SECONDS)
    return BuiltPass(data=data, modified_at=modified_at)
