"""Automations that follow the engine's announcements (connected in MessagingConfig.ready()).

They run after commit, often inside a cashier's request: they only decide whether an automation
is due for the card, write its delivery row and queue the delivery task."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("messaging")


def on_card_changed(sender: type, *, card_id: int, reason: str = "", **kwargs: Any) -> None:
    from messaging.automations import card_event

    try:
        card_event(card_id=card_id, reason=reason, transaction_id=kwargs.get("transaction_id"))
    except Exception:
        # A listener never turns a committed operation into an error.
        logger.exception("messaging automation for card %s failed", card_id)
