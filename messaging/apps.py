from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        # Automations follow the engine's announcements (welcome, one stamp away, reward ready).
        from cards.signals import card_changed
        from messaging import receivers

        card_changed.connect(receivers.on_card_changed, dispatch_uid="messaging.card_changed")
