"""Whether each wallet is configured: every setting it cannot work without is given (SPEC §8).

Read on every call, not at import, so that a test (or a settings change) can switch a wallet.
"""

from __future__ import annotations

from django.conf import settings

# The key password is not among them: a private key may be stored unencrypted.
APPLE_REQUIRED = (
    "APPLE_PASS_TYPE_ID",
    "APPLE_TEAM_ID",
    "APPLE_PASS_CERT_FILE",
    "APPLE_PASS_KEY_FILE",
    "APPLE_WWDR_CERT_FILE",
)
GOOGLE_REQUIRED = ("GOOGLE_WALLET_ISSUER_ID", "GOOGLE_WALLET_CREDENTIALS_FILE")


def _all_set(names: tuple[str, ...]) -> bool:
    return all(getattr(settings, name, "") for name in names)


def apple_configured() -> bool:
    return _all_set(APPLE_REQUIRED)


def google_configured() -> bool:
    return _all_set(GOOGLE_REQUIRED)
