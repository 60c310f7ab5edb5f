"""A wallet is on only when every setting it needs is given; by default both are off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.wallets.helpers import APPLE_ON, GOOGLE_ON, switch_wallets_on
from wallets.config import apple_configured, google_configured

ROOT = Path(__file__).resolve().parent.parent.parent


def test_both_wallets_are_off_by_default_with_the_specs_defaults() -> None:
    from django.conf import settings

    assert not apple_configured() and not google_configured()
    assert settings.APNS_URL == "https://api.push.apple.com"
    assert settings.APNS_CA_FILE == ""
    assert settings.GOOGLE_WALLET_API_URL == "https://walletobjects.googleapis.com/"
    assert settings.GOOGLE_WALLET_MAX_RPS == 15


def test_all_required_settings_switch_a_wallet_on(settings: Any) -> None:
    switch_wallets_on(settings)
    assert apple_configured() and google_configured()


@pytest.mark.parametrize("name", [*APPLE_ON, *GOOGLE_ON])
def test_any_missing_setting_keeps_its_wallet_off(settings: Any, name: str) -> None:
    switch_wallets_on(settings)
    setattr(settings, name, "")
    assert apple_configured() is (name not in APPLE_ON)
    assert google_configured() is (name not in GOOGLE_ON)


def test_wallet_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    password_file = tmp_path / "key-password"
    password_file.write_text("from a file\n")
    env = {
        **{k: v for k, v in os.environ.items() if k != "APPLE_PASS_KEY_PASSWORD"},
        **APPLE_ON,
        **GOOGLE_ON,
        "APPLE_PASS_KEY_PASSWORD_FILE": str(password_file),
        "GOOGLE_WALLET_MAX_RPS": "4.5",
        "DJANGO_SETTINGS_MODULE": "loyalty_saas.settings.base",
        # Settings are only read: a database that is never contacted.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
    }
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from wallets.config import apple_configured, google_configured\n"
        "print(apple_configured(), google_configured(),"
        " settings.APPLE_PASS_KEY_PASSWORD == 'from a file', settings.GOOGLE_WALLET_MAX_RPS)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "4.5"]
