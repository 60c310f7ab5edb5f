"""A new merchant's first steps: sign-up signs the owner in, the set-up checklist ticks itself,
the programme form previews the card, cashiers get a short form, and the platform's "Sign in"
e-mails back-office links without telling who has an account."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from common.log_redaction import redact
from merchants.models import AccountEmail, Merchant, SignInLink
from merchants.services import issue_owner_sign_in_link
from programs.services import create_program, create_store
from staff.models import Cashier
from staff.services import create_api_key, create_staff_pin
from tests.cards.helpers import new_card, stamp
from tests.conftest import PASSWORD, Loyalty, client_for

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Acme Bakery",
    "slug": "acme",
    "email": "owner@acme.example",
    "password": PASSWORD,
}


def _owner(merchant: Merchant) -> Client:
    client = client_for(merchant)
    # django-axes needs the request a sign-in comes with; users and sessions are the schema's.
    with schema_context(merchant.schema_name):
        assert client.login(
            request=HttpRequest(), username=merchant.contact_email, password=PASSWORD
        )
    return client


def _steps(page: str) -> dict[str, bool]:
    return {
        key: done == "true"
        for key, done in re.findall(r'data-step="(\w+)" data-done="(true|false)"', page)
    }


# --- Sign-up signs the owner in


def test_sign_up_signs_the_owner_in_on_the_merchant_host_with_an_empty_checklist() -> None:
    response = client_for(None).post("/signup/", SIGNUP)
    assert response.status_code == 302
    link = urlsplit(response["Location"])
    assert link.hostname == "acme.localhost" and link.path == "/signin/link/"
    merchant = Merchant.objects.get(schema_name="acme")

    owner = client_for(merchant)
    landed = owner.get(f"{link.path}?{link.query}", follow=True)

    assert landed.redirect_chain[-1][0] == "/admin/"
    page = landed.content.decode()
    assert landed.status_code == 200 and "Set up your loyalty programme" in page
    assert _steps(page) == dict.fromkeys(["store", "program", "pin", "poster", "stamp"], False)
    assert "0 of 5 done" in page
    # The secret is not stored, only its hash.
    assert re.search(r"token=([^&]+)", link.query).group(1) not in str(
        list(SignInLink.objects.values())
    )


def test_a_sign_in_link_works_once(merchant: Merchant) -> None:
    token = issue_owner_sign_in_link(merchant=merchant)
    assert client_for(merchant).get(f"/signin/link/?token={token}")["Location"] == "/admin/"

    replay = client_for(merchant).get(f"/signin/link/?token={token}", follow=True)

    assert replay.redirect_chain[-1][0].startswith("/admin/login/")
    assert "expired or was already used" in replay.content.decode()
    assert client_for(merchant).get("/admin/").status_code == 302  # not signed in


@pytest.mark.parametrize("case", ["expired", "forged", "other merchant", "empty"])
def test_a_bad_sign_in_link_leads_to_the_password_form(
    merchant: Merchant, other_merchant: Merchant, case: str
) -> None:
    token = issue_owner_sign_in_link(merchant=merchant)
    host = merchant
    if case == "expired":
        SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "other merchant":
        host = other_merchant
    elif case == "empty":
        token = ""
    response = client_for(host).get(f"/signin/link/?token={token}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert "expired or was already used" in response.content.decode()


# --- The set-up checklist


def test_each_checklist_step_ticks_when_its_data_appears(merchant: Merchant) -> None:
    owner = _owner(merchant)
    done = []

    def ticked() -> list[str]:
        return [
            key for key, is_done in _steps(owner.get("/admin/").content.decode()).items() if is_done
        ]

    assert ticked() == []
    with schema_context(merchant.schema_name):
        store = create_store(name="Main Street", code="main")
    done.append("store")
    assert ticked() == done
    with schema_context(merchant.schema_name):
        create_program(store=store, loyalty_type="stamps", card_name="Coffee", stamps_target=8)
    done.append("program")
    assert ticked() == done
    with schema_context(merchant.schema_name):
        pin = create_staff_pin(store=store, name="Alice", pin="2580")
    done.append("pin")
    assert ticked() == done
    assert owner.get(f"/admin/programs/store/{store.pk}/poster/").status_code == 200
    done.append("poster")
    assert ticked() == done
    with schema_context(merchant.schema_name):
        _key, raw_key = create_api_key(name="Till", scopes=["read", "write"])
    # The helpers' view of this merchant: the store, its PIN and the key the API call sends.
    loyalty = Loyalty(merchant, store, store, None, None, raw_key, "", "", pin.pk, pin.pk)  # type: ignore[arg-type]
    assert stamp(loyalty, new_card(loyalty)).status_code == 201
    page = owner.get("/admin/").content.decode()
    assert all(_steps(page).values()) and len(_steps(page)) == 5
    assert "You&#x27;re all set" in page or "You're all set" in page


def test_the_checklist_links_each_step_to_its_page(loyalty: Loyalty) -> None:
    page = _owner(loyalty.merchant).get("/admin/").content.decode()
    for url in [
        "/admin/programs/store/add/",
        "/admin/programs/loyaltyprogram/add/",
        "/admin/staff/staffpin/add/",
        f"/admin/programs/store/{loyalty.stamps_store.pk}/poster/",
        "/staff/",
    ]:
        assert f'href="{url}"' in page


# --- The programme form's preview


def test_the_programme_form_shows_a_preview_of_the_card_and_the_pass(loyalty: Loyalty) -> None:
    owner = _owner(loyalty.merchant)
    page = owner.get(
        f"/admin/programs/loyaltyprogram/{loyalty.stamps_program.pk}/change/"
    ).content.decode()
    assert 'id="program-preview"' in page
    assert "backoffice/program_preview.js" in page
    assert page.count('data-preview="name">Coffee Card<') == 2  # the card and the pass
    assert "3 / 10" in page  # the sample card's stamps on the pass
    assert len(re.findall(r'<li class="setup-preview-filled">', page)) == 3
    add = owner.get("/admin/programs/loyaltyprogram/add/").content.decode()
    assert 'id="program-preview"' in add


# --- Cashiers

CASHIER = {
    "name": "Carla Diaz",
    "username": "carla",
    "password": "counter passphrase 7",
}


def test_add_cashier_creates_a_terminal_user_for_their_stores_only(loyalty: Loyalty) -> None:
    owner = _owner(loyalty.merchant)
    assert owner.get("/admin/staff/cashier/add/").status_code == 200
    response = owner.post(
        "/admin/staff/cashier/add/", {**CASHIER, "stores": [loyalty.points_store.pk]}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with schema_context(loyalty.merchant.schema_name):
        user = User.objects.get(username="carla")
        assert (user.first_name, user.last_name, user.is_staff) == ("Carla", "Diaz", False)
        assert list(Cashier.objects.get(user=user).stores.all()) == [loyalty.points_store]
    listing = owner.get("/admin/staff/cashier/").content.decode()
    assert "carla" in listing and "Bakery" in listing

    cashier = client_for(loyalty.merchant)
    assert (
        cashier.post("/staff/login/", {"username": "carla", "password": CASHIER["password"]})[
            "Location"
        ]
        == "/staff/"
    )
    stores = cashier.get("/staff/store/").content.decode()
    assert 'value="bakery"' in stores and 'value="main"' not in stores
    # Another store's code posted anyway is not taken: the terminal is at the cashier's one store.
    cashier.post("/staff/store/", {"store": "main"})
    home = cashier.get("/staff/")
    assert home.status_code == 200
    assert 'class="store-name"' in home.content.decode() and "Bakery" in home.content.decode()


def test_a_cashier_at_the_back_office_is_pointed_to_the_terminal(loyalty: Loyalty) -> None:
    _owner(loyalty.merchant).post("/admin/staff/cashier/add/", CASHIER)
    cashier = client_for(loyalty.merchant)
    signed_in = cashier.post(
        "/admin/login/?next=/admin/",
        {"username": "carla", "password": CASHIER["password"]},
        follow=True,
    )
    assert signed_in.redirect_chain[-1][0] == "/staff/store/"
    assert "counter terminal is your place" in signed_in.content.decode()
    # Every store (none chosen), and the back office stays closed.
    assert 'value="main"' in signed_in.content.decode()
    assert cashier.get("/admin/", follow=True).redirect_chain[-1][0].startswith("/staff/")
    assert cashier.get("/admin/programs/store/").status_code == 302


def test_a_cashier_password_can_be_reset_and_the_account_deactivated(loyalty: Loyalty) -> None:
    owner = _owner(loyalty.merchant)
    owner.post("/admin/staff/cashier/add/", CASHIER)
    with schema_context(loyalty.merchant.schema_name):
        cashier_pk = Cashier.objects.get(user__username="carla").pk
    change = f"/admin/staff/cashier/{cashier_pk}/change/"
    response = owner.post(change, {"password": "another passphrase 9", "is_active": "on"})
    assert response.status_code == 302
    login = {"username": "carla", "password": "another passphrase 9"}
    assert client_for(loyalty.merchant).post("/staff/login/", login).status_code == 302
    assert owner.post(change, {"password": ""}).status_code == 302  # unticked: deactivated
    assert client_for(loyalty.merchant).post("/staff/login/", login).status_code == 200


def test_a_taken_username_or_a_weak_password_is_refused_on_its_field(loyalty: Loyalty) -> None:
    owner = _owner(loyalty.merchant)
    taken = owner.post("/admin/staff/cashier/add/", {**CASHIER, "username": "OWNER@alpha.example"})
    assert taken.status_code == 200 and "This username is taken" in taken.content.decode()
    weak = owner.post("/admin/staff/cashier/add/", {**CASHIER, "password": "short"})
    assert weak.status_code == 200 and "too short" in weak.content.decode()


# --- The merchant's home page


def test_the_home_page_sends_cashiers_to_the_terminal_and_owners_to_the_back_office(
    merchant: Merchant,
) -> None:
    page = client_for(merchant).get("/").content.decode()
    assert 'href="/staff/"' in page and "Counter terminal — for cashiers" in page
    assert 'href="/admin/"' in page


# --- Sign in on the platform


def test_sign_in_e_mails_the_back_office_links_of_a_known_address(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    with schema_context(other_merchant.schema_name):
        # The alpha owner is also a back-office user at beta.
        User.objects.create_user(
            username="alpha-owner", email="Owner@Alpha.example", password=PASSWORD, is_staff=True
        )
    page = client_for(None).get("/").content.decode()
    assert 'action="/signin/"' in page

    response = client_for(None).post("/signin/", {"email": " OWNER@alpha.example "})

    assert response.status_code == 200
    assert "If an account exists for this address" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["owner@alpha.example"]
    assert "http://alpha.localhost:8000/admin/login/" in message.body
    assert "http://beta.localhost:8000/admin/login/" in message.body
    assert "token" not in message.body


def test_sign_in_answers_the_same_for_an_unknown_address_and_sends_nothing(
    merchant: Merchant,
) -> None:
    known = client_for(None).post("/signin/", {"email": "owner@alpha.example"})
    mail.outbox.clear()
    unknown = client_for(None).post("/signin/", {"email": "nobody@example.com"})
    assert unknown.status_code == known.status_code == 200

    def without_csrf(response) -> str:  # type: ignore[no-untyped-def]
        return re.sub(r'value="[^"]+"', "", response.content.decode())

    assert without_csrf(unknown) == without_csrf(known)
    assert mail.outbox == []


def test_a_cashier_or_a_former_user_gets_no_back_office_link(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        User.objects.create_user(username="c", email="cashier@example.com", password=PASSWORD)
        former = User.objects.create_user(
            username="f", email="former@example.com", password=PASSWORD, is_staff=True
        )
        former.is_active = False
        former.save()
    client_for(None).post("/signin/", {"email": "cashier@example.com"})
    client_for(None).post("/signin/", {"email": "former@example.com"})
    assert mail.outbox == []


def test_sign_in_is_throttled(settings) -> None:  # type: ignore[no-untyped-def]
    client = client_for(None)
    statuses = [
        client.post("/signin/", {"email": f"x{n}@example.com"}).status_code for n in range(11)
    ]
    assert statuses == [200] * 10 + [429]


def test_the_e_mail_index_can_be_rebuilt_for_merchants_that_predate_it(
    merchant: Merchant,
) -> None:
    with schema_context(merchant.schema_name):
        User.objects.create_user(
            username="manager", email="manager@example.com", password=PASSWORD, is_staff=True
        )
    AccountEmail.objects.all().delete()  # as before the index existed

    call_command("index_account_emails", stdout=StringIO())

    assert sorted(AccountEmail.objects.values_list("email", flat=True)) == [
        "manager@example.com",
        "owner@alpha.example",
    ]


def test_a_sign_in_link_never_reaches_the_logs() -> None:
    line = '"GET /signin/link/?token=s3cr3t-t0ken HTTP/1.1" 302 0'
    assert "s3cr3t" not in redact(line)
