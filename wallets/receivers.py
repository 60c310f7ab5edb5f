"""The wallets listen to the engine's announcements (connected in WalletsConfig.ready()).

Receivers run after commit in the process that committed, often inside a cashier's request: they
only decide whether a push is due and queue it, at the end of the coalescing window.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Task
from django.conf import settings
from django.db import connection, connections

from wallets.apple.push import has_registrations, mark_push_pending
from wallets.config import apple_configured
from wallets.tasks import push_cards_task, push_program_task

logger = logging.getLogger("wallets")


def _run_in_background(task: Task, kwargs: dict[str, Any], schema_name: str) -> None:
    try:
        # The schema header is what a broker message carries: the task enters that schema.
        task.apply(kwargs=kwargs, headers={"_schema_name": schema_name}, throw=True)
    except Exception:
        logger.exception("background %s failed", task.name)
    finally:
        connections.close_all()  # this thread's own connection


def _queue(task: Task, *, kwargs: dict[str, Any], window: float) -> None:
    if task.app.conf.task_always_eager:
        # No broker (development): Celery would run the task here, inside the request, and a
        # stuck APNs would hold the cashier's stamp. Run it on a thread of its own instead.
        timer = threading.Timer(
            window, _run_in_background, args=(task, kwargs, connection.schema_name)
        )
        timer.name = f"apple-push-{task.name.rsplit('.', 1)[-1]}"
        timer.daemon = True
        timer.start()
    else:
        task.apply_async(kwargs=kwargs, countdown=window)


def push_card(*, card_id: int) -> None:
    if not apple_configured():
        return
    # Most cards have no pass on a device: no task, no marker.
    if not has_registrations(card_id=card_id):
        return
    window = settings.APPLE_PUSH_COALESCE_SECONDS
    schema_name = connection.schema_name
    if mark_push_pending(kind="card", schema_name=schema_name, pk=card_id, window=window):
        _queue(push_cards_task, kwargs={"card_ids": [card_id]}, window=window)


def on_card_changed(sender: type, *, card_id: int, **kwargs: Any) -> None:
    push_card(card_id=card_id)


def on_card_deactivated(sender: type, *, card_id: int, **kwargs: Any) -> None:
    push_card(card_id=card_id)  # the pass shows itself voided


def on_program_changed(sender: type, *, program_id: int, **kwargs: Any) -> None:
    if not apple_configured():
        return
    window = settings.APPLE_PUSH_COALESCE_SECONDS
    schema_name = connection.schema_name
    if mark_push_pending(kind="program", schema_name=schema_name, pk=program_id, window=window):
        _queue(push_program_task, kwargs={"program_id": program_id}, window=window)
