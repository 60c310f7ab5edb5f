"""One customer per external ID within a merchant (blank: not linked to Wizamart or a POS).

Trusted enrollment matches customers by external ID, and the unique index is what makes two
simultaneous enrollments of one Wizamart customer create one row. Until now only the back office
could set an external ID (the API never wrote it), so duplicates are unlikely; should a merchant
have typed one ID on two customers, this migration stops and names them rather than choosing which
customer keeps the ID: that is for the merchant to decide in the back office, then migrate again.
"""

from django.db import migrations, models


def refuse_duplicates(apps, schema_editor):  # type: ignore[no-untyped-def]
    Customer = apps.get_model("cards", "Customer")
    duplicates = list(
        Customer.objects.exclude(external_id="")
        .values("external_id")
        .annotate(count=models.Count("pk"))
        .filter(count__gt=1)
        .values_list("external_id", flat=True)[:20]
    )
    if duplicates:
        raise RuntimeError(
            f"Schema {getattr(schema_editor.connection, 'schema_name', '?')!r}: several customers share the "
            f"external ID(s) {duplicates!r}. Clear or correct them in the back office "
            "(Customers, search by external ID), then run the migration again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0008_idempotency_records_move_to_common"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id", ""), _negated=True),
                fields=("external_id",),
                name="customer_external_id_unique",
                violation_error_message="A customer with this external ID already exists.",
            ),
        ),
    ]
