"""Writes on the wallets' own records."""

from __future__ import annotations

from cards.models import LoyaltyCard
from wallets.models import WalletPass


def ensure_wallet_pass(*, card: LoyaltyCard) -> WalletPass:
    """The card's pass identifiers, created the first time a pass link needs them.

    Safe under concurrency: the card is unique in ``WalletPass``, and ``get_or_create`` reads
    the winner's row when two requests create it at once.
    """
    try:
        return card.wallet_pass  # no query when loaded with the card (cards.links relations)
    except WalletPass.DoesNotExist:
        pass
    wallet_pass, _created = WalletPass.objects.get_or_create(card=card)
    card.wallet_pass = wallet_pass  # later reads of this card object need no query
    return wallet_pass
