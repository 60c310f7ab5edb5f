import django.db.models.deletion
from django.db import migrations, models

import wallets.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cards", "0006_wallet_serial_not_unique"),
        ("programs", "0003_constraint_messages"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgramWallet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "google_issuer_id",
                    models.CharField(
                        blank=True, max_length=64, verbose_name="Google Wallet issuer ID"
                    ),
                ),
                (
                    "apple_pass_type_id",
                    models.CharField(blank=True, max_length=128, verbose_name="Apple pass type ID"),
                ),
                (
                    "program",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="wallet",
                        to="programs.loyaltyprogram",
                        verbose_name="programme",
                    ),
                ),
            ],
            options={
                "verbose_name": "programme wallet identifiers",
                "verbose_name_plural": "programme wallet identifiers",
            },
        ),
        migrations.CreateModel(
            name="WalletPass",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "apple_serial_number",
                    models.CharField(
                        default=wallets.models.new_serial_number,
                        editable=False,
                        max_length=64,
                        unique=True,
                    ),
                ),
                (
                    "apple_auth_token",
                    models.CharField(
                        default=wallets.models.new_auth_token, editable=False, max_length=64
                    ),
                ),
                (
                    "google_object_id",
                    models.CharField(blank=True, editable=False, max_length=200),
                ),
                (
                    "card",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="wallet_pass",
                        to="cards.loyaltycard",
                        verbose_name="card",
                    ),
                ),
            ],
            options={
                "verbose_name": "wallet pass",
                "verbose_name_plural": "wallet passes",
            },
        ),
    ]
