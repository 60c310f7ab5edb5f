from __future__ import annotations

import factory

from programs.models import Store


class StoreFactory(factory.django.DjangoModelFactory):
    """A store in the current schema: use inside ``schema_context(merchant.schema_name)``."""

    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Store {n}")
    code = factory.Sequence(lambda n: f"store-{n}")
    timezone = "Europe/Luxembourg"
