"""The platform's figures listen to the engine's announcements (connected in
InsightsConfig.ready()).

A change to a card or a programme queues its merchant's roll-up (``insights.platform``) at the end
of the coalescing window, ``PLATFORM_ROLLUP_COALESCE_SECONDS``: the first change leaves a marker in
the shared cache and queues the task; the changes after it within the window find the marker and
queue nothing, so a burst of stamps is one roll-up. The task clears the marker before it reads, so
a change during the roll-up queues the next one and the figures always end on the latest state.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name

from common.coalescing import mark_pending, queue_task
from insights.tasks import ROLLUP_PENDING, rollup_merchant_task
from merchants.models import Merchant

# Background threads (no broker) carry this prefix: tests and callers can wait for them.
THREAD_PREFIX = "rollup-"


def _current_merchant_id() -> int | None:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Merchant) and tenant.pk:
        return tenant.pk
    return (
        Merchant.objects.filter(schema_name=connection.schema_name)
        .values_list("pk", flat=True)
        .first()
    )


def queue_rollup() -> None:
    """Queue the current merchant's roll-up, unless one is already pending."""
    if connection.schema_name == get_public_schema_name():
        return
    window = settings.PLATFORM_ROLLUP_COALESCE_SECONDS
    # Keyed by schema: the merchant's id is looked up only when a roll-up is actually queued.
    if not mark_pending(
        kind=ROLLUP_PENDING, schema_name=connection.schema_name, pk=0, window=window
    ):
        return
    merchant_id = _current_merchant_id()
    if merchant_id is None:
        return
    queue_task(
        rollup_merchant_task,
        kwargs={"merchant_id": merchant_id},
        window=window,
        thread_prefix=THREAD_PREFIX,
    )


def on_change(sender: type, **kwargs: Any) -> None:
    queue_rollup()
