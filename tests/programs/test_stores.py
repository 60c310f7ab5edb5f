from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.services import create_store
from tests.cards.factories import CustomerFactory
from tests.programs.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_store_codes_are_unique_within_a_merchant_but_not_across(
    merchant: Merchant, other_merchant: Merchant
) -> None:
    with schema_context(merchant.schema_name):
        create_store(name="Main", code="main")
        with pytest.raises(ValidationError) as refused:
            create_store(name="Main again", code="MAIN")
        assert "code" in refused.value.message_dict
    with schema_context(other_merchant.schema_name):
        assert create_store(name="Main", code="main").code == "main"


@pytest.mark.parametrize("code", ["main street", "café", "-main", "main/1", ""])
def test_store_codes_must_be_url_safe(merchant: Merchant, code: str) -> None:
    with schema_context(merchant.schema_name), pytest.raises(ValidationError) as refused:
        create_store(name="Main", code=code)
    assert "code" in refused.value.message_dict


def test_store_time_zone_must_exist(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name), pytest.raises(ValidationError) as refused:
        create_store(name="Main", code="main", timezone="Mars/Olympus")
    assert "timezone" in refused.value.message_dict


def test_one_customer_per_email_whatever_its_case(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name):
        store = StoreFactory()
        CustomerFactory(email="Jane@Example.com", enrolled_store=store)
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(email="jane@example.COM", enrolled_store=store)


def test_customer_spending_cannot_go_negative(merchant: Merchant) -> None:
    with schema_context(merchant.schema_name), pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(total_spent_cents=-1)


def test_store_coordinates_are_optional_both_or_neither_and_in_range(merchant: Merchant) -> None:
    from decimal import Decimal

    with schema_context(merchant.schema_name):
        store = create_store(
            name="Main", code="main", latitude=Decimal("49.611622"), longitude=Decimal("6.131935")
        )
        assert (store.latitude, store.longitude) == (Decimal("49.611622"), Decimal("6.131935"))
        assert create_store(name="Kiosk", code="kiosk").latitude is None
        for values, field in (
            ({"latitude": Decimal("49.6")}, "longitude"),
            ({"longitude": Decimal("6.1")}, "latitude"),
            ({"latitude": Decimal("90.5"), "longitude": Decimal("6.1")}, "latitude"),
            ({"latitude": Decimal("49.6"), "longitude": Decimal("-180.5")}, "longitude"),
        ):
            with pytest.raises(ValidationError) as refused:
                create_store(name="Other", code="other", **values)
            assert field in refused.value.message_dict, values
        # The database agrees, whoever writes.
        with pytest.raises(IntegrityError), transaction.atomic():
            StoreFactory(code="raw", latitude=Decimal("10"), longitude=None)


def test_the_store_form_takes_coordinates_and_refuses_half_of_them(merchant: Merchant) -> None:
    from programs.models import Store
    from tests.programs.test_admin import signed_in

    client = signed_in(merchant)
    form = {
        "name": "Main",
        "code": "main",
        "is_active": "on",
        "address": "1 Grand-Rue, Luxembourg",
        "timezone": "Europe/Luxembourg",
        "latitude": "49.611622",
        "longitude": "",
    }
    refused = client.post("/admin/programs/store/add/", form)
    assert refused.status_code == 200
    assert "Give both the latitude and the longitude, or neither." in refused.content.decode()

    out_of_range = client.post("/admin/programs/store/add/", {**form, "longitude": "181"})
    assert out_of_range.status_code == 200

    saved = client.post("/admin/programs/store/add/", {**form, "longitude": "6.131935"})
    assert saved.status_code == 302
    with schema_context(merchant.schema_name):
        store = Store.objects.get(code="main")
    assert str(store.latitude) == "49.611622" and str(store.longitude) == "6.131935"
