"""The Apple serial number moves to ``wallets.WalletPass`` (unique there).

Its uniqueness on the card is dropped before the move, not with the column: undoing the move adds
the column back (one default value for every row), ``wallets`` 0002 copies each card's serial
back, and only then does undoing this migration make the column unique again.
"""

from django.db import migrations, models

import cards.models


class Migration(migrations.Migration):
    dependencies = [("cards", "0005_ledger_append_only")]

    operations = [
        migrations.AlterField(
            model_name="loyaltycard",
            name="apple_serial_number",
            field=models.CharField(
                default=cards.models._serial_number, editable=False, max_length=64
            ),
        ),
    ]
