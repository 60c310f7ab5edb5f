"""Sending a campaign from the composer: real commits, so the fan-out starts after the owner's
request (on a thread of its own without a broker), as it does in development."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from messaging.models import (
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    MessageStatus,
    SkipReason,
)
from tests.conftest import Loyalty
from tests.messaging.helpers import settle_all
from tests.messaging.test_backoffice import ADD, _audience, _list, composer, owner
from tests.wallets.helpers import switch_wallets_on

pytestmark = pytest.mark.usefixtures("committed_db")


def test_the_owner_composes_and_sends_a_campaign_to_its_audience(
    committed_loyalty: Loyalty, settings: Any
) -> None:
    loyalty = committed_loyalty
    switch_wallets_on(settings)
    cards = _audience(loyalty)
    client = owner(loyalty)

    page = client.get(ADD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-counter="90"' in html and 'id="msg-preview"' in html

    sent = client.post(
        ADD,
        composer(
            text_fr="Tampons doublés ce samedi !",
            detail_en="Every stamp counts twice, all day.",
            _send="1",
        ),
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    settle_all()  # without a broker the fan-out runs on a thread of its own

    with schema_context(loyalty.merchant.schema_name):
        campaign = Message.objects.get(kind=MessageKind.CAMPAIGN)
        assert campaign.texts["fr"]["text"] == "Tampons doublés ce samedi !"
        assert campaign.created_by_id is not None
        deliveries = Delivery.objects.filter(message=campaign)
        every_card = {card.pk for group in cards.values() for card in _list(group)}
        # One delivery per card of the audience (the fan-out ran), each decided.
        assert set(deliveries.values_list("card_id", flat=True)) == every_card
        assert not deliveries.filter(status=DeliveryStatus.PENDING).exists()
        assert deliveries.get(card=cards["no_consent"]).skip_reason == SkipReason.NO_CONSENT
        french = deliveries.filter(card__in=cards["apple"]).values_list("language", flat=True)
        assert set(french) == {"fr"}
        assert campaign.status in (MessageStatus.SENDING, MessageStatus.SENT)

    # Sent: its page is now the report, read-only.
    report_page = client.get(sent["Location"])
    assert report_page.status_code == 200
    assert b"data-report" in report_page.content
    assert b'name="_send"' not in report_page.content
