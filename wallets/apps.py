from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletsConfig(AppConfig):
    name = "wallets"
    verbose_name = _("Wallets")

    def ready(self) -> None:
        # cards sits below wallets and never imports it: the seams are filled from here.
        from cards.links import register_wallet_links
        from cards.services import register_export_part
        from cards.signals import card_changed, card_deactivated, customer_erased
        from programs.signals import program_changed
        from programs.wallet_ids import register_wallet_id_store
        from wallets import receivers
        from wallets.google import checks  # noqa: F401 (registers the system checks)
        from wallets.links import WalletPassLinks
        from wallets.program_ids import ProgramWalletIds
        from wallets.services import wallet_presence

        register_wallet_links(WalletPassLinks())
        register_wallet_id_store(ProgramWalletIds())
        register_export_part("wallets", wallet_presence)
        card_changed.connect(receivers.on_card_changed, dispatch_uid="wallets.apple.card_changed")
        card_deactivated.connect(
            receivers.on_card_deactivated, dispatch_uid="wallets.apple.card_deactivated"
        )
        program_changed.connect(
            receivers.on_program_changed, dispatch_uid="wallets.apple.program_changed"
        )
        customer_erased.connect(
            receivers.on_customer_erased, dispatch_uid="wallets.customer_erased"
        )
