"""Adding the same cashier twice at once (a form sent twice): one account, one clear refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from staff.models import Cashier
from staff.services import create_cashier
from tests.concurrency import simultaneously
from tests.conftest import Loyalty


@pytest.mark.usefixtures("committed_db")
def test_two_simultaneous_cashiers_with_one_username_make_one_account(
    committed_loyalty: Loyalty,
) -> None:
    schema = committed_loyalty.merchant.schema_name

    def add(index: int, go: Callable[[], object]) -> str:
        try:
            with schema_context(schema):
                go()
                create_cashier(
                    name=f"Bob {index}", username="bob", password="counter-pass-2026", stores=[]
                )
                return "created"
        except ValidationError as error:
            return error.message_dict["username"][0]
        finally:
            connection.close()

    outcomes = sorted(simultaneously(6, add))

    assert outcomes == ["This username is taken. Please choose another."] * 5 + ["created"]
    with schema_context(schema):
        assert get_user_model().objects.filter(username="bob").count() == 1
        assert Cashier.objects.count() == 1
