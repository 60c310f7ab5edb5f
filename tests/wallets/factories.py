from __future__ import annotations

import factory

from wallets.models import WalletPass


class WalletPassFactory(factory.django.DjangoModelFactory):
    """A card's pass identifiers in the current schema: pass ``card``."""

    class Meta:
        model = WalletPass
