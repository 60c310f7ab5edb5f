"""What `make run` prints (seed_demo's summary) about where customer e-mails go."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

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
