from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletsConfig(AppConfig):
    name = "wallets"
    verbose_name = _("Wallets")

    def ready(self) -> None:
        # cards sits below wallets and never imports it: the seams are filled from here.
        from cards.links import register_wallet_links
        from cards.signals import card_changed, card_deactivated
        from programs.signals import program_changed
        from programs.wallet_ids import register_wallet_id_store
        from wallets import receivers
        from wallets.google import checks  # noqa: F401 (registers the system checks)
        from wallets.links import WalletPassLinks
        from wallets.program_ids import ProgramWalletIds

        register_wallet_links(WalletPassLinks())
        register_wallet_id_store(ProgramWalletIds())
        card_changed.connect(receivers.on_card_changed, dispatch_uid="wallets.apple.card_changed")
        card_deactivated.connect(
            receivers.on_card_deactivated, dispatch_uid="wallets.apple.card_deactivated"
        )
        program_changed.connect(
            receivers.on_program_changed, dispatch_uid="wallets.apple.program_changed"
        )
