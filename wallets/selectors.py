from __future__ import annotations

from wallets.models import WalletPass


def find_wallet_pass(*, serial_number: str) -> WalletPass | None:
    return (
        WalletPass.objects.select_related("card").filter(apple_serial_number=serial_number).first()
    )
