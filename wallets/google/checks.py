"""Django system checks for Google Wallet (``manage.py check``, and before ``runserver`` and
``migrate``): warnings, never errors, so a deployment still starts, with Google Wallet saying what
it lacks.

- Google fetches a programme's logo itself, over https only (``content.program_logo_uri`` always
  gives it an https address): a site served over plain http has classes without a logo, or
  refused.
- The service-account file must be readable and a service-account key; it is read here, never
  printed, and no request is made.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from wallets.config import google_configured
from wallets.google.credentials import GoogleCredentialsError, load_account


@register(Tags.compatibility, "wallets")
def check_google_wallet(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not google_configured():
        return []
    found: list[CheckMessage] = []
    if settings.PUBLIC_SCHEME != "https":
        found.append(
            Warning(
                f"Google Wallet is on but PUBLIC_SCHEME is {settings.PUBLIC_SCHEME!r}: Google "
                "fetches programme logos over https only.",
                hint="Serve the site over https and set PUBLIC_SCHEME=https.",
                id="wallets.W101",
            )
        )
    try:
        load_account()
    except GoogleCredentialsError as error:
        found.append(
            Warning(
                f"Google Wallet is on but its service account cannot be used: {error}.",
                hint="Point GOOGLE_WALLET_CREDENTIALS_FILE at the JSON key downloaded from the "
                "Google Cloud console, readable by this process.",
                id="wallets.W102",
            )
        )
    return found
