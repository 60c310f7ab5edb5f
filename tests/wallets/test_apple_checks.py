"""``manage.py check_apple_wallet``: one clear line per problem with the Apple Wallet credentials,
and a non-zero exit whenever passes could not be trusted (or built) with them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from tests.wallets.conftest import KEY_PASSWORD, PASS_TYPE_ID, TEAM_ID, AppleChain
from wallets.apple.checks import Level, check_credentials
from wallets.apple.dev_certs import CertChain, make_chain

NOW = dt.datetime.now(dt.UTC)


def _use(settings: Any, files: dict[str, Path], **overrides: str) -> None:
    settings.APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.APPLE_TEAM_ID = TEAM_ID
    settings.APPLE_PASS_KEY_PASSWORD = ""
    for name in ("APPLE_PASS_CERT_FILE", "APPLE_PASS_KEY_FILE", "APPLE_WWDR_CERT_FILE"):
        setattr(settings, name, str(files[name]))
    for name, value in overrides.items():
        setattr(settings, name, value)


def _write(chain: CertChain, folder: Path) -> dict[str, Path]:
    return chain.write(folder)


def _run() -> tuple[int, str, str]:
    """The command as an operator runs it: its output and exit status."""
    out, err = StringIO(), StringIO()
    try:
        call_command("check_apple_wallet", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def _errors(findings) -> list[str]:
    return [f.message for f in findings if f.level is Level.ERROR]


def test_a_good_chain_passes_every_check(apple_wallet: AppleChain) -> None:
    status, out, err = _run()
    assert status == 0, err
    assert f"The pass certificate is for {PASS_TYPE_ID}" in out
    assert f"belongs to team {TEAM_ID}" in out
    assert "The pass key matches the pass certificate" in out
    assert "issued by the WWDR certificate" in out
    assert "Apple Wallet is ready to sign passes." in out
    assert KEY_PASSWORD not in out + err


def test_not_configured_says_which_settings_are_missing(settings: Any) -> None:
    settings.APPLE_PASS_TYPE_ID = "pass.example.loyalty"
    settings.APPLE_TEAM_ID = ""
    settings.APPLE_PASS_CERT_FILE = settings.APPLE_PASS_KEY_FILE = ""
    settings.APPLE_WWDR_CERT_FILE = ""
    status, _out, err = _run()
    assert status == 1
    assert (
        "Apple Wallet is not configured (it is off): set APPLE_TEAM_ID, APPLE_PASS_CERT_FILE, "
        "APPLE_PASS_KEY_FILE, APPLE_WWDR_CERT_FILE" in err
    )


def test_the_test_settings_keep_apple_wallet_off() -> None:
    assert _errors(check_credentials())[0].startswith("Apple Wallet is not configured")
    assert not django_settings.APPLE_PASS_TYPE_ID


def test_wrong_pass_type_id_and_team(settings: Any, apple_chain: AppleChain) -> None:
    _use(
        settings,
        apple_chain.files,
        APPLE_PASS_TYPE_ID="pass.other.id",
        APPLE_TEAM_ID="OTHERTEAM1",
        APPLE_PASS_KEY_PASSWORD=KEY_PASSWORD,
    )
    status, _out, err = _run()
    assert status == 1
    assert (
        f"APPLE_PASS_TYPE_ID is 'pass.other.id' but the pass certificate is for {PASS_TYPE_ID!r}"
        in err
    )
    assert (
        f"APPLE_TEAM_ID is 'OTHERTEAM1' but the pass certificate belongs to team {TEAM_ID!r}" in err
    )


def test_a_key_that_does_not_match_the_certificate(settings: Any, tmp_path: Path) -> None:
    files = _write(make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID), tmp_path / "a")
    other = _write(make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID), tmp_path / "b")
    _use(settings, files, APPLE_PASS_KEY_FILE=str(other["APPLE_PASS_KEY_FILE"]))
    findings = check_credentials()
    assert _errors(findings) == [
        f"The pass key ({other['APPLE_PASS_KEY_FILE']}) does not match the pass certificate "
        f"({files['APPLE_PASS_CERT_FILE']})"
    ]
    assert _run()[0] == 1


def test_an_expired_certificate(settings: Any, tmp_path: Path) -> None:
    start = NOW - dt.timedelta(days=400)
    chain = make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID, not_before=start, valid_days=365)
    _use(settings, _write(chain, tmp_path))
    [error] = _errors(check_credentials())
    expiry = (start + dt.timedelta(days=365)).strftime("%Y-%m-%d %H:%M UTC")
    assert error == f"The pass certificate expired on {expiry}"
    assert _run()[0] == 1


def test_a_certificate_not_yet_valid(settings: Any, tmp_path: Path) -> None:
    chain = make_chain(
        pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID, not_before=NOW + dt.timedelta(days=2)
    )
    _use(settings, _write(chain, tmp_path))
    errors = _errors(check_credentials())
    assert errors[0].startswith("The pass certificate is not valid before ")
    assert errors[1].startswith("The WWDR certificate is not valid before ")


def test_a_certificate_expiring_soon_is_a_warning_not_a_failure(
    settings: Any, tmp_path: Path
) -> None:
    chain = make_chain(
        pass_type_id=PASS_TYPE_ID,
        team_id=TEAM_ID,
        not_before=NOW - dt.timedelta(days=355),
        valid_days=365,
    )
    _use(settings, _write(chain, tmp_path))
    status, out, _err = _run()
    assert status == 0
    assert "WARNING: The pass certificate expires in 9 days" in out
    assert "renew it" in out


def test_a_certificate_from_another_issuer(settings: Any, tmp_path: Path) -> None:
    files = _write(make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID), tmp_path / "a")
    # Same names, other keys: the WWDR-like certificate of another chain did not sign it.
    other = _write(make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID), tmp_path / "b")
    _use(settings, files, APPLE_WWDR_CERT_FILE=str(other["APPLE_WWDR_CERT_FILE"]))
    [error] = _errors(check_credentials())
    assert error.startswith(
        f"The pass certificate was not issued by the WWDR certificate "
        f"({other['APPLE_WWDR_CERT_FILE']})"
    )
    # The root certificate is no issuer of the pass certificate either.
    _use(settings, files, APPLE_WWDR_CERT_FILE=str(files["ROOT_CERT_FILE"]))
    assert "not issued by the WWDR certificate" in _errors(check_credentials())[0]


def test_an_expired_wwdr_certificate(settings: Any, tmp_path: Path) -> None:
    # The intermediate lives ten years longer than the pass certificate (dev_certs).
    start = NOW - dt.timedelta(days=4000)
    chain = make_chain(pass_type_id=PASS_TYPE_ID, team_id=TEAM_ID, not_before=start, valid_days=1)
    _use(settings, _write(chain, tmp_path))
    errors = _errors(check_credentials())
    assert any(e.startswith("The WWDR certificate expired on ") for e in errors)


def test_unreadable_files_and_a_wrong_key_password(settings: Any, apple_chain: AppleChain) -> None:
    _use(settings, apple_chain.files)  # the test chain's key is encrypted: no password given
    assert _errors(check_credentials()) == [
        "The pass key is encrypted: set APPLE_PASS_KEY_PASSWORD"
    ]
    _use(settings, apple_chain.files, APPLE_PASS_KEY_PASSWORD="not the passphrase")
    assert "wrong APPLE_PASS_KEY_PASSWORD" in _errors(check_credentials())[0]
    _use(
        settings,
        apple_chain.files,
        APPLE_PASS_KEY_PASSWORD=KEY_PASSWORD,
        APPLE_PASS_CERT_FILE="/nonexistent/pass.pem",
    )
    [error] = _errors(check_credentials())
    assert error.startswith("The pass certificate (/nonexistent/pass.pem) cannot be read")


def test_the_apns_ca_file_must_be_readable(
    settings: Any, apple_wallet: AppleChain, tmp_path: Path
) -> None:
    settings.APNS_CA_FILE = str(apple_wallet.files["ROOT_CERT_FILE"])
    assert _errors(check_credentials()) == []
    settings.APNS_CA_FILE = str(tmp_path / "missing.pem")
    assert _errors(check_credentials()) == [
        f"APNS_CA_FILE ({tmp_path / 'missing.pem'}) cannot be read: No such file or directory"
    ]
    (tmp_path / "junk.pem").write_text("not a certificate")
    settings.APNS_CA_FILE = str(tmp_path / "junk.pem")
    assert _errors(check_credentials()) == [
        f"APNS_CA_FILE ({tmp_path / 'junk.pem'}) holds no PEM certificate"
    ]


def test_the_command_exits_non_zero_from_a_shell() -> None:
    """The exit status a deployment script sees, with Apple Wallet off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPLE_", "APNS_"))}
    env["DJANGO_SETTINGS_MODULE"] = "loyalty_saas.settings.test"
    result = subprocess.run(
        [sys.executable, "manage.py", "check_apple_wallet"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Apple Wallet is not configured (it is off)" in result.stderr
