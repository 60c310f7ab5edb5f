"""Send a probe task into a merchant's schema and wait for a worker to answer (deploy check)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from merchants.models import Merchant
from merchants.tasks import probe_schema_task


class Command(BaseCommand):
    help = "Check that a Celery worker runs tasks in the right merchant schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", help="Merchant to probe (default: the first one)")
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args: Any, **options: Any) -> None:
        merchants = Merchant.objects.order_by("pk")
        merchant = (
            merchants.filter(schema_name=options["slug"]) if options["slug"] else merchants
        ).first()
        if merchant is None:
            raise CommandError("No such merchant.")
        with schema_context(merchant.schema_name):
            result = probe_schema_task.delay().get(timeout=options["timeout"])
        if result["schema"] != merchant.schema_name:
            raise CommandError(
                f"Task ran in {result['schema']!r}, expected {merchant.schema_name!r}"
            )
        self.stdout.write(json.dumps(result))
