"""Coalescing a burst of changes into one piece of background work, and queueing that work.

The first change to a thing (a card's wallet pass, a programme's, a merchant's platform figures)
within the window queues its task for the end of the window and leaves a marker; later changes in
the window see the marker and queue nothing. The task clears the marker before it reads, so a
change after that queues again, and the work always carries the latest state. Every process must
share the cache (production's settings insist on it).
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from celery import Task
from django.core.cache import cache
from django.db import connection, connections

logger = logging.getLogger(__name__)


def _key(kind: str, schema_name: str, pk: int) -> str:
    return f"pending:{kind}:{schema_name}:{pk}"


def mark_pending(*, kind: str, schema_name: str, pk: int, window: float) -> bool:
    """True when no work of this kind is pending for this object yet (and now it is)."""
    # Whole seconds (Redis rounds down: 0 would store nothing). The task clears the marker before
    # it works, so the rounding up never costs an update.
    return cache.add(_key(kind, schema_name, pk), 1, timeout=max(1, math.ceil(window)))


def clear_pending(*, kind: str, schema_name: str, pk: int) -> None:
    cache.delete(_key(kind, schema_name, pk))


def _run_in_background(task: Task, kwargs: dict[str, Any], schema_name: str) -> None:
    try:
        # The schema header is what a broker message carries: the task enters that schema.
        task.apply(kwargs=kwargs, headers={"_schema_name": schema_name}, throw=True)
    except Exception:
        logger.exception("background %s failed", task.name)
    finally:
        connections.close_all()  # this thread's own connection


def queue_task(task: Task, *, kwargs: dict[str, Any], window: float, thread_prefix: str) -> None:
    """Run ``task`` in the current merchant's schema ``window`` seconds from now: through the
    broker, or, with none (development), on a thread named ``thread_prefix…`` (tests wait for
    those by name)."""
    if task.app.conf.task_always_eager:
        # Celery would run the task here, inside the request, and a stuck APNs or Google would
        # hold the cashier's stamp. Run it on a thread of its own.
        timer = threading.Timer(
            window, _run_in_background, args=(task, kwargs, connection.schema_name)
        )
        timer.name = f"{thread_prefix}{task.name.rsplit('.', 1)[-1]}"
        timer.daemon = True
        timer.start()
    else:
        task.apply_async(kwargs=kwargs, countdown=window)
