"""The programme's Wallet identifiers now live in ``wallets.ProgramWallet`` (copied by wallets
0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0003_constraint_messages"),
        ("wallets", "0002_copy_wallet_state"),
    ]

    operations = [
        migrations.RemoveField(model_name="loyaltyprogram", name="google_issuer_id"),
        migrations.RemoveField(model_name="loyaltyprogram", name="apple_pass_type_id"),
    ]
