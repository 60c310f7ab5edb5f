"""Absolute links to a card's page and passes, on the host the merchant was reached by.

The pass links belong to ``wallets``, which sits above ``cards`` and is never imported from
here: it registers a provider in its ``AppConfig.ready()``. Without one (or for a wallet that is
not configured) a card has no pass link, and the API says ``null`` rather than a link that fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.urls import reverse

from cards.models import LoyaltyCard
from common.urls import absolute_url


def card_page_url(card: LoyaltyCard, host: str) -> str:
    # Merchant pages live in the tenant URL conf, whichever host the current request came by.
    path = reverse("card-page", args=[card.public_token], urlconf=settings.ROOT_URLCONF)
    return absolute_url(host, path)


@dataclass(frozen=True)
class WalletLinks:
    """Where a card's passes are added from; None: that wallet is not available."""

    apple_pass_url: str | None = None
    google_save_url: str | None = None


NO_WALLET_LINKS = WalletLinks()


class WalletLinkProvider(Protocol):
    def links(self, card: LoyaltyCard, host: str) -> WalletLinks:
        """The card's pass links on ``host``."""
        ...

    def related(self) -> tuple[str, ...]:
        """Relations of the card to load with it, so that ``links`` needs no query of its own."""
        ...


_provider: WalletLinkProvider | None = None


def register_wallet_links(provider: WalletLinkProvider | None) -> None:
    """Make ``provider`` the source of every card's pass links (None: no pass links)."""
    global _provider
    _provider = provider


def wallet_link_provider() -> WalletLinkProvider | None:
    return _provider


def wallet_links(card: LoyaltyCard, host: str) -> WalletLinks:
    return _provider.links(card, host) if _provider is not None else NO_WALLET_LINKS


def wallet_link_relations() -> tuple[str, ...]:
    return _provider.related() if _provider is not None else ()
