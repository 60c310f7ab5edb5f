"""The merchant's back office for messages: composing and sending a campaign, its live preview,
its report, the automations and the settings, and who may open them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from cards.services import StaffAuth, add_stamps
from common.request_meta import RequestMeta
from messaging import selectors
from messaging.models import (
    Audience,
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    MessageStatus,
    MessagingSettings,
    SkipReason,
    Trigger,
    WalletResult,
)
from messaging.services import create_campaign
from staff.services import create_cashier
from tests.conftest import PASSWORD, STAMPS_PIN, Loyalty, client_for
from tests.messaging.helpers import enrol, on_apple, on_google_record
from tests.wallets.helpers import switch_wallets_on

pytestmark = pytest.mark.django_db

ADD = "/admin/messaging/message/add/"
PREVIEW = "/admin/messaging/message/preview/"
AUTOMATIONS = "/admin/messaging/message/automations/"
SETTINGS = "/admin/messaging/message/settings/"


def owner(loyalty: Loyalty) -> Client:
    client = client_for(loyalty.merchant)
    signed_in = client.post(
        "/admin/login/?next=/admin/",
        {"username": f"owner@{loyalty.merchant.slug}.example", "password": PASSWORD},
    )
    assert signed_in.status_code == 302
    return client


def composer(**fields: Any) -> dict[str, Any]:
    data = {
        "name": "Double stamps",
        "text_en": "Double stamps this Saturday!",
        "detail_en": "",
        "text_fr": "",
        "detail_fr": "",
        "text_de": "",
        "detail_de": "",
        "text_lb": "",
        "detail_lb": "",
        "audience": Audience.EVERYONE,
        "audience_store": "",
        "days": "",
        "program": "",
        "send_at": "",
    }
    data.update(fields)
    return data


def _audience(loyalty: Loyalty) -> dict[str, Any]:
    """Three customers on Apple, two on Google, one without a pass, one without consent."""
    with schema_context(loyalty.merchant.schema_name):
        apple = [enrol(email=f"apple{n}@example.com", locale="fr") for n in range(3)]
        google = [enrol(email=f"google{n}@example.com") for n in range(2)]
        no_pass = enrol(email="nopass@example.com")
        no_consent = enrol(email="noconsent@example.com", consent=False)
        for card in [*apple, no_consent]:
            on_apple(card)
        for card in google:
            on_google_record(card, f"issuer.card-{card.pk}")
    return {"apple": apple, "google": google, "no_pass": no_pass, "no_consent": no_consent}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_a_draft_is_saved_and_a_schedule_waits_in_the_merchants_time_zone(
    loyalty: Loyalty,
) -> None:
    client = owner(loyalty)
    draft = client.post(ADD, composer(_draft="1"))
    assert draft.status_code == 302
    with schema_context(loyalty.merchant.schema_name):
        campaign = Message.objects.get(kind=MessageKind.CAMPAIGN)
        assert campaign.status == MessageStatus.DRAFT
        assert not Delivery.objects.exists()

    # In the first store's time zone (the merchant's), not UTC.
    tomorrow = (timezone.now() + dt.timedelta(days=2)).date()
    scheduled = client.post(
        f"/admin/messaging/message/{campaign.pk}/change/",
        composer(send_at=f"{tomorrow.isoformat()}T10:00", _schedule="1"),
    )
    assert scheduled.status_code == 302
    with schema_context(loyalty.merchant.schema_name):
        campaign.refresh_from_db()
        assert campaign.status == MessageStatus.SCHEDULED
        expected = dt.datetime.combine(
            tomorrow, dt.time(10, 0), tzinfo=ZoneInfo(loyalty.stamps_store.timezone)
        )
        assert campaign.send_at == expected

    # Still editable, with its cancel button; cancelling stops it.
    page = client.get(f"/admin/messaging/message/{campaign.pk}/change/").content.decode()
    assert f"{tomorrow.isoformat()}T10:00" in page
    assert f"/admin/messaging/message/{campaign.pk}/cancel/" in page
    client.post(f"/admin/messaging/message/{campaign.pk}/cancel/")
    with schema_context(loyalty.merchant.schema_name):
        campaign.refresh_from_db()
        assert campaign.status == MessageStatus.CANCELLED


def test_the_composer_shows_the_services_refusals_on_the_form(loyalty: Loyalty) -> None:
    client = owner(loyalty)

    too_long = client.post(ADD, composer(text_en="x" * 91, _send="1"))
    assert too_long.status_code == 200
    assert "The lock-screen line has 91 characters; at most 90 show." in too_long.content.decode()

    no_default = client.post(ADD, composer(text_en="", text_fr="Bonjour", _send="1"))
    assert no_default.status_code == 200
    assert "Write the message in the default language" in no_default.content.decode()

    no_store = client.post(ADD, composer(audience=Audience.STORE, _draft="1"))
    assert "Choose the store whose customers get it." in no_store.content.decode()

    no_time = client.post(ADD, composer(_schedule="1"))
    assert "Choose when to send it." in no_time.content.decode()

    with schema_context(loyalty.merchant.schema_name):
        assert not Message.objects.exists()


def test_the_preview_json_gives_the_selectors_counts(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)
    cards = _audience(loyalty)
    client = owner(loyalty)

    answer = client.get(PREVIEW, {"audience": Audience.EVERYONE}).json()
    with schema_context(loyalty.merchant.schema_name):
        expected = selectors.preview(audience=Audience.EVERYONE)
    assert answer["targeted"] == expected.targeted == 7
    assert answer["apple"] == expected.apple
    assert answer["google"] == expected.google
    assert answer["holdout"] == expected.holdout
    assert answer["reached"] == expected.reached
    assert answer["skipped"] == {"no_pass": 1, "no_consent": 1, "budget": 0}

    # Another audience, another count: a store's customers (none at the bakery).
    store = client.get(
        PREVIEW, {"audience": Audience.STORE, "audience_store": loyalty.points_store.pk}
    ).json()
    assert store["targeted"] == 0
    assert cards  # the cards are all at the stamps store

    # The page's first state is the same preview, server-rendered.
    html = client.get(ADD).content.decode()
    reached = re.search(r'data-figure="reached">(\d+)<', html)
    assert reached and int(reached.group(1)) == expected.reached


def test_the_report_shows_the_figures_of_the_delivery_rows(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        cards = [enrol(email=f"c{n}@example.com") for n in range(6)]
        campaign = create_campaign(name="Saturday", texts={"en": {"text": "Double stamps"}})
        sent_at = timezone.now() - dt.timedelta(days=1)
        Message.objects.filter(pk=campaign.pk).update(
            status=MessageStatus.SENT, started_at=sent_at, finished_at=sent_at
        )
        rows = [
            dict(status=DeliveryStatus.SENT, apple=WalletResult.SENT, sent_at=sent_at),
            dict(status=DeliveryStatus.SENT, apple=WalletResult.SENT, sent_at=sent_at),
            dict(status=DeliveryStatus.SENT, google=WalletResult.SENT, sent_at=sent_at),
            dict(status=DeliveryStatus.HOLDOUT),
            dict(status=DeliveryStatus.SKIPPED, skip_reason=SkipReason.NO_CONSENT),
            dict(status=DeliveryStatus.FAILED),
        ]
        for card, fields in zip(cards, rows, strict=True):
            Delivery.objects.create(
                message=campaign, card=card, customer=card.customer, language="en", **fields
            )
        Delivery.objects.filter(message=campaign).update(created_at=sent_at)
        # The first recipient came back after the message.
        add_stamps(
            card_number=cards[0].card_number,
            staff=StaffAuth(staff_pin_id=loyalty.stamps_pin_id, pin=STAMPS_PIN),
            meta=RequestMeta.system(),
        )

    page = owner(loyalty).get(f"/admin/messaging/message/{campaign.pk}/change/")
    assert page.status_code == 200
    html = re.sub(r"\s+", " ", page.content.decode())

    def card_value(key: str) -> str:
        found = re.search(rf'data-figure="{key}">.*?dash-card-value">([^<]+)<', html)
        assert found, key
        return found.group(1)

    assert card_value("targeted") == "6"
    assert card_value("sent") == "3"
    assert card_value("skipped") == "1"
    assert card_value("holdout") == "1"
    assert "Apple Wallet 2 · Google Wallet 1" in html
    assert "Skipped: No marketing consent" in html
    assert re.search(r'data-row="failed">.*?dash-num">1<', html)
    # Came back: 1 of 3 recipients (33.3 %), none of the holdout: +33.3 points.
    assert re.search(r'data-row="recipients">.*?1 / 3.*?33.3 %', html)
    assert re.search(r'data-row="holdout">.*?0 / 1.*?0.0 %', html)
    assert "+33.3" in html
    assert 'name="_send"' not in html


def test_a_cashier_cannot_open_the_message_pages(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        create_cashier(name="Bob", username="bob", password="counter-pass-2026", stores=[])
    client = client_for(loyalty.merchant)
    client.post("/admin/login/", {"username": "bob", "password": "counter-pass-2026"})
    for url in ("/admin/messaging/message/", ADD, PREVIEW, AUTOMATIONS, SETTINGS):
        response = client.get(url)
        # Not the page: the back office's sign-in (a cashier is no back-office user).
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"], url
    assert client.post(ADD, composer(_send="1")).status_code in (302, 403)
    with schema_context(loyalty.merchant.schema_name):
        assert not Message.objects.exists()


def test_a_back_office_user_without_the_messages_permission_gets_403(loyalty: Loyalty) -> None:
    from django.contrib.auth.models import User

    with schema_context(loyalty.merchant.schema_name):
        User.objects.create_user(username="helper", password=PASSWORD, is_staff=True)
    client = client_for(loyalty.merchant)
    client.post("/admin/login/?next=/admin/", {"username": "helper", "password": PASSWORD})
    for url in ("/admin/messaging/message/", ADD, PREVIEW, AUTOMATIONS, SETTINGS):
        assert client.get(url).status_code == 403, url
    sidebar = client.get("/admin/").content.decode()
    assert AUTOMATIONS not in sidebar and "/admin/messaging/message/" not in sidebar


def test_the_automations_page_saves_on_off_and_texts(loyalty: Loyalty) -> None:
    client = owner(loyalty)
    page = client.get(AUTOMATIONS)
    assert page.status_code == 200
    html = page.content.decode()
    for trigger in Trigger:
        assert f'id="automation-{trigger.value}"' in html
    # N days only where the automation has them.
    assert 'name="win_back-days"' in html and 'name="welcome-days"' not in html

    saved = client.post(
        AUTOMATIONS,
        {
            "trigger": "win_back",
            "win_back-trigger": "win_back",
            "win_back-enabled": "on",
            "win_back-days": "30",
            "win_back-text_en": "We miss you: a free coffee this week",
            "win_back-text_lb": "Mir vermëssen Iech",
        },
    )
    assert saved.status_code == 302
    with schema_context(loyalty.merchant.schema_name):
        automation = Message.objects.get(kind=MessageKind.AUTOMATION, trigger="win_back")
        assert automation.enabled and automation.days == 30
        assert automation.texts["lb"]["text"] == "Mir vermëssen Iech"

    # Off again, its words kept.
    client.post(
        AUTOMATIONS,
        {
            "trigger": "win_back",
            "win_back-trigger": "win_back",
            "win_back-days": "30",
            "win_back-text_en": "We miss you: a free coffee this week",
        },
    )
    with schema_context(loyalty.merchant.schema_name):
        automation.refresh_from_db()
        assert not automation.enabled
        assert automation.texts["en"]["text"] == "We miss you: a free coffee this week"

    # Switched on without its N days: refused on the form.
    refused = client.post(
        AUTOMATIONS,
        {
            "trigger": "reward_not_redeemed",
            "reward_not_redeemed-trigger": "reward_not_redeemed",
            "reward_not_redeemed-enabled": "on",
            "reward_not_redeemed-text_en": "Your reward is waiting",
        },
    )
    assert refused.status_code == 200
    assert "Say after how many days." in refused.content.decode()


def test_the_settings_page_saves_through_the_service(loyalty: Loyalty) -> None:
    client = owner(loyalty)
    assert client.get(SETTINGS).status_code == 200
    saved = client.post(
        SETTINGS,
        {
            "default_language": "fr",
            "weekly_cap": "3",
            "quiet_start": "22:00",
            "quiet_end": "08:30",
        },
    )
    assert saved.status_code == 302
    with schema_context(loyalty.merchant.schema_name):
        config = MessagingSettings.objects.get()
        assert (config.default_language, config.weekly_cap) == ("fr", 3)
        assert (config.quiet_start, config.quiet_end) == (dt.time(22), dt.time(8, 30))
    # The composer now asks for the French line first, and requires it.
    html = client.get(ADD).content.decode()
    assert html.find('name="text_fr"') < html.find('name="text_en"')

    refused = client.post(SETTINGS, {"default_language": "fr", "weekly_cap": "40"})
    assert refused.status_code == 200


def test_the_demo_seed_shows_the_feature_and_stays_the_same_when_run_again(
    settings: Any, tmp_path: Any
) -> None:
    import io
    import json

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path

    def seed() -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
        out = io.StringIO()
        call_command("seed_demo", "--json", stdout=out)
        result = json.loads(out.getvalue().strip().splitlines()[-1])
        with schema_context("demo"):
            rows = list(
                Message.objects.order_by("kind", "trigger", "name").values_list(
                    "kind", "trigger", "name", "status", "enabled", "texts"
                )
            )
        return result, rows

    first, rows = seed()
    again, rows_again = seed()
    assert again == first and rows_again == rows
    automations = {row[1]: row for row in rows if row[0] == MessageKind.AUTOMATION}
    assert set(automations) == {Trigger.WELCOME, Trigger.REWARD_READY}
    for _kind, _trigger, _name, _status, enabled, texts in automations.values():
        assert enabled and set(texts) == {"en", "fr", "de", "lb"}
    campaigns = [row for row in rows if row[0] == MessageKind.CAMPAIGN]
    assert [(row[2], row[3]) for row in campaigns] == [
        ("Double stamps on Saturday", MessageStatus.DRAFT)
    ]


def test_a_sent_campaign_cannot_be_deleted_nor_changed(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        campaign = create_campaign(name="Sent", texts={"en": {"text": "Hello"}})
        Message.objects.filter(pk=campaign.pk).update(status=MessageStatus.SENT)
    client = owner(loyalty)
    assert client.post(f"/admin/messaging/message/{campaign.pk}/delete/").status_code == 403
    bulk = client.post(
        "/admin/messaging/message/",
        {"action": "delete_selected", "_selected_action": [campaign.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    client.post(
        f"/admin/messaging/message/{campaign.pk}/change/",
        composer(name="Changed", text_en="Changed", _send="1"),
    )
    with schema_context(loyalty.merchant.schema_name):
        campaign.refresh_from_db()
        assert (campaign.name, campaign.texts["en"]["text"]) == ("Sent", "Hello")
        assert campaign.status == MessageStatus.SENT
