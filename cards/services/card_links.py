"""The card-page link, e-mailed to the card's own address: how a customer gets back to a card
(joining again with a known e-mail, "Lost your card?") without anyone else seeing it."""

from __future__ import annotations

import logging

from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django_tenants.utils import schema_context

from cards.links import card_page_url
from cards.models import LoyaltyCard
from cards.selectors import card_for_email
from common.colors import readable_ink
from common.emails import sender_named
from merchants.models import Merchant
from programs.exceptions import StoreNotFound
from programs.selectors import store_by_code

logger = logging.getLogger(__name__)


def request_card_link(*, store_code: str, email: str, host: str) -> None:
    """Someone asks for the card of ``email`` at this store ("Lost your card?"): when that address
    has a card for the store's programme, its link is e-mailed there after commit. The caller
    learns nothing either way; an unknown store is ``StoreNotFound``."""
    store = store_by_code(store_code)
    if store is None:
        raise StoreNotFound()
    card = card_for_email(store=store, email=email)
    if card is not None:
        send_card_link_after_commit(card_id=card.pk, host=host)


def send_card_link_after_commit(*, card_id: int, host: str) -> None:
    """Queue the card-link e-mail once the current transaction commits (nothing if it rolls back,
    so an Idempotency-Key replay sends nothing new). A failure to queue is logged, never turned
    into an error for the visitor: the answer is the same either way."""
    # cards.tasks imports the services; importing it here at module level would be a cycle.
    from cards.tasks import send_card_link_task

    # Tenant-aware Celery sends the schema that is current when the task is queued: pin the one
    # the card lives in, whatever the connection points to when the callback runs.
    schema = connection.schema_name

    def queue() -> None:
        try:
            with schema_context(schema):
                send_card_link_task.delay(card_id=card_id, host=host)
        except Exception:
            logger.exception("could not queue the link of card %s", card_id)

    transaction.on_commit(queue)


def email_card_link(*, card_id: int, host: str) -> None:
    """Send the card's page link to its customer's e-mail, in the customer's language, from the
    merchant's name. ``host`` is the merchant host the link points to (the one the customer used).

    Safe to run twice: a second run sends the same link again, which is harmless.
    """
    card = LoyaltyCard.objects.select_related("customer", "program", "store").get(pk=card_id)
    customer = card.customer
    # The merchant row lives in the public schema, which is on every merchant's search path.
    merchant = Merchant.objects.get(schema_name=connection.schema_name)
    context = {
        "customer": customer,
        "card": card,
        "program": card.program,
        "store": card.store,
        "merchant_name": merchant.name,
        "card_url": card_page_url(card, host),
        "card_ink": readable_ink(card.program.card_color),
    }
    with translation.override(customer.locale):
        subject = render_to_string("cards/email/card_link_subject.txt", context)
        text = render_to_string("cards/email/card_link.txt", context)
        html = render_to_string("cards/email/card_link.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line: a header may not hold a newline
        body=text,
        from_email=sender_named(merchant.name),
        to=[customer.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
