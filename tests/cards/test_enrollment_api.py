from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from cards.api.views import EnrollThrottle
from cards.models import Customer, LoyaltyCard
from cards.numbers import is_valid_card_number
from common.urls import absolute_url
from programs.models import LoyaltyProgram, Store
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

JANE = {
    "name": "Jane Doe",
    "email": "Jane@Example.com",
    "phone": "+352 621 000 000",
    "marketing_consent": True,
    "locale": "fr",
}


def _enroll(loyalty: Loyalty, store_code: str = "main", body: dict | None = None, **kwargs):
    return client_for(loyalty.merchant).post(
        f"/api/v1/loyalty/enroll/{store_code}",
        body if body is not None else JANE,
        content_type="application/json",
        **kwargs,
    )


def test_enrolling_creates_a_customer_and_a_card(loyalty: Loyalty) -> None:
    response = _enroll(loyalty)

    assert response.status_code == 201
    card = response.json()
    assert is_valid_card_number(card["card_number"])
    assert card["loyalty_type"] == "stamps"
    assert card["store_code"] == "main"
    assert card["stamp_count"] == 0
    assert card["customer"]["email"] == "jane@example.com"
    assert card["customer"]["locale"] == "fr"
    assert card["customer"]["marketing_consent"] is True
    assert card["customer"]["marketing_consent_at"] is not None
    host = loyalty.merchant.primary_host
    with schema_context(loyalty.merchant.schema_name):
        stored = LoyaltyCard.objects.get(card_number=card["card_number"])
    assert card["card_page_url"] == absolute_url(host, f"/c/{stored.public_token}/")
    # No wallet is configured here: no pass link (tests/wallets has the configured links).
    assert card["apple_pass_url"] is None and card["google_save_url"] is None
    assert len(stored.public_token) >= 22
    assert client_for(loyalty.merchant).get(f"/c/{stored.public_token}/").status_code == 200


def test_enrolling_a_known_email_reveals_nothing_and_mails_the_link_to_it(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    """The takeover: typing someone's e-mail under another name used to answer with their card."""
    first = _enroll(loyalty).json()
    with schema_context(loyalty.merchant.schema_name):
        token = LoyaltyCard.objects.get().public_token
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = _enroll(loyalty, body={**JANE, "email": "  JANE@example.COM ", "name": "Mallory"})
        assert mail.outbox == []  # nothing leaves before the enrollment commits

    assert again.status_code == 202
    assert again.json() == {
        "code": "card_link_sent",
        "detail": "If this address has a card, we sent its link there.",
    }
    for secret in (first["card_number"], token, "Jane"):
        assert secret not in again.content.decode()
    [message] = mail.outbox
    assert message.to == ["jane@example.com"]
    assert f"/c/{token}/" in message.body
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.count() == 1
        assert LoyaltyCard.objects.count() == 1
        assert Customer.objects.get().name == "Jane Doe"  # not overwritten by anyone who asks


def test_a_new_card_is_answered_without_an_email(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert _enroll(loyalty).status_code == 201
    assert mail.outbox == []


def test_one_customer_can_hold_cards_of_several_programmes(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    stamps = _enroll(loyalty, "main").json()
    with django_capture_on_commit_callbacks(execute=True):
        points = _enroll(loyalty, "bakery")

    # The e-mail is known: the new card is not shown (nor its customer's name or phone), its
    # link goes to the address.
    assert points.status_code == 202
    assert points.json()["code"] == "card_link_sent"
    assert "card_number" not in points.json() and "customer" not in points.json()
    with schema_context(loyalty.merchant.schema_name):
        cards = LoyaltyCard.objects.filter(customer_id=stamps["customer"]["id"])
        assert sorted(cards.values_list("program__loyalty_type", flat=True)) == [
            "points",
            "stamps",
        ]
        bakery_card = cards.get(program__loyalty_type="points")
    assert len(mail.outbox) == 1
    assert bakery_card.public_token in mail.outbox[0].body


def test_unknown_store_is_404(loyalty: Loyalty) -> None:
    response = _enroll(loyalty, "nowhere")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_inactive_store_is_409(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.filter(code="main").update(is_active=False)
    response = _enroll(loyalty)
    assert response.status_code == 409
    assert response.json()["code"] == "store_inactive"


def test_inactive_programme_is_409(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        LoyaltyProgram.objects.filter(stores__code="main").update(is_active=False)
    response = _enroll(loyalty)
    assert response.status_code == 409
    assert response.json()["code"] == "program_inactive"


def test_store_without_programme_is_409(loyalty: Loyalty) -> None:
    with schema_context(loyalty.merchant.schema_name):
        Store.objects.create(name="Pop-up", code="popup")
    response = _enroll(loyalty, "popup")
    assert response.status_code == 409
    assert response.json()["code"] == "program_inactive"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**JANE, "name": ""}, "name"),
        ({**JANE, "email": "not-an-email"}, "email"),
        (
            {key: value for key, value in JANE.items() if key != "marketing_consent"},
            "marketing_consent",
        ),
        ({**JANE, "locale": "xx"}, "locale"),
        ({**JANE, "name": "x" * 201}, "name"),
    ],
)
def test_bad_input_is_400_with_field_errors(loyalty: Loyalty, body: dict, field: str) -> None:
    response = _enroll(loyalty, body=body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    with schema_context(loyalty.merchant.schema_name):
        assert not Customer.objects.exists()


def test_malformed_json_is_400_not_500(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).post(
        "/api/v1/loyalty/enroll/main", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_language_defaults_to_the_browser_language(loyalty: Loyalty) -> None:
    body = {key: value for key, value in JANE.items() if key != "locale"}
    response = _enroll(loyalty, body=body, headers={"accept-language": "de"})
    assert response.json()["customer"]["locale"] == "de"


def test_a_store_of_one_merchant_is_unknown_on_another_host(
    loyalty: Loyalty, other_merchant
) -> None:
    response = client_for(other_merchant).post(
        "/api/v1/loyalty/enroll/main", JANE, content_type="application/json"
    )
    assert response.status_code == 404


def test_enrollment_is_throttled_per_client(loyalty: Loyalty, monkeypatch) -> None:
    monkeypatch.setitem(EnrollThrottle.THROTTLE_RATES, "enroll", "2/min")
    statuses = [
        _enroll(loyalty, body={**JANE, "email": f"j{i}@example.com"}).status_code for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    response = _enroll(loyalty)
    assert response.json()["code"] == "throttled"
    assert response.json()["retry_after"] > 0
