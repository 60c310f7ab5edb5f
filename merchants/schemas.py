"""Schema plumbing: the template schema new merchants are cloned from, and migration executors.

Replaying every tenant migration for a new merchant takes seconds and grows with each migration.
Instead ``migrate_schemas`` keeps an empty, fully migrated ``tenant_template`` schema (with its
content types, permissions and migration records), and sign-up copies it with django-tenants'
``clone_schema()`` SQL function, inside the sign-up transaction. If a deploy forgot to migrate the
template, sign-up notices (its migration records lag the code) and migrates it first.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.migration_executors import get_executor
from django_tenants.utils import quote_schema_name, schema_context, schema_exists

# Serialises template migrations between processes (an arbitrary constant for pg_advisory_lock).
_TEMPLATE_LOCK_ID = 7_310_001


def get_migration_executor(codename: str | None = None):  # type: ignore[no-untyped-def]
    """``migrate_schemas`` executor: parallel by default (TENANT_MIGRATION_EXECUTOR)."""
    return get_executor(codename or settings.TENANT_MIGRATION_EXECUTOR)


def template_schema() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


@functools.cache
def _expected_tenant_migrations() -> frozenset[tuple[str, str]]:
    tenant_labels = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    return frozenset(key for key in loader.disk_migrations if key[0] in tenant_labels)


def template_is_current() -> bool:
    name = template_schema()
    if not schema_exists(name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {quote_schema_name(name)}.django_migrations")  # noqa: S608
        applied = {(app, migration) for app, migration in cursor.fetchall()}
    return _expected_tenant_migrations() <= applied


def migrate_template_schema(*, verbosity: int = 0) -> None:
    """Create the template schema if needed and apply every tenant migration to it."""
    name = template_schema()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_TEMPLATE_LOCK_ID])
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_schema_name(name)}")
    call_command(
        "migrate_schemas",
        schema_name=name,
        tenant=True,
        interactive=False,
        verbosity=verbosity,
        executor="standard",
    )
    connection.set_schema_to_public()
    _install_clone_function()


def ensure_template_current() -> None:
    if not template_is_current():
        migrate_template_schema()


def _install_clone_function() -> None:
    # CREATE OR REPLACE of the ~3,500-line PL/pgSQL function costs more than a clone of our small
    # schema; do it once per migrate rather than on every sign-up.
    with schema_context("public"):
        CloneSchema()._create_clone_schema_function()


def _clone_function_installed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'clone_schema'")
        return cursor.fetchone() is not None


def clone_template_into(schema_name: str) -> None:
    """Copy the template schema (structure and reference rows) into a new schema.

    Runs inside the caller's transaction: if anything after it fails, PostgreSQL rolls the new
    schema back with everything else.
    """
    if not _clone_function_installed():
        _install_clone_function()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT public.clone_schema(%s, %s, 'DATA')", [template_schema(), schema_name]
        )
