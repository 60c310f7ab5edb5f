"""What `make run` prints (seed_demo's summary) about where customer e-mails go."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.wallets.helpers import switch_wallets_on
from wallets.apple.dev_certs import DEV_PASS_TYPE_ID

pytestmark = pytest.mark.django_db


def _summary() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_without_a_mail_server_the_summary_says_where_emails_are_written(
    settings: pytest.FixtureDef, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = settings.BASE_DIR / ".data" / "mail"
    assert "  E-mails:         written to .data/mail/ (EMAIL_URL unset)\n" in _summary()


def test_with_a_mail_server_the_summary_says_nothing_of_files(
    settings: pytest.FixtureDef, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "E-mails:" not in _summary()


def test_the_summary_says_whether_apple_wallet_works_and_with_which_certificates(
    settings: pytest.FixtureDef, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    assert "  Apple Wallet:    off (no APPLE_* settings; see README, Apple Wallet)\n" in _summary()

    switch_wallets_on(settings, google=False)
    assert "  Apple Wallet:    on, pass type pass.example.loyalty\n" in _summary()

    settings.APPLE_PASS_TYPE_ID = DEV_PASS_TYPE_ID
    assert "development certificates: passes download for inspection, no iPhone opens them" in (
        _summary()
    )
