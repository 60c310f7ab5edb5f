"""E-mail comes from EMAIL_URL; without it, development writes messages under .data/mail/."""

from __future__ import annotations

import secrets

from tests.test_settings import PRODUCTION_ENV, ROOT, _manage

SHOW = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, getattr(s, 'EMAIL_FILE_PATH', ''), getattr(s, 'EMAIL_HOST', ''), "
    "getattr(s, 'EMAIL_PORT', ''), getattr(s, 'EMAIL_USE_TLS', ''), s.DEFAULT_FROM_EMAIL)"
)


def test_without_email_url_messages_are_written_under_data_mail() -> None:
    result = _manage(
        "shell",
        "-c",
        SHOW,
        env={
            "DJANGO_SETTINGS_MODULE": "loyalty_saas.settings.base",
            # Never connected to; set so that the embedded PostgreSQL is not started.
            "DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"],
        },
    )
    assert result.returncode == 0, result.stderr
    backend, folder, *_rest, sender = result.stdout.strip().splitlines()[-1].split(" ")
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert folder == str(ROOT / ".data" / "mail")
    assert sender == "noreply@localhost"


def test_email_url_configures_the_mail_server() -> None:
    env = {
        **PRODUCTION_ENV,
        "SECRET_KEY": secrets.token_urlsafe(64),
        "EMAIL_URL": "smtp+tls://mailer:pa55@smtp.example.com:587",
        "DEFAULT_FROM_EMAIL": "cards@loyalty.example.com",
    }
    result = _manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split(" ") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "",
        "smtp.example.com",
        "587",
        "True",
        "cards@loyalty.example.com",
    ]
