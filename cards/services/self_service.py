"""A customer's data rights from their own card page: "Download my data" and "Erase my data".

The card page's token lets its holder *ask*; the card's e-mail *confirms*. A request sends the
customer's address a signed link (``data_link_url``), and nothing happens until that link is
opened and its page's button pressed: someone who merely saw a card page (a shared phone, a
screenshot) cannot download or erase without the mailbox.

A link is signed for one merchant's schema (card ids repeat across schemas), one card and one
action, and holds no secret of its own beyond the signature. It is:
- expiring: ``DATA_LINK_MAX_AGE`` after it was made;
- single-use, without a table of its own: it names the customer's latest data request (export or
  erasure) when it was made, and a fingerprint of the card page's token. Using it records a new
  data request, and an erasure rotates the page token, so the link no longer matches. Any other
  export or erasure since (another link, the back office, the API) spends it too, which is the
  safe side. The check is repeated under the customer's row lock, so two clicks on one link
  export or erase once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from cards.models import Customer, DataRequest, LoyaltyCard
from cards.services.privacy import erase_customer, export_customer, is_erased
from common.colors import readable_ink
from common.emails import sender_named
from common.errors import ApplicationError
from common.urls import absolute_url
from merchants.models import Merchant

logger = logging.getLogger(__name__)

EXPORT = "export"
ERASE = "erase"
ACTIONS = (EXPORT, ERASE)
DATA_LINK_MAX_AGE = timedelta(hours=24)
SELF_SERVICE = "customer (self-service)"


class DataLinkInvalid(ApplicationError):
    status_code = 400
    default_code = "data_link_invalid"
    default_message = _("This link is not valid. Please copy the whole link from the e-mail.")


class DataLinkUsed(ApplicationError):
    status_code = 410
    default_code = "data_link_used"
    default_message = _(
        "This link has already been used. Ask for a new one on your card page if you need to."
    )


class DataLinkExpired(ApplicationError):
    status_code = 410
    default_code = "data_link_expired"
    default_message = _(
        "This link has expired: it works for 24 hours. Ask for a new one on your card page."
    )


class CustomerAlreadyErased(DataLinkUsed):
    default_code = "customer_erased"
    default_message = _("Your data has already been erased.")


@dataclass(frozen=True)
class DataLink:
    """What a signed link says; ``check_data_link`` says whether it may still be used."""

    card: LoyaltyCard
    action: str
    issued_at: datetime
    last_request_id: int
    token_fingerprint: str

    @property
    def customer(self) -> Customer:
        return self.card.customer


def _salt() -> str:
    return f"cards.self-service:{connection.schema_name}"


def _fingerprint(public_token: str) -> str:
    # The link is readable (only signed): it carries a digest of the page token, not the token.
    return hashlib.sha256(public_token.encode()).hexdigest()[:16]


def _last_request_id(customer_id: int) -> int:
    last = DataRequest.objects.filter(customer_id=customer_id).aggregate(last=Max("pk"))["last"]
    return last or 0


def data_link_url(
    *, card: LoyaltyCard, action: str, host: str, issued_at: datetime | None = None
) -> str:
    """The confirmation link for ``action`` on ``card``'s customer, on ``host``."""
    if action not in ACTIONS:
        raise ValueError(action)
    issued_at = issued_at or timezone.now()
    signed = signing.dumps(
        {
            "c": card.pk,
            "a": action,
            "i": int(issued_at.timestamp()),
            "r": _last_request_id(card.customer_id),
            "t": _fingerprint(card.public_token),
        },
        salt=_salt(),
        compress=True,
    )
    # The token rides in the query string, which the log redaction removes (common.log_redaction).
    return absolute_url(
        host,
        f"{reverse('data-confirm', urlconf=settings.ROOT_URLCONF)}?{urlencode({'token': signed})}",
    )


def read_data_link(*, signed: str) -> DataLink:
    """What ``signed`` says, when we signed it for this merchant and its card exists; else
    ``DataLinkInvalid``. Whether it may still be used is ``check_data_link``'s question."""
    try:
        payload: dict[str, Any] = signing.loads(signed, salt=_salt())
        card_id, action = int(payload["c"]), str(payload["a"])
        issued_at = datetime.fromtimestamp(int(payload["i"]), tz=UTC)
        last_request_id, fingerprint = int(payload["r"]), str(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError) as error:
        raise DataLinkInvalid() from error
    card = (
        LoyaltyCard.objects.select_related("customer", "program", "store")
        .filter(pk=card_id)
        .first()
    )
    if card is None or action not in ACTIONS:
        raise DataLinkInvalid()
    return DataLink(card, action, issued_at, last_request_id, fingerprint)


def check_data_link(link: DataLink, *, customer: Customer | None = None) -> None:
    """``DataLinkUsed`` (or ``CustomerAlreadyErased``) when the link was used or superseded,
    ``DataLinkExpired`` past its age. ``customer``: the row as locked by the caller."""
    customer = customer or link.customer
    if is_erased(customer):
        raise CustomerAlreadyErased()
    current_token = (
        LoyaltyCard.objects.filter(pk=link.card.pk).values_list("public_token", flat=True).get()
    )
    if (
        _fingerprint(current_token) != link.token_fingerprint
        or _last_request_id(customer.pk) != link.last_request_id
    ):
        raise DataLinkUsed()
    if timezone.now() - link.issued_at > DATA_LINK_MAX_AGE:
        raise DataLinkExpired()


def _use(*, signed: str, action: str) -> DataLink:
    """Read and check the link under the customer's row lock (call inside a transaction)."""
    link = read_data_link(signed=signed)
    if link.action != action:
        raise DataLinkInvalid()
    customer = Customer.objects.select_for_update().get(pk=link.customer.pk)
    check_data_link(link, customer=customer)
    return link


@transaction.atomic
def export_by_link(*, signed: str) -> dict[str, Any]:
    """The export a customer confirmed by e-mail, recorded as self-service; the link is spent."""
    link = _use(signed=signed, action=EXPORT)
    return export_customer(customer=link.customer, requested_by=SELF_SERVICE)


@transaction.atomic
def erase_by_link(*, signed: str) -> Customer:
    """The erasure a customer confirmed by e-mail, recorded as self-service; the card page
    link and this link are dead afterwards."""
    link = _use(signed=signed, action=ERASE)
    return erase_customer(customer=link.customer, requested_by=SELF_SERVICE)


def request_data_action(*, card: LoyaltyCard, action: str, host: str) -> None:
    """The card page's holder asks for ``action``: the confirmation link goes to the card's
    e-mail after commit. Nothing else happens. An erased customer's card gets nothing."""
    if action not in ACTIONS:
        raise ValueError(action)
    if is_erased(card.customer):
        return
    # cards.tasks imports the services; importing it here at module level would be a cycle.
    from cards.tasks import send_data_link_task

    schema = connection.schema_name
    card_id = card.pk

    def queue() -> None:
        try:
            with schema_context(schema):
                send_data_link_task.delay(card_id=card_id, action=action, host=host)
        except Exception:
            logger.exception("could not queue the data link of card %s", card_id)

    transaction.on_commit(queue)


def email_data_link(*, card_id: int, action: str, host: str) -> None:
    """Send the confirmation link for ``action`` to the card's customer, in their language, from
    the merchant's name. The link is made here, so it never travels through the task queue.
    Safe to run twice: a second message holds a second link to the same, single, action."""
    card = LoyaltyCard.objects.select_related("customer", "program", "store").get(pk=card_id)
    customer = card.customer
    if is_erased(customer):
        return
    merchant = Merchant.objects.get(schema_name=connection.schema_name)
    context = {
        "customer": customer,
        "card": card,
        "program": card.program,
        "store": card.store,
        "merchant_name": merchant.name,
        "action": action,
        "link_url": data_link_url(card=card, action=action, host=host),
        "card_ink": readable_ink(card.program.card_color),
        "hours": int(DATA_LINK_MAX_AGE.total_seconds() // 3600),
    }
    with translation.override(customer.locale):
        subject = render_to_string("cards/email/data_link_subject.txt", context)
        text = render_to_string("cards/email/data_link.txt", context)
        html = render_to_string("cards/email/data_link.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=sender_named(merchant.name),
        to=[customer.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
