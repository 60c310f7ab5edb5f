"""A programme is the merchant's and lists its participating stores: the key moves from the
programme (``LoyaltyProgram.store``, one store) to the store (``Store.program``). Each existing
programme keeps its one store."""

import django.db.models.deletion
from django.db import migrations, models


def stores_take_part(apps, schema_editor):
    LoyaltyProgram = apps.get_model("programs", "LoyaltyProgram")
    Store = apps.get_model("programs", "Store")
    for program_id, store_id in LoyaltyProgram.objects.values_list("pk", "store_id"):
        Store.objects.filter(pk=store_id).update(program_id=program_id)


def programs_back_to_one_store(apps, schema_editor):
    LoyaltyProgram = apps.get_model("programs", "LoyaltyProgram")
    Store = apps.get_model("programs", "Store")
    for program in LoyaltyProgram.objects.all():
        first = Store.objects.filter(program_id=program.pk).order_by("pk").first()
        if first is None:
            raise RuntimeError(f"programme {program.pk} has no store to go back to")
        program.store_id = first.pk
        program.save(update_fields=["store"])


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0009_store_poster_opened_at"),
    ]

    operations = [
        # First out of the way: nullable, so that going back can fill it before it is required
        # again, and without its reverse accessor, which is the name the new key takes.
        migrations.AlterField(
            model_name="loyaltyprogram",
            name="store",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="programs.store",
                verbose_name="store",
            ),
        ),
        migrations.AddField(
            model_name="store",
            name="program",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="stores",
                to="programs.loyaltyprogram",
                verbose_name="loyalty programme",
            ),
        ),
        migrations.RunPython(stores_take_part, programs_back_to_one_store),
        migrations.RemoveField(model_name="loyaltyprogram", name="store"),
        migrations.AlterModelOptions(
            name="loyaltyprogram",
            options={
                "ordering": ["card_name", "pk"],
                "verbose_name": "loyalty programme",
                "verbose_name_plural": "loyalty programmes",
            },
        ),
    ]
