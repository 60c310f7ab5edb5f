"""Automations that follow the engine's announcements (connected in MessagingConfig.ready()).

They run after commit, often inside a cashier's request: they only ask whether an automation that
the change could trigger is on (one query; none for most operations), and queue a task that takes
the ids and decides."""

from __future__ import annotations

import logging
from typing import Any

from common.coalescing import queue_task
from messaging.services import THREAD_PREFIX

logger = logging.getLogger("messaging")


def on_card_changed(sender: type, *, card_id: int, reason: str = "", **kwargs: Any) -> None:
    from messaging.automations import may_trigger
    from messaging.tasks import card_event_task

    try:
        if may_trigger(reason):
            # Through the broker; without one (development) on a thread of its own, never in
            # the cashier's request: the delivery talks to APNs and Google.
            queue_task(
                card_event_task,
                kwargs={
                    "card_id": card_id,
                    "reason": reason,
                    "transaction_id": kwargs.get("transaction_id"),
                },
                window=0,
                thread_prefix=THREAD_PREFIX,
            )
    except Exception:
        # A listener never turns a committed operation into an error.
        logger.exception("messaging automation for card %s failed", card_id)
