"""The vendor API of lock-screen campaigns: send or schedule, preview, report, cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Delivery, Message
from tests.conftest import Loyalty
from tests.messaging.helpers import enrol, on_apple, set_state
from tests.wallets.helpers import switch_wallets_on

pytestmark = pytest.mark.django_db

URL = "/api/v1/vendor/loyalty/messages"
TEXTS = {"en": {"text": "A free coffee is waiting", "detail": "Until Sunday."}}


def _post(loyalty: Loyalty, body: dict[str, Any], key: str | None = None, **headers: str):
    return loyalty.api(key, **headers).post(URL, body, content_type="application/json")


def test_a_scheduled_campaign_is_created_and_described(loyalty: Loyalty) -> None:
    later = timezone.now() + dt.timedelta(days=2)
    answer = _post(
        loyalty,
        {
            "name": "Saturday",
            "texts": {**TEXTS, "fr": {"text": "Un café offert vous attend"}},
            "audience": {"type": "no_visit", "days": 30},
            "program_id": loyalty.stamps_program.pk,
            "send_at": later.isoformat(),
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "scheduled"
    assert body["audience"] == {"type": "no_visit", "store_code": None, "days": 30}
    assert body["texts"]["fr"] == {"text": "Un café offert vous attend", "detail": ""}
    assert body["report"]["targeted"] == 0
    listed = loyalty.api().get(URL).json()
    assert [item["id"] for item in listed] == [body["id"]]
    detail = loyalty.api().get(f"{URL}/{body['id']}")
    assert detail.status_code == 200
    assert detail.json()["name"] == "Saturday"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"texts": {"en": {"text": "x" * 91}}}, "texts"),
        ({"texts": {"fr": {"text": "Bonjour"}}}, "texts"),  # no text in the default language
        ({"texts": {"xx": {"text": "Hi"}}}, "texts"),
        ({"texts": {}}, "texts"),
        ({"texts": TEXTS, "audience": {"type": "store"}}, "audience_store"),
        ({"texts": TEXTS, "audience": {"type": "store", "store_code": "nowhere"}}, "audience"),
        ({"texts": TEXTS, "audience": {"type": "new"}}, "days"),
        ({"texts": TEXTS, "audience": {"type": "everyone", "days": 0}}, "audience"),
        ({"texts": TEXTS, "program_id": 999999}, "program_id"),
        ({"texts": TEXTS, "audience": {"type": "nobody"}}, "audience"),
    ],
)
def test_bad_campaigns_are_refused_with_the_field_named(
    loyalty: Loyalty, body: dict[str, Any], field: str
) -> None:
    answer = _post(loyalty, body)
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid"
    assert field in answer.json()["errors"]
    with schema_context(loyalty.merchant.schema_name):
        assert not Message.objects.exists()


def test_a_replay_with_the_same_key_creates_one_campaign(loyalty: Loyalty) -> None:
    body = {"texts": TEXTS, "send": False}
    first = _post(loyalty, body, **{"Idempotency-Key": "campaign-1"})
    again = _post(loyalty, body, **{"Idempotency-Key": "campaign-1"})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    with schema_context(loyalty.merchant.schema_name):
        assert Message.objects.count() == 1


def test_who_may_send(loyalty: Loyalty, other_loyalty: Loyalty) -> None:
    body = {"texts": TEXTS, "send": False}
    assert _post(loyalty, body, key=loyalty.read_key).status_code == 403
    one_store = _post(loyalty, body, key=loyalty.stamps_store_key)
    assert one_store.status_code == 403
    assert one_store.json()["code"] == "permission_denied"
    assert loyalty.api(loyalty.stamps_store_key).get(URL).status_code == 403
    anonymous = loyalty.api("not-a-key").get(URL)
    assert anonymous.status_code == 401
    # Another merchant's key does not see this merchant's campaigns.
    created = _post(loyalty, body).json()
    assert other_loyalty.api().get(f"{URL}/{created['id']}").status_code == 404
    assert other_loyalty.api().get(URL).json() == []


def test_the_preview_counts_what_a_send_would_do(loyalty: Loyalty, settings: Any) -> None:
    switch_wallets_on(settings)
    with schema_context(loyalty.merchant.schema_name):
        ready = [set_state(enrol(email=f"r{i}@example.com"), stamp_count=10) for i in range(10)]
        for card in ready[:8]:
            on_apple(card)
        set_state(enrol(email="unready@example.com"), stamp_count=3)
    answer = loyalty.api().post(
        f"{URL}/preview", {"audience": {"type": "reward_ready"}}, content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["targeted"] == 10
    assert body["skipped"]["no_pass"] == 2
    assert body["holdout"] == 1
    assert body["reached"] == 7
    assert body["apple"] == 7
    assert body["google"] == 0


def test_a_scheduled_campaign_can_be_cancelled_once(loyalty: Loyalty) -> None:
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    created = _post(loyalty, {"texts": TEXTS, "send_at": later}).json()
    cancel = loyalty.api().post(f"{URL}/{created['id']}/cancel")
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    again = loyalty.api().post(f"{URL}/{created['id']}/cancel")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid"
    with schema_context(loyalty.merchant.schema_name):
        assert not Delivery.objects.exists()
