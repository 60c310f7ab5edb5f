"""Create a merchant's API key from the command line; prints the key (shown only this once)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from merchants.models import Merchant
from programs.selectors import store_by_code
from staff.services import create_api_key


class Command(BaseCommand):
    help = "Create an API key for a merchant (Wizamart, a POS). The key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchant", required=True, help="merchant slug")
        parser.add_argument("--name", required=True, help="what uses the key, e.g. Wizamart")
        parser.add_argument("--scopes", default="read,write", help="read, write or read,write")
        parser.add_argument("--store", default="", help="restrict the key to this store code")
        parser.add_argument("--json", action="store_true", help="print a JSON object last")

    def handle(self, *args: Any, **options: Any) -> None:
        merchant = Merchant.objects.filter(schema_name=options["merchant"]).first()
        if merchant is None:
            raise CommandError(f"No merchant {options['merchant']!r}.")
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        with schema_context(merchant.schema_name):
            store = None
            if options["store"]:
                store = store_by_code(options["store"])
                if store is None:
                    raise CommandError(f"No store {options['store']!r} at {merchant.slug}.")
            try:
                key, raw = create_api_key(name=options["name"], scopes=scopes, store=store)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"API key “{key.name}” for {merchant.primary_host} (shown only now):"
            )
        )
        self.stdout.write(raw)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "id": key.pk,
                        "prefix": key.prefix,
                        "key": raw,
                        "scopes": key.scopes,
                        "store": store.code if store else None,
                    }
                )
            )
