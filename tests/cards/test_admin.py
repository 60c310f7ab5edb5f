"""The merchant's back office for cards and the ledger: read-only, and card corrections."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from cards.models import Customer, LoyaltyCard, LoyaltyTransaction
from merchants.models import Merchant
from programs.services import create_program
from staff.models import StaffPin
from tests.cards.factories import CustomerFactory
from tests.cards.helpers import new_card, reload
from tests.conftest import PASSWORD, Loyalty, client_for
from tests.programs.factories import StoreFactory
from tests.wallets.factories import WalletPassFactory
from wallets.models import WalletPass

pytestmark = pytest.mark.django_db


def signed_in(merchant: Merchant, username: str | None = None) -> Client:
    client = client_for(merchant)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username or f"owner@{merchant.slug}.example", "password": PASSWORD},
    )
    assert response.status_code == 302
    return client


# Read-only views


@pytest.fixture
def card(merchant: Merchant) -> LoyaltyCard:
    with schema_context(merchant.schema_name):
        store = StoreFactory()
        program = create_program(store=store, loyalty_type="stamps", card_name="Bean club")
        customer = CustomerFactory(name="Jane Roe", email="jane@example.com", enrolled_store=store)
        card = LoyaltyCard.objects.create(
            customer=customer, program=program, store=store, stamp_count=1, total_stamps_earned=1
        )
        LoyaltyTransaction.objects.create(
            card=card,
            store=store,
            transaction_type="stamp_earned",
            stamps_delta=1,
            stamps_after=1,
            source="staff_page",
            notes="first visit",
        )
        WalletPassFactory(card=card)
        return card


def test_cards_are_listed_with_their_formatted_number_and_found_by_it(
    merchant: Merchant, card: LoyaltyCard
) -> None:
    client = signed_in(merchant)
    html = client.get("/admin/cards/loyaltycard/").content.decode()
    assert card.formatted_number in html and "Jane Roe" in html and "Bean club" in html

    for term in (card.formatted_number, card.card_number[-6:], "jane@example", "Roe"):
        found = client.get("/admin/cards/loyaltycard/", {"q": term}).content.decode()
        assert card.formatted_number in found, term
    missing = client.get("/admin/cards/loyaltycard/", {"q": "nobody"}).content.decode()
    assert card.formatted_number not in missing


def test_cards_cannot_be_added_changed_or_deleted(merchant: Merchant, card: LoyaltyCard) -> None:
    client = signed_in(merchant)

    assert client.get("/admin/cards/loyaltycard/add/").status_code == 403
    page = client.get(f"/admin/cards/loyaltycard/{card.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="stamp_count"' not in html and 'name="points_balance"' not in html
    assert 'name="_save"' not in html
    assert card.public_token in html, "a link to the customer's card page"
    with schema_context(merchant.schema_name):
        assert WalletPass.objects.get(card=card).apple_auth_token not in html
    assert f"/admin/cards/loyaltytransaction/?card__id__exact={card.pk}" in html

    client.post(f"/admin/cards/loyaltycard/{card.pk}/change/", {"stamp_count": "99"})
    assert client.get(f"/admin/cards/loyaltycard/{card.pk}/delete/").status_code == 403
    with schema_context(merchant.schema_name):
        card.refresh_from_db()
    assert card.stamp_count == 1


def test_the_ledger_is_readable_but_never_editable(merchant: Merchant, card: LoyaltyCard) -> None:
    with schema_context(merchant.schema_name):
        txn = LoyaltyTransaction.objects.get()
    client = signed_in(merchant)

    listing = client.get("/admin/cards/loyaltytransaction/")
    assert listing.status_code == 200
    assert card.formatted_number in listing.content.decode()
    filtered = client.get(f"/admin/cards/loyaltytransaction/?card__id__exact={card.pk}")
    assert filtered.status_code == 200 and "Stamp earned" in filtered.content.decode()

    detail = client.get(f"/admin/cards/loyaltytransaction/{txn.pk}/change/")
    assert detail.status_code == 200
    assert "first visit" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()
    assert client.get("/admin/cards/loyaltytransaction/add/").status_code == 403
    assert client.get(f"/admin/cards/loyaltytransaction/{txn.pk}/delete/").status_code == 403
    client.post(f"/admin/cards/loyaltytransaction/{txn.pk}/change/", {"notes": "edited"})
    with schema_context(merchant.schema_name):
        txn.refresh_from_db()
    assert txn.notes == "first visit"


def test_card_and_ledger_lists_cost_the_same_queries_however_many_rows(
    merchant: Merchant, card: LoyaltyCard
) -> None:
    client = signed_in(merchant)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    lists = ["/admin/cards/loyaltycard/", "/admin/cards/loyaltytransaction/"]
    before = [queries(url) for url in lists]
    with schema_context(merchant.schema_name):
        for _ in range(5):
            store = StoreFactory()
            program = create_program(store=store, loyalty_type="stamps")
            other = LoyaltyCard.objects.create(
                customer=CustomerFactory(enrolled_store=store), program=program, store=store
            )
            pin = StaffPin.objects.create(store=store, name="Anna", pin_hash="x")
            LoyaltyTransaction.objects.create(
                card=other,
                store=store,
                staff_pin=pin,
                transaction_type="stamp_earned",
                stamps_delta=1,
                stamps_after=1,
                source="staff_page",
            )

    assert [queries(url) for url in lists] == before


# Corrections: a new adjustment row, never an edit


def correct(client: Client, card: LoyaltyCard, **data: str) -> object:
    return client.post(f"/admin/cards/loyaltycard/{card.pk}/correct/", data)


def adjustments(loyalty: Loyalty) -> list[LoyaltyTransaction]:
    with schema_context(loyalty.merchant.schema_name):
        return list(LoyaltyTransaction.objects.filter(transaction_type="adjustment"))


def test_the_card_page_links_to_the_correction_form(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    client = signed_in(loyalty.merchant)

    page = client.get(f"/admin/cards/loyaltycard/{card.pk}/change/").content.decode()
    assert f'href="/admin/cards/loyaltycard/{card.pk}/correct/"' in page
    assert "Correct this card" in page

    form = client.get(f"/admin/cards/loyaltycard/{card.pk}/correct/")
    assert form.status_code == 200
    html = form.content.decode()
    assert card.formatted_number in html
    assert 'name="stamps_delta"' in html and 'name="notes"' in html
    assert 'name="points_delta"' not in html, "a stamp card is corrected in stamps"


def test_a_correction_adds_an_adjustment_and_changes_the_counters(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    client = signed_in(loyalty.merchant)

    response = correct(client, card, stamps_delta="3", notes="Stamps forgotten on Monday")

    assert response.status_code == 302
    assert response["Location"] == f"/admin/cards/loyaltycard/{card.pk}/change/"
    assert reload(loyalty, card).stamp_count == 3
    [txn] = adjustments(loyalty)
    assert (txn.card_id, txn.stamps_delta, txn.points_delta) == (card.pk, 3, 0)
    assert (txn.stamps_after, txn.notes, txn.source) == (3, "Stamps forgotten on Monday", "admin")
    assert txn.staff_pin_id is None
    page = client.get(response["Location"]).content.decode()
    assert "The card was corrected." in page

    # Taking away is a second row; the first stays as it was.
    assert correct(client, card, stamps_delta="-2", notes="One too many").status_code == 302
    assert reload(loyalty, card).stamp_count == 1
    assert [t.stamps_delta for t in adjustments(loyalty)] == [-2, 3]
    with schema_context(loyalty.merchant.schema_name):
        logs = [(log.object_id, log.user.username) for log in LogEntry.objects.all()]
    assert logs == [(str(card.pk), "owner@alpha.example")] * 2, "who corrected the card"


def test_a_points_card_is_corrected_in_points(loyalty: Loyalty) -> None:
    card = new_card(loyalty, store_code="bakery")

    response = correct(
        signed_in(loyalty.merchant), card, points_delta="50", notes="Receipt 1234 not scanned"
    )

    assert response.status_code == 302
    assert reload(loyalty, card).points_balance == 50
    [txn] = adjustments(loyalty)
    assert (txn.points_delta, txn.points_after, txn.store_id) == (50, 50, loyalty.points_store.pk)


def test_a_correction_below_zero_is_refused_and_writes_nothing(loyalty: Loyalty) -> None:
    card = new_card(loyalty)

    response = correct(signed_in(loyalty.merchant), card, stamps_delta="-1", notes="Mistake")

    assert response.status_code == 200
    assert response.context["form"].errors == {"stamps_delta": ["The card has only 0 stamps."]}
    assert "The card has only 0 stamps." in response.content.decode()
    assert reload(loyalty, card).stamp_count == 0
    assert adjustments(loyalty) == []
    with schema_context(loyalty.merchant.schema_name):
        assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"stamps_delta": "2", "notes": "  "}, "notes", "Say why the card is corrected."),
        ({"stamps_delta": "0", "notes": "Nothing"}, "stamps_delta", "Change the stamps, the"),
        ({"stamps_delta": "two", "notes": "Typo"}, "stamps_delta", "Enter a whole number."),
    ],
)
def test_a_correction_needs_a_reason_and_a_change(
    loyalty: Loyalty, data: dict[str, str], field: str, message: str
) -> None:
    card = new_card(loyalty)

    response = correct(signed_in(loyalty.merchant), card, **data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and errors[field][0].startswith(message)
    assert reload(loyalty, card).stamp_count == 0
    assert adjustments(loyalty) == []


def test_staff_without_change_permission_cannot_correct(loyalty: Loyalty) -> None:
    card = new_card(loyalty)
    with schema_context(loyalty.merchant.schema_name):
        viewer = get_user_model().objects.create_user(
            username="viewer@alpha.example", password=PASSWORD, is_staff=True
        )
        viewer.user_permissions.add(Permission.objects.get(codename="view_loyaltycard"))
        editor = get_user_model().objects.create_user(
            username="editor@alpha.example", password=PASSWORD, is_staff=True
        )
        editor.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_loyaltycard", "change_loyaltycard"])
        )
    client = signed_in(loyalty.merchant, "viewer@alpha.example")

    page = client.get(f"/admin/cards/loyaltycard/{card.pk}/change/")
    assert page.status_code == 200 and "Correct this card" not in page.content.decode()
    assert client.get(f"/admin/cards/loyaltycard/{card.pk}/correct/").status_code == 403
    assert correct(client, card, stamps_delta="5", notes="Sneaky").status_code == 403
    assert adjustments(loyalty) == []

    editor_client = signed_in(loyalty.merchant, "editor@alpha.example")
    assert correct(editor_client, card, stamps_delta="1", notes="Fine").status_code == 302
    assert reload(loyalty, card).stamp_count == 1


def test_another_merchant_cannot_correct_a_card(loyalty: Loyalty, other_merchant: Merchant) -> None:
    card = new_card(loyalty)

    response = correct(signed_in(other_merchant), card, stamps_delta="5", notes="Sneaky")

    assert response.status_code == 404
    assert reload(loyalty, card).stamp_count == 0


# Blocking cards


def test_the_owner_blocks_and_unblocks_cards_from_the_list(
    merchant: Merchant, card: LoyaltyCard
) -> None:
    client = signed_in(merchant)
    url = "/admin/cards/loyaltycard/"

    response = client.post(
        url, {"action": "block_cards", "_selected_action": [card.pk]}, follow=True
    )
    assert "1 card blocked" in response.content.decode()
    assert reload_card(merchant, card).is_active is False

    response = client.post(
        url, {"action": "unblock_cards", "_selected_action": [card.pk]}, follow=True
    )
    assert "1 card unblocked" in response.content.decode()
    assert reload_card(merchant, card).is_active is True


def reload_card(merchant: Merchant, card: LoyaltyCard) -> LoyaltyCard:
    with schema_context(merchant.schema_name):
        return LoyaltyCard.objects.get(pk=card.pk)


@pytest.mark.django_db
def test_consent_ticked_in_the_back_office_records_when_it_was_given(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        customer = CustomerFactory(marketing_consent=False, marketing_consent_at=None)
    client = signed_in(merchant)
    url = f"/admin/cards/customer/{customer.pk}/change/"
    form = {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "locale": customer.locale,
        "external_id": customer.external_id or "",
        "marketing_consent": "on",
    }
    saved = client.post(url, form)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    with schema_context(merchant.schema_name):
        given = Customer.objects.get(pk=customer.pk).marketing_consent_at
    assert given is not None

    assert client.post(url, {**form, "marketing_consent": ""}).status_code == 302
    with schema_context(merchant.schema_name):
        withdrawn = Customer.objects.get(pk=customer.pk)
    assert withdrawn.marketing_consent is False and withdrawn.marketing_consent_at is None
    assert client.get("/admin/cards/customer/add/").status_code == 403
