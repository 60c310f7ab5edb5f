"""A card's signed ``.pkpass``, built once per version of what it shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cards.models import LoyaltyCard
from wallets.apple.credentials import load_credentials
from wallets.apple.pass_content import pass_files
from wallets.apple.signing import package
from wallets.models import WalletPass


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


def build_pkpass(wallet_pass: WalletPass, *, host: str) -> BuiltPass:
    """The signed pass of ``wallet_pass.card`` (loaded with its customer, programme and store);
    links in it are built on ``host``. Raises AppleCredentialsError when Apple Wallet is off or
    its files cannot be read."""
    card = wallet_pass.card
    credentials = load_credentials()
    files = pass_files(wallet_pass, card, credentials, host=host)
    return BuiltPass(data=package(files, credentials), modified_at=pass_modified_at(card))
