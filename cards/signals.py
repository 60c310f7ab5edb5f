"""What the engine announces. It does not know who listens (wallets, later webhooks, analytics)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that changed a card commits; kwargs: card_id, reason.
card_changed = Signal()
