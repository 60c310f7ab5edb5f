"""Getting back to a card without anyone else seeing it: the card's link goes only to its e-mail
(SPEC §3, privacy), in the customer's language, from the merchant's name."""

from __future__ import annotations

import re
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django_tenants.utils import schema_context

from cards.api.views import EnrollThrottle
from cards.models import Customer, LoyaltyCard
from cards.tasks import send_card_link_task
from tests.cards.helpers import new_card
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

NEUTRAL = "If this address has a card, we sent its link there."


def _ask(loyalty: Loyalty, email: str, store_code: str = "main", **kwargs):
    return client_for(loyalty.merchant).post(
        f"/api/v1/loyalty/card-link/{store_code}",
        {"email": email},
        content_type="application/json",
        **kwargs,
    )


def _french_card(loyalty: Loyalty) -> LoyaltyCard:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        Customer.objects.filter(pk=card.customer_id).update(locale="fr")
    return card


def test_the_answer_is_the_same_for_known_and_unknown_addresses(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    card = new_card(loyalty)
    with django_capture_on_commit_callbacks(execute=True):
        known = _ask(loyalty, "Jane@Example.com")
        unknown = _ask(loyalty, "nobody@example.com")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"code": "card_link_sent", "detail": NEUTRAL}
    [message] = mail.outbox  # only the address with a card gets mail
    assert message.to == ["jane@example.com"]
    assert f"/c/{card.public_token}/" in message.body


def test_the_link_leaves_only_after_commit(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    new_card(loyalty)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert _ask(loyalty, "jane@example.com").status_code == 202
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_a_replayed_request_sends_no_second_message(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    new_card(loyalty)
    with django_capture_on_commit_callbacks(execute=True):
        first = _ask(loyalty, "jane@example.com", headers={"Idempotency-Key": "lost-1"})
        again = _ask(loyalty, "jane@example.com", headers={"Idempotency-Key": "lost-1"})
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert len(mail.outbox) == 1


def test_a_card_of_another_programme_is_not_sent(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    new_card(loyalty, "bakery")
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(loyalty, "jane@example.com", "main").status_code == 202
    assert mail.outbox == []


def test_unknown_store_and_bad_email(loyalty: Loyalty) -> None:
    assert _ask(loyalty, "jane@example.com", "nowhere").json()["code"] == "not_found"
    response = _ask(loyalty, "not-an-email")
    assert response.status_code == 400 and "email" in response.json()["errors"]


def test_card_links_share_the_enrollment_budget(loyalty: Loyalty, monkeypatch) -> None:
    monkeypatch.setitem(EnrollThrottle.THROTTLE_RATES, "enroll", "2/min")
    enrolled = client_for(loyalty.merchant).post(
        "/api/v1/loyalty/enroll/main",
        {"name": "Jane", "email": "jane@example.com", "marketing_consent": False},
        content_type="application/json",
    )
    assert enrolled.status_code == 201
    assert _ask(loyalty, "jane@example.com").status_code == 202
    throttled = _ask(loyalty, "jane@example.com")
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"


def test_the_message_is_in_the_customers_language_from_the_merchant(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    card = _french_card(loyalty)
    with django_capture_on_commit_callbacks(execute=True):
        # Asked from an English browser: the message follows the customer, not the asker.
        _ask(loyalty, "jane@example.com", headers={"accept-language": "en"})

    [message] = mail.outbox
    assert message.subject == "Votre carte Coffee Card"
    assert "Bonjour Jane" in message.body
    assert message.from_email == "Alpha Shop <noreply@localhost>"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="fr">' in html
    assert f'href="http://alpha.localhost:8000/c/{card.public_token}/"' in html


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Your Coffee Card card"),
        ("de", "Ihre Karte Coffee Card"),
        ("lb", "Är Kaart Coffee Card"),
    ],
)
def test_every_language_has_its_message(
    loyalty: Loyalty, django_capture_on_commit_callbacks, language: str, subject: str
) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        Customer.objects.filter(pk=card.customer_id).update(locale=language)
    with django_capture_on_commit_callbacks(execute=True):
        _ask(loyalty, "jane@example.com")
    assert mail.outbox[0].subject == subject


# --- Pages


def test_the_lost_card_page_answers_the_same_for_any_address(
    loyalty: Loyalty, django_capture_on_commit_callbacks
) -> None:
    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    form = client.get("/join/main/lost/")
    assert form.status_code == 200 and 'name="email"' in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/join/main/lost/", {"email": "jane@example.com"})
        unknown = client.post("/join/main/lost/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert NEUTRAL in known.content.decode()
    assert _without_csrf_token(known.content) == _without_csrf_token(unknown.content)
    assert card.public_token not in known.content.decode()
    [message] = mail.outbox
    assert message.to == ["jane@example.com"]


def test_the_lost_card_page_shares_the_enrollment_budget(loyalty: Loyalty, monkeypatch) -> None:
    monkeypatch.setitem(EnrollThrottle.THROTTLE_RATES, "enroll", "2/min")
    client = client_for(loyalty.merchant)
    statuses = [
        client.post("/join/main/lost/", {"email": f"j{i}@example.com"}).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert _ask(loyalty, "j9@example.com").status_code == 429


def _without_csrf_token(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", html)


def test_the_join_page_and_the_card_page_lead_to_the_lost_card_page(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    client = client_for(loyalty.merchant)
    assert 'href="/join/main/lost/"' in client.get("/join/main/").content.decode()
    assert 'href="/join/main/lost/"' in client.get(f"/c/{card.public_token}/").content.decode()


def test_the_card_page_speaks_the_customers_language(loyalty: Loyalty) -> None:
    card = _french_card(loyalty)
    client = client_for(loyalty.merchant)

    page = client.get(f"/c/{card.public_token}/", headers={"accept-language": "en"})
    assert '<html lang="fr">' in page.content.decode()
    assert "Bonjour Jane" in page.content.decode()

    # A visitor who picked a language with the switcher keeps it.
    client.cookies["django_language"] = "de"
    page = client.get(f"/c/{card.public_token}/", headers={"accept-language": "en"})
    assert '<html lang="de">' in page.content.decode()


def test_a_mail_server_error_is_retried(loyalty: Loyalty, monkeypatch) -> None:
    card = new_card(loyalty)
    real_send = EmailMultiAlternatives.send
    attempts: list[int] = []

    def flaky_send(message: EmailMultiAlternatives, *args: object, **kwargs: object) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise SMTPServerDisconnected("the mail server went away")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky_send)
    with schema_context(loyalty.merchant.schema_name):
        # Eagerly, a retry runs again at once; the first attempt then reports "retry", not an
        # error (throw=False, as a worker records it).
        send_card_link_task.apply(
            kwargs={"card_id": card.pk, "host": "alpha.localhost"}, throw=False
        )

    assert len(attempts) == 2
    [message] = mail.outbox
    assert f"/c/{card.public_token}/" in message.body
