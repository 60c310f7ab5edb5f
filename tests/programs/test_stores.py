from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.services import create_store
from programs.signals import program_changed
from tests.cards.factories import CustomerFactory
from tests.conftest import Loyalty
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


def test_a_store_change_its_passes_show_is_announced_for_its_programme(
    loyalty: Loyalty, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.programs.test_admin import signed_in

    heard: list[dict] = []

    def listener(sender: type, **payload: Any) -> None:
        heard.append(payload)

    program_changed.connect(listener)
    try:
        client = signed_in(loyalty.merchant)
        store = loyalty.stamps_store
        url = f"/admin/programs/store/{store.pk}/change/"
        form = {
            "name": store.name,
            "code": store.code,
            "is_active": "on",
            "address": store.address,
            "timezone": "Europe/Paris",
            "latitude": "",
            "longitude": "",
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, form).status_code == 302
        assert heard == []  # the time zone is not on the pass

        with django_capture_on_commit_callbacks(execute=True):
            moved = {**form, "address": "2 Grand-Rue", "latitude": "49.6", "longitude": "6.13"}
            assert client.post(url, moved).status_code == 302
        assert heard == [{"signal": program_changed, "program_id": loyalty.stamps_program.pk,
                          "fields": ["store"]}]  # fmt: skip
    finally:
        program_changed.disconnect(listener)
    with schema_context(loyalty.merchant.schema_name):
        store.refresh_from_db()
    assert store.address == "2 Grand-Rue" and store.timezone == "Europe/Paris"
