"""The pass links of a card, provided to ``cards.links`` (registered in WalletsConfig.ready())."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from cards.links import NO_WALLET_LINKS, WalletLinks
from cards.models import LoyaltyCard
from common.urls import absolute_url
from wallets.config import apple_configured, google_configured
from wallets.services import ensure_wallet_pass


def _absolute(host: str, name: str, serial_number: str) -> str:
    # The pass endpoints live in the tenant URL conf, whichever host the current request came by.
    path = reverse(name, kwargs={"serial": serial_number}, urlconf=settings.ROOT_URLCONF)
    return absolute_url(host, path)


class WalletPassLinks:
    """Links to the pass endpoints of the configured wallets; none (and no query) otherwise."""

    def related(self) -> tuple[str, ...]:
        return ("wallet_pass",) if apple_configured() or google_configured() else ()

    def links(self, card: LoyaltyCard, host: str) -> WalletLinks:
        apple, google = apple_configured(), google_configured()
        if not (apple or google):
            return NO_WALLET_LINKS
        serial_number = ensure_wallet_pass(card=card).apple_serial_number
        return WalletLinks(
            apple_pass_url=_absolute(host, "api-pass-apple", serial_number) if apple else None,
            google_save_url=_absolute(host, "api-pass-google", serial_number) if google else None,
        )
