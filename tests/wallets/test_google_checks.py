"""``manage.py check`` warns when Google Wallet is on but cannot work as configured: a site not
served over https (Google fetches logos over https only), a service-account file that cannot be
read or is not a key. Silent when Google Wallet is off or everything is in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.checks import run_checks

from tests.wallets.google_standin import GoogleStandIn


def _ids() -> list[str]:
    return [message.id for message in run_checks(tags=["wallets"]) if message.id]


def test_silent_when_google_wallet_is_off(settings: Any) -> None:
    settings.PUBLIC_SCHEME = "http"
    settings.GOOGLE_WALLET_CREDENTIALS_FILE = "/nowhere.json"
    assert _ids() == []


def test_warns_about_http_and_an_unusable_service_account(
    settings: Any, google_wallet: GoogleStandIn, tmp_path: Path
) -> None:
    settings.PUBLIC_SCHEME = "https"
    assert _ids() == []

    settings.PUBLIC_SCHEME = "http"
    [warning] = run_checks(tags=["wallets"])
    assert warning.id == "wallets.W101" and "https only" in warning.msg

    settings.PUBLIC_SCHEME = "https"
    settings.GOOGLE_WALLET_CREDENTIALS_FILE = str(tmp_path / "missing.json")
    [warning] = run_checks(tags=["wallets"])
    assert warning.id == "wallets.W102" and "cannot be read" in warning.msg

    not_a_key = tmp_path / "not-a-key.json"
    not_a_key.write_text('{"type": "authorized_user"}')
    settings.GOOGLE_WALLET_CREDENTIALS_FILE = str(not_a_key)
    [warning] = run_checks(tags=["wallets"])
    assert warning.id == "wallets.W102" and "not a service-account key" in warning.msg
