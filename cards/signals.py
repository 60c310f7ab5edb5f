"""What the engine announces, after commit (see common.announcements). It does not know who listens:
wallets, and later analytics, messaging and webhooks, connect in their own ``apps.ready()``."""

from __future__ import annotations

from django.dispatch import Signal

# A card's balances or state changed. kwargs: card_id, transaction_id (the ledger row; None when
# no row was written), reason ("enrolled", "reactivated", "customer_renamed" or the ledger row's
# type; "customer_erased": the holder's name is gone from the card and its passes).
card_changed = Signal()

# A card was blocked (is_active set to false): its passes should say so. kwargs: card_id.
card_deactivated = Signal()

# A customer's personal data was erased (cards.services.privacy.erase_customer). kwargs:
# customer_id, card_ids (the customer's cards, all blocked by then). Listeners forget what they
# keep about those cards' holder (wallets: the Apple devices' registrations).
customer_erased = Signal()
