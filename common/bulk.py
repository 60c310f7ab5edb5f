"""Writing many rows at once."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model


def update_rows(objects: Sequence[Model], fields: Sequence[str], *, batch_size: int = 1000) -> int:
    """Save ``fields`` of ``objects`` (all of one model) in one ``UPDATE … FROM (VALUES …)`` per
    batch; returns how many rows changed.

    Django's ``bulk_update`` writes a ``CASE WHEN pk = … THEN …`` per row and field: building and
    resolving those expressions costs milliseconds of Python per row (most of a 500-message
    batch's time). Here each row is one tuple of parameters, cast to the columns' types.
    """
    if not objects:
        return 0
    model = type(objects[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    casts = [f"%s::{column.cast_db_type(connection)}" for column in columns]
    row_sql = "(" + ", ".join(casts) + ")"
    names = ", ".join(quote(column.column) for column in columns)
    assignments = ", ".join(
        f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:]
    )
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            batch = objects[start : start + batch_size]
            params: list[object] = []
            for obj in batch:
                for column in columns:
                    value = getattr(obj, column.attname)
                    params.append(column.get_db_prep_save(value, connection=connection))
            # Only quoted model names and %s placeholders go into the text; values are parameters.
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
                f"FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v({names}) "
                f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}",
                params,
            )
            changed += cursor.rowcount
    return changed
