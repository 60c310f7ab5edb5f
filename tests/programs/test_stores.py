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
