"""Roll every merchant's figures (or one merchant's) up into the platform's tables now."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insights.platform import rollup_all_merchants, rollup_merchant
from merchants.models import Merchant


class Command(BaseCommand):
    help = (
        "Compute every merchant's figures in its schema and write them to the platform's tables "
        "(what the platform admin API and the platform admin's home read)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--merchant", help="only this merchant (its slug)")

    def handle(self, *args: Any, merchant: str | None = None, **options: Any) -> None:
        started = time.perf_counter()
        if merchant:
            found = Merchant.objects.filter(schema_name=merchant).first()
            if found is None:
                raise CommandError(f"No merchant with the slug {merchant!r}.")
            rollup_merchant(merchant_id=found.pk)
            done = 1
        else:
            done = rollup_all_merchants()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Rolled up {done} merchant(s) in {elapsed:.2f} s.")
