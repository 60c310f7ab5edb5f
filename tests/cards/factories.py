from __future__ import annotations

import factory

from cards.models import Customer
from tests.programs.factories import StoreFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer in the current schema: use inside ``schema_context(merchant.schema_name)``."""

    class Meta:
        model = Customer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    enrolled_store = factory.SubFactory(StoreFactory)
