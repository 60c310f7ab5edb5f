"""The card's wallet identifiers now live in ``wallets.WalletPass`` (copied by wallets 0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0006_wallet_serial_not_unique"),
        ("wallets", "0002_copy_wallet_state"),
    ]

    operations = [
        migrations.RemoveField(model_name="loyaltycard", name="apple_serial_number"),
        migrations.RemoveField(model_name="loyaltycard", name="apple_auth_token"),
        migrations.RemoveField(model_name="loyaltycard", name="google_object_id"),
    ]
