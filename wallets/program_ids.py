"""Where a programme's Wallet identifiers are kept, for programs.wallet_ids (see that module)."""

from __future__ import annotations

from collections.abc import Mapping

from programs.models import LoyaltyProgram
from programs.wallet_ids import WALLET_ID_FIELDS
from wallets.models import ProgramWallet


class ProgramWalletIds:
    def related(self) -> tuple[str, ...]:
        return ("wallet",)

    def read(self, program: LoyaltyProgram) -> dict[str, str]:
        try:
            wallet = program.wallet
        except ProgramWallet.DoesNotExist:
            return dict.fromkeys(WALLET_ID_FIELDS, "")
        return {name: getattr(wallet, name) for name in WALLET_ID_FIELDS}

    def write(self, program: LoyaltyProgram, values: Mapping[str, str]) -> None:
        unknown = set(values) - set(WALLET_ID_FIELDS)
        if unknown:
            raise TypeError(f"unknown wallet identifiers: {sorted(unknown)}")
        wallet = ProgramWallet.objects.select_for_update().filter(program=program).first()
        if wallet is None:
            if not any(values.values()):
                return  # nothing of its own: the platform's identifiers apply, no row needed
            wallet = ProgramWallet(program=program)
        for name, value in values.items():
            setattr(wallet, name, value)
        wallet.full_clean(exclude=["program"])
        wallet.save()
        program.wallet = wallet  # later reads of this programme object need no query
