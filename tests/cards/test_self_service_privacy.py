"""A customer's data rights from their own card page: the page's holder asks, a link e-mailed to
the card's address confirms (single-use, expiring, signed), and only then is the data downloaded
or erased, recorded as the customer's own request."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django_tenants.utils import schema_context

from cards.api.views import EnrollThrottle
from cards.models import Customer, DataRequest, LoyaltyCard
from cards.services.self_service import data_link_url
from common.log_redaction import redact
from tests.cards import test_privacy
from tests.cards.helpers import new_card
from tests.cards.test_admin import signed_in
from tests.cards.test_privacy import EMAIL, NAME, PERSONAL, PHONE, USER_AGENT, _where_found
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<>]+/my-data/\?token=[^\s\"<>]+")
SELF_SERVICE = "customer (self-service)"

# The API erasure tests' customer: Zoë (in French) with a stamps card and a points card,
# operations on both, a back-office edit and stored idempotent responses naming her.
customer_id = test_privacy.customer_id


def _cards(loyalty: Loyalty, customer_id: int) -> list[LoyaltyCard]:
    with schema_context(loyalty.merchant.schema_name):
        return list(
            LoyaltyCard.objects.filter(customer_id=customer_id)
            .select_related("program")
            .order_by("pk")
        )


def _ask(loyalty: Loyalty, card: LoyaltyCard, action: str, capture, client=None):
    client = client or client_for(loyalty.merchant)
    with capture(execute=True):
        return client.post(f"/c/{card.public_token}/data/", {"action": action})


def _link_in(message: mail.EmailMessage) -> str:
    """The path and query of the link in the message (text and HTML hold the same one)."""
    [url] = set(LINK.findall(message.body))
    html, _mimetype = message.alternatives[0]
    assert f'href="{url.replace("&", "&amp;")}"' in html
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _records(loyalty: Loyalty) -> list[tuple[str, str]]:
    with schema_context(loyalty.merchant.schema_name):
        return list(DataRequest.objects.order_by("pk").values_list("kind", "requested_by"))


# --- The card page


def test_the_card_page_offers_both_requests_and_shows_the_consent_with_its_date(
    loyalty: Loyalty, customer_id: int
) -> None:
    card = _cards(loyalty, customer_id)[0]
    with schema_context(loyalty.merchant.schema_name):
        Customer.objects.filter(pk=customer_id).update(
            locale="en", marketing_consent_at=datetime(2026, 3, 14, 10, tzinfo=UTC)
        )
    page = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()

    assert "Your data" in page
    assert "You agreed to receive offers on March 14, 2026." in page
    assert 'name="action" value="export"' in page and "Download my data" in page
    assert 'name="action" value="erase"' in page and "Erase my data" in page

    with schema_context(loyalty.merchant.schema_name):
        Customer.objects.filter(pk=customer_id).update(
            marketing_consent=False, marketing_consent_at=None
        )
    page = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()
    assert "You have not agreed to receive offers." in page


@pytest.mark.parametrize(
    ("language", "consent", "buttons"),
    [
        (
            "fr",
            "Vous avez accepté de recevoir des offres le 14 mars 2026.",
            ("Télécharger mes données", "Effacer mes données"),
        ),
        (
            "de",
            "Sie haben am 14. März 2026 zugestimmt, Angebote zu erhalten.",
            ("Meine Daten herunterladen", "Meine Daten löschen"),
        ),
        (
            "lb",
            "Dir hutt den 14.03.2026 zougestëmmt, Offeren ze kréien.",
            ("Meng Donnéeën eroflueden", "Meng Donnéeë läschen"),
        ),
    ],
)
def test_the_consent_is_shown_in_the_customers_language(
    loyalty: Loyalty, customer_id: int, language: str, consent: str, buttons: tuple[str, str]
) -> None:
    card = _cards(loyalty, customer_id)[0]
    with schema_context(loyalty.merchant.schema_name):
        Customer.objects.filter(pk=customer_id).update(
            locale=language, marketing_consent_at=datetime(2026, 3, 14, 10, tzinfo=UTC)
        )
    page = client_for(loyalty.merchant).get(f"/c/{card.public_token}/").content.decode()
    assert consent in page
    assert all(button in page for button in buttons)


def test_the_back_office_shows_the_consent_and_its_date(loyalty: Loyalty, customer_id: int) -> None:
    with schema_context(loyalty.merchant.schema_name):
        given_at = Customer.objects.get(pk=customer_id).marketing_consent_at
    assert given_at is not None

    page = signed_in(loyalty.merchant).get(f"/admin/cards/customer/{customer_id}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'name="marketing_consent"[^>]* checked', text)
    assert "Marketing consent given at" in text
    with translation.override("en"):
        shown = date_format(timezone.localtime(given_at), "DATETIME_FORMAT")
    assert shown in text


# --- Download


def test_download_asked_on_the_card_page_and_confirmed_from_the_mail(
    loyalty: Loyalty,
    customer_id: int,
    django_capture_on_commit_callbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = _cards(loyalty, customer_id)[0]
    caplog.set_level(logging.DEBUG)

    asked = _ask(loyalty, card, "export", django_capture_on_commit_callbacks)

    assert asked.status_code == 200
    assert "Consultez vos e-mails" in asked.content.decode()
    assert _records(loyalty) == []  # nothing happens until the link is opened
    [message] = mail.outbox
    assert message.to == [EMAIL]
    assert message.subject == "Téléchargez vos données chez Main Street"
    link = _link_in(message)
    token = parse_qs(urlsplit(link).query)["token"][0]

    page = client_for(loyalty.merchant).get(link)
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    assert page["Referrer-Policy"] == "strict-origin"
    assert '<html lang="fr">' in page.content.decode()
    assert _records(loyalty) == []  # opening the page (a mail scanner) changes nothing

    download = client_for(loyalty.merchant).post(link)

    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(download.content)
    profile = data["customer"]
    assert (profile["name"], profile["email"], profile["phone"]) == (NAME, EMAIL, PHONE)
    assert {card["card_number"] for card in data["cards"]} == {
        card.card_number for card in _cards(loyalty, customer_id)
    }
    assert _records(loyalty) == [("export", SELF_SERVICE)]
    # Neither the page token nor the link's token was written to a log, and the request line of
    # the link (the access log's) is redacted.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged and card.public_token not in logged
    assert token not in redact(f"POST {link} HTTP/1.1")


def test_a_download_link_works_once(
    loyalty: Loyalty, customer_id: int, django_capture_on_commit_callbacks
) -> None:
    card = _cards(loyalty, customer_id)[0]
    _ask(loyalty, card, "export", django_capture_on_commit_callbacks)
    link = _link_in(mail.outbox[0])
    client = client_for(loyalty.merchant)
    assert client.post(link).status_code == 200

    again = client.post(link)
    shown = client.get(link)

    for response in (again, shown):
        assert response.status_code == 410
        assert "Ce lien a déjà été utilisé." in response.content.decode()
    assert _records(loyalty) == [("export", SELF_SERVICE)]


# --- Erasure


def test_erasure_asked_on_the_card_page_and_confirmed_from_the_mail(
    loyalty: Loyalty, customer_id: int, django_capture_on_commit_callbacks
) -> None:
    schema = loyalty.merchant.schema_name
    cards = _cards(loyalty, customer_id)
    old_tokens = [card.public_token for card in cards]
    _ask(loyalty, cards[0], "erase", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == "Confirmez l\u2019effacement de vos données chez Main Street"
    link = _link_in(message)
    client = client_for(loyalty.merchant)

    page = client.get(link)
    text = page.content.decode()
    print(text[text.find("marketing") : text.find("marketing") + 3000])
    assert page.status_code == 200
    assert "Ce qui est effacé" in text and "Ce qui est conservé" in text
    assert 'name="csrfmiddlewaretoken"' in text
    with schema_context(schema):
        assert Customer.objects.get(pk=customer_id).name == NAME  # nothing done yet

    done = client.post(link)

    assert done.status_code == 200
    assert "Vos données ont été effacées" in done.content.decode()
    assert _records(loyalty) == [("erasure", SELF_SERVICE)]
    with schema_context(schema):
        assert _where_found(schema, [*PERSONAL, USER_AGENT]) == []
        for card in LoyaltyCard.objects.filter(customer_id=customer_id):
            assert card.is_active is False  # its passes show voided
            sums = card.transactions.aggregate(s=Sum("stamps_delta"), p=Sum("points_delta"))
            assert (sums["s"], sums["p"]) == (card.stamp_count, card.points_balance)
    # The old card page links are dead, and the link is spent.
    assert [client.get(f"/c/{token}/").status_code for token in old_tokens] == [404, 404]
    again = client.post(link)
    assert again.status_code == 410
    assert "Vos données ont déjà été effacées." in again.content.decode()
    assert _records(loyalty) == [("erasure", SELF_SERVICE)]


def test_the_erasure_needs_the_confirming_post_with_its_csrf_token(
    loyalty: Loyalty, customer_id: int, django_capture_on_commit_callbacks
) -> None:
    card = _cards(loyalty, customer_id)[0]
    _ask(loyalty, card, "erase", django_capture_on_commit_callbacks)
    link = _link_in(mail.outbox[0])

    refused = client_for(loyalty.merchant, enforce_csrf_checks=True).post(link)

    assert refused.status_code == 403
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).erased_at is None


def test_a_link_does_only_what_it_was_signed_for(loyalty: Loyalty, customer_id: int) -> None:
    card = _cards(loyalty, customer_id)[0]
    with schema_context(loyalty.merchant.schema_name):
        export = data_link_url(card=card, action="export", host="alpha.localhost")
    client = client_for(loyalty.merchant)
    parts = urlsplit(export)
    # One address for both actions: the signed token, not the request, says which one.
    response = client.post(f"{parts.path}?{parts.query}")
    assert response["Content-Disposition"].startswith("attachment")
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).erased_at is None


# --- Links that do not work: a clear page in the customer's language, never a 500


def test_an_expired_link(loyalty: Loyalty, customer_id: int) -> None:
    card = _cards(loyalty, customer_id)[0]
    with schema_context(loyalty.merchant.schema_name):
        url = data_link_url(
            card=card,
            action="erase",
            host="alpha.localhost",
            issued_at=timezone.now() - timedelta(hours=25),
        )
    parts = urlsplit(url)
    client = client_for(loyalty.merchant)

    for response in (client.get(f"{parts.path}?{parts.query}"), client.post(url)):
        assert response.status_code == 410
        assert "Ce lien a expiré" in response.content.decode()
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).erased_at is None


INVALID_LINK = "Dieser Link ist ungültig."


@pytest.mark.parametrize(
    ("forge", "explained"),
    [
        (lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"), INVALID_LINK),
        (lambda token: "eyJjIjoxLCJhIjoiZXJhc2UifQ" + token[token.index(":") :], INVALID_LINK),
        (lambda token: "", INVALID_LINK),
        (lambda token: "not-a-token", INVALID_LINK),
        (lambda token: token[: len(token) // 2], INVALID_LINK),
    ],
    ids=["signature", "payload", "empty", "garbage", "truncated"],
)
def test_a_forged_link(loyalty: Loyalty, customer_id: int, forge, explained: str) -> None:
    card = _cards(loyalty, customer_id)[0]
    with schema_context(loyalty.merchant.schema_name):
        url = data_link_url(card=card, action="erase", host="alpha.localhost")
    token = parse_qs(urlsplit(url).query)["token"][0]
    client = client_for(loyalty.merchant)

    for response in (
        client.get("/my-data/", {"token": forge(token)}, headers={"accept-language": "de"}),
        client.post(f"/my-data/?token={forge(token)}", headers={"accept-language": "de"}),
    ):
        assert response.status_code == 400
        assert explained in response.content.decode()
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).erased_at is None
    assert _records(loyalty) == []


def test_another_merchants_link_does_not_work_here(
    loyalty: Loyalty, other_loyalty: Loyalty, customer_id: int
) -> None:
    with schema_context(other_loyalty.merchant.schema_name):
        theirs = new_card(other_loyalty)
        url = data_link_url(card=theirs, action="erase", host="beta.localhost")
    parts = urlsplit(url)

    response = client_for(loyalty.merchant).post(f"{parts.path}?{parts.query}")

    assert response.status_code == 400
    with schema_context(loyalty.merchant.schema_name):
        assert not Customer.objects.filter(erased_at__isnull=False).exists()


def test_a_link_made_before_another_request_is_spent(
    loyalty: Loyalty, customer_id: int, django_capture_on_commit_callbacks
) -> None:
    card = _cards(loyalty, customer_id)[0]
    _ask(loyalty, card, "erase", django_capture_on_commit_callbacks)
    erase_link = _link_in(mail.outbox[0])
    # The back office exported her data since: the old link no longer matches.
    loyalty.api().get(f"/api/v1/vendor/loyalty/customers/{customer_id}/export")

    response = client_for(loyalty.merchant).post(erase_link)

    assert response.status_code == 410
    with schema_context(loyalty.merchant.schema_name):
        assert Customer.objects.get(pk=customer_id).erased_at is None


# --- Asking


def test_an_unknown_action_or_page_token_sends_nothing(
    loyalty: Loyalty, customer_id: int, django_capture_on_commit_callbacks
) -> None:
    card = _cards(loyalty, customer_id)[0]
    client = client_for(loyalty.merchant)
    with django_capture_on_commit_callbacks(execute=True):
        unknown_action = client.post(f"/c/{card.public_token}/data/", {"action": "delete"})
        unknown_card = client.post("/c/no-such-token/data/", {"action": "erase"})
        shown = client.get(f"/c/{card.public_token}/data/")
    assert unknown_action.status_code == 400
    assert unknown_card.status_code == 404
    assert shown.status_code == 405
    assert mail.outbox == []


def test_requests_share_the_enrollment_budget(
    loyalty: Loyalty, customer_id: int, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setitem(EnrollThrottle.THROTTLE_RATES, "enroll", "2/min")
    card = _cards(loyalty, customer_id)[0]
    client = client_for(loyalty.merchant)
    statuses = [
        _ask(loyalty, card, "export", django_capture_on_commit_callbacks, client).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert len(mail.outbox) == 2
    assert client.post("/join/main/lost/", {"email": EMAIL}).status_code == 429


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [
        ("en", "Confirm the erasure of your data at Main Street", "Hello"),
        ("de", "Bestätigen Sie die Löschung Ihrer Daten bei Main Street", "Hallo"),
        ("lb", "Confirméiert d'Läsche vun Ären Donnéeë bei Main Street", "Moien"),
    ],
)
def test_every_language_has_its_message_and_pages(
    loyalty: Loyalty,
    django_capture_on_commit_callbacks,
    language: str,
    subject: str,
    greeting: str,
) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        Customer.objects.filter(pk=card.customer_id).update(locale=language)
    _ask(loyalty, card, "erase", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == subject
    assert message.body.startswith(f"{greeting} Jane")
    page = client_for(loyalty.merchant).get(_link_in(message))
    assert f'<html lang="{language}">' in page.content.decode()
