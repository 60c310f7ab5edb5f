from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every app may use. An app only for the one table they need in each merchant's
    schema, the idempotency records of write endpoints; nothing of it is shown in the admin."""

    name = "common"
    verbose_name = "Common"
