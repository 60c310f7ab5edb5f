from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Insights")

    def ready(self) -> None:
        # The platform's rolled-up figures follow every change to cards and programmes.
        from cards.signals import card_changed, card_deactivated, customer_erased
        from insights import receivers
        from programs.signals import program_changed

        for signal, name in (
            (card_changed, "card_changed"),
            (card_deactivated, "card_deactivated"),
            (customer_erased, "customer_erased"),
            (program_changed, "program_changed"),
        ):
            signal.connect(receivers.on_change, dispatch_uid=f"insights.rollup.{name}")
