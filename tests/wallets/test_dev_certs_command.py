"""``manage.py make_dev_wallet_certs``: a development chain that check_apple_wallet accepts, kept
when it is still good, replaced with --force or when it is not."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core.management import call_command

from wallets.apple.checks import check_credentials, has_errors
from wallets.apple.dev_certs import DEV_PASS_TYPE_ID, DEV_TEAM_ID, make_chain


def _make(folder: Path, *options: str) -> str:
    out = StringIO()
    call_command("make_dev_wallet_certs", "--dir", str(folder), *options, stdout=out)
    return out.getvalue()


def _settings_printed(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if line.startswith("APPLE_"))


def test_writes_a_chain_that_the_checks_accept(settings: Any, tmp_path: Path) -> None:
    folder = tmp_path / "apple-dev"
    output = _make(folder)

    assert f"Wrote development Apple Wallet certificates to {folder}" in output
    assert "no iPhone opens them" in output
    printed = _settings_printed(output)
    assert printed == {
        "APPLE_PASS_TYPE_ID": DEV_PASS_TYPE_ID,
        "APPLE_TEAM_ID": DEV_TEAM_ID,
        "APPLE_PASS_CERT_FILE": str(folder / "pass.pem"),
        "APPLE_PASS_KEY_FILE": str(folder / "pass.key"),
        "APPLE_WWDR_CERT_FILE": str(folder / "wwdr.pem"),
        "APPLE_PASS_KEY_PASSWORD": "",
    }
    assert stat.S_IMODE((folder / "pass.key").stat().st_mode) == 0o600
    for name, value in printed.items():
        setattr(settings, name, value)
    findings = check_credentials()
    assert not has_errors(findings), findings


def test_keeps_a_valid_chain_and_replaces_it_with_force(tmp_path: Path) -> None:
    folder = tmp_path / "apple-dev"
    _make(folder)
    first = (folder / "pass.pem").read_bytes()

    assert f"Keeping the development Apple Wallet certificates in {folder}" in _make(folder)
    assert (folder / "pass.pem").read_bytes() == first

    assert "Wrote development Apple Wallet" in _make(folder, "--force")
    assert (folder / "pass.pem").read_bytes() != first


def test_replaces_a_chain_that_expires_soon_or_is_broken(tmp_path: Path) -> None:
    folder = tmp_path / "apple-dev"
    make_chain(not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=360), valid_days=365).write(
        folder
    )
    assert "Wrote development Apple Wallet" in _make(folder)

    (folder / "pass.key").write_text("broken")
    assert "Wrote development Apple Wallet" in _make(folder)
    assert "Keeping" in _make(folder)


def test_its_shell_exports_switch_apple_wallet_on_for_the_next_command(tmp_path: Path) -> None:
    """What `make run` does: eval the exports, then start Django with them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPLE_", "APNS_"))}
    # The development settings, as `make run` has them (the test settings keep Apple off); the
    # commands open no database connection.
    env["DJANGO_SETTINGS_MODULE"] = "loyalty_saas.settings.base"
    env["DATABASE_URL"] = "postgres://unused@127.0.0.1:9/unused"
    folder = tmp_path / "with space"
    script = (
        f'exports=$("{sys.executable}" manage.py make_dev_wallet_certs --shell '
        f'--dir "{folder}") || exit 9; eval "$exports"; '
        f'"{sys.executable}" manage.py check_apple_wallet'
    )
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"The pass certificate is for {DEV_PASS_TYPE_ID}" in result.stdout
    assert "no iPhone opens them" in result.stderr
