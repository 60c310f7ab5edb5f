from __future__ import annotations

from wallets.models import WalletPass


def find_wallet_pass(*, serial_number: str) -> WalletPass | None:
    return (
        WalletPass.objects.select_related("card").filter(apple_serial_number=serial_number).first()
    )


def find_apple_pass(*, serial_number: str) -> WalletPass | None:
    """A pass with everything it shows loaded (``apple.package.build_pkpass``)."""
    return (
        WalletPass.objects.select_related("card", "card__customer", "card__program", "card__store")
        .filter(apple_serial_number=serial_number)
        .first()
    )
