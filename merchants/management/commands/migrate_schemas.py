"""django-tenants' migrate_schemas, which also keeps the tenant template schema current.

Every run that migrates all tenants migrates ``tenant_template`` too, so the schema new merchants
are cloned from never lags the code. Parallel by default (``TENANT_MIGRATION_EXECUTOR``).
"""

from __future__ import annotations

from typing import Any

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from merchants.schemas import migrate_template_schema


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        # A full run (no --schema) migrates the template too; django-tenants sets schema_name to
        # "public" for the public part of a full run, hence the second case.
        if self.sync_tenant and self.schema_name in (None, self.PUBLIC_SCHEMA_NAME):
            migrate_template_schema(verbosity=int(options.get("verbosity", 1)))
