"""Background work of the engine. Tasks take ids, run in their merchant's schema (the schema they
were queued from) and are safe to run twice."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from cards.services import email_card_link, email_data_link, expire_points
from merchants.fanout import queue_for_each_merchant


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_points_task() -> int:
    """Expire due points in the current merchant's schema; returns how many cards expired."""
    return expire_points()


@shared_task(acks_late=True)
def expire_points_everywhere_task() -> int:
    """The daily beat entry: one expiry task per active merchant."""
    return queue_for_each_merchant(expire_points_task)


# SMTPException is an OSError; both are named for the reader. A mail server that refuses for good
# (bad address) still raises after the retries, and the worker logs it.
@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError, OperationalError),
    retry_backoff=True,
    max_retries=5,
)
def send_card_link_task(card_id: int, host: str) -> None:
    """E-mail the card's page link to its customer (in the current merchant's schema)."""
    email_card_link(card_id=card_id, host=host)


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError, OperationalError),
    retry_backoff=True,
    max_retries=5,
)
def send_data_link_task(card_id: int, action: str, host: str) -> None:
    """E-mail the confirmation link of a customer's data request ("Download my data", "Erase my
    data") to the card's customer (in the current merchant's schema)."""
    email_data_link(card_id=card_id, action=action, host=host)
