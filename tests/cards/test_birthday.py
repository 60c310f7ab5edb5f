"""The customer's birthday (day and month, optional): asked on the join page, accepted by the
enrolment and customer APIs as "MM-DD", in the data export, gone after an erasure."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from cards.models import Customer
from tests.conftest import Loyalty, client_for

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/vendor/loyalty/customers"
FORM = {
    "name": "Jane Doe",
    "email": "jane@example.com",
    "phone": "",
    "locale": "en",
    "marketing_consent": "on",
}


def _customer(loyalty: Loyalty, email: str = "jane@example.com") -> Customer | None:
    with schema_context(loyalty.merchant.schema_name):
        return Customer.objects.filter(email=email).first()


def _birth(loyalty: Loyalty, email: str = "jane@example.com") -> tuple[int | None, int | None]:
    customer = _customer(loyalty, email)
    assert customer is not None
    return customer.birth_month, customer.birth_day


# --- The join page


def test_the_join_page_asks_the_birthday_optionally_in_the_visitors_language(
    loyalty: Loyalty,
) -> None:
    page = client_for(loyalty.merchant, HTTP_ACCEPT_LANGUAGE="fr").get("/join/main/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<legend>Anniversaire (facultatif)</legend>" in html
    assert 'name="birth_day"' in html and 'name="birth_month"' in html
    # Each select has its label; the month names are the visitor's.
    assert '<label for="id_birth_day">Jour</label>' in html
    assert '<label for="id_birth_month">Mois</label>' in html
    assert ">février</option>" in html
    lb = client_for(loyalty.merchant, HTTP_ACCEPT_LANGUAGE="lb").get("/join/main/")
    assert ">Mäerz</option>" in lb.content.decode()


def test_joining_with_a_birthday_keeps_day_and_month(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).post(
        "/join/main/", {**FORM, "birth_day": "29", "birth_month": "2"}
    )

    assert response.status_code == 302
    assert _birth(loyalty) == (2, 29)


def test_joining_without_a_birthday_is_fine(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant).post(
        "/join/main/", {**FORM, "birth_day": "", "birth_month": ""}
    )

    assert response.status_code == 302
    assert _birth(loyalty) == (None, None)


@pytest.mark.parametrize(
    ("day", "month", "message"),
    [
        ("31", "4", "This month has no such day."),
        ("30", "2", "This month has no such day."),
        ("12", "", "Choose both the day and the month of your birthday, or neither."),
        ("", "7", "Choose both the day and the month of your birthday, or neither."),
        ("32", "1", "Select a valid choice."),
    ],
)
def test_an_impossible_or_half_birthday_is_refused_on_the_page(
    loyalty: Loyalty, day: str, month: str, message: str
) -> None:
    response = client_for(loyalty.merchant).post(
        "/join/main/", {**FORM, "birth_day": day, "birth_month": month}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert _customer(loyalty) is None


# --- The APIs


def _enrol_public(loyalty: Loyalty, **body: object):
    return client_for(loyalty.merchant).post(
        "/api/v1/loyalty/enroll/main",
        {"name": "Jane", "email": "jane@example.com", "marketing_consent": True, **body},
        content_type="application/json",
    )


def test_public_enrolment_takes_a_birthday(loyalty: Loyalty) -> None:
    response = _enrol_public(loyalty, birthday="02-29")

    assert response.status_code == 201, response.content
    assert response.json()["customer"]["birthday"] == "02-29"
    assert _birth(loyalty) == (2, 29)


@pytest.mark.parametrize("birthday", ["04-31", "13-01", "00-10", "2-3", "12/24", "1990-04-23", 423])
def test_public_enrolment_refuses_a_bad_birthday(loyalty: Loyalty, birthday: object) -> None:
    response = _enrol_public(loyalty, birthday=birthday)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "MM-DD" in body["errors"]["birthday"][0]
    assert _customer(loyalty) is None


@pytest.mark.parametrize("birthday", ["", None])
def test_public_enrolment_without_a_birthday(loyalty: Loyalty, birthday: object) -> None:
    response = _enrol_public(loyalty, birthday=birthday)

    assert response.status_code == 201
    assert response.json()["customer"]["birthday"] is None


def test_the_refusal_is_in_the_callers_language(loyalty: Loyalty) -> None:
    response = client_for(loyalty.merchant, HTTP_ACCEPT_LANGUAGE="de").post(
        "/api/v1/loyalty/enroll/main",
        {"name": "Jane", "email": "jane@example.com", "marketing_consent": True, "birthday": "x"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "MM-TT" in response.json()["errors"]["birthday"][0]


def test_vendor_enrolment_and_changes_to_the_birthday(loyalty: Loyalty) -> None:
    created = loyalty.api().post(
        CUSTOMERS,
        {
            "store_code": "main",
            "name": "Jane",
            "email": "jane@example.com",
            "marketing_consent": False,
            "birthday": "12-24",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    customer_id = created.json()["customer"]["id"]
    assert _birth(loyalty) == (12, 24)

    def patch(**body: object):
        return loyalty.api().patch(
            f"{CUSTOMERS}/{customer_id}", body, content_type="application/json"
        )

    changed = patch(birthday="07-01")
    assert changed.status_code == 200 and changed.json()["birthday"] == "07-01"
    assert _birth(loyalty) == (7, 1)
    refused = patch(birthday="02-30")
    assert refused.status_code == 400 and "birthday" in refused.json()["errors"]
    assert _birth(loyalty) == (7, 1)
    untouched = patch(name="Jane Doe")
    assert untouched.status_code == 200 and untouched.json()["birthday"] == "07-01"
    cleared = patch(birthday=None)
    assert cleared.status_code == 200 and cleared.json()["birthday"] is None
    assert _birth(loyalty) == (None, None)


def test_vendor_enrolment_refuses_a_bad_birthday(loyalty: Loyalty) -> None:
    response = loyalty.api().post(
        CUSTOMERS,
        {
            "store_code": "main",
            "name": "Jane",
            "email": "jane@example.com",
            "marketing_consent": False,
            "birthday": "06-31",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "birthday" in response.json()["errors"]


# --- The database, the export and the erasure


@pytest.mark.parametrize(
    ("month", "day"), [(4, 31), (2, 30), (13, 1), (0, 5), (5, None), (None, 5)]
)
def test_the_database_refuses_an_impossible_or_half_birthday(
    loyalty: Loyalty, month: int | None, day: int | None
) -> None:
    assert _enrol_public(loyalty).status_code == 201
    with (
        schema_context(loyalty.merchant.schema_name),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Customer.objects.filter(email="jane@example.com").update(birth_month=month, birth_day=day)


def test_the_export_holds_the_birthday_and_the_erasure_forgets_it(loyalty: Loyalty) -> None:
    customer_id = _enrol_public(loyalty, birthday="02-29").json()["customer"]["id"]

    export = loyalty.api().get(f"{CUSTOMERS}/{customer_id}/export")
    assert export.status_code == 200
    assert export.json()["customer"]["birthday"] == "02-29"

    erased = loyalty.api().post(f"{CUSTOMERS}/{customer_id}/erase")
    assert erased.status_code == 200, erased.content
    assert erased.json()["birthday"] is None
    with schema_context(loyalty.merchant.schema_name):
        customer = Customer.objects.get(pk=customer_id)
        assert (customer.birth_month, customer.birth_day) == (None, None)
    again = loyalty.api().get(f"{CUSTOMERS}/{customer_id}/export")
    assert again.json()["customer"]["birthday"] is None
