"""Settings come from the environment; production hardens them and passes check --deploy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "loyalty_saas.settings.production",
    # Never connected to by these commands; it only has to be a real-looking value.
    "DATABASE_URL": "postgres://loyalty:secret@db.internal:5432/loyalty",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "CACHE_URL": "redis://redis.internal:6379/1",
    "PLATFORM_DOMAIN": "loyalty.example.com",
    "PUBLIC_SCHEME": "https",
    "PUBLIC_PORT": "443",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env={**clean, **env},
        timeout=120,
    )


def test_production_passes_check_deploy_without_warnings() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(64)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", env=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize("cache_url", [None, "locmemcache://", "filecache:///tmp/cache"])
def test_production_refuses_a_cache_its_servers_do_not_share(cache_url: str | None) -> None:
    # Throttle counters live in the cache: one per process or per machine multiplies each budget.
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(64)}
    env.pop("CACHE_URL")
    if cache_url:
        env["CACHE_URL"] = cache_url
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "CACHE_URL must name a cache shared by every server" in result.stderr


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(64)
    (tmp_path / "secret_key").write_text(key + "\n")
    result = _manage(
        "shell",
        "-c",
        f"from django.conf import settings; print(settings.SECRET_KEY == {key!r}, settings.DEBUG)",
        env={**PRODUCTION_ENV, "SECRET_KEY_FILE": str(tmp_path / "secret_key")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True False"


@pytest.mark.parametrize("variable", ["DATABASE_URL", "SECRET_KEY"])
def test_secrets_never_appear_in_check_output(variable: str) -> None:
    secret = "s3cr3t-" + secrets.token_hex(24)
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(64)}
    if variable == "DATABASE_URL":
        env["DATABASE_URL"] = f"postgres://loyalty:{secret}@db.internal:5432/loyalty"
    else:
        env["SECRET_KEY"] = secret + secrets.token_urlsafe(40)
    result = _manage("check", "--deploy", env=env)
    assert secret not in result.stdout + result.stderr


def test_uploads_go_to_the_bucket_when_one_is_named() -> None:
    # Logo URLs then point at the bucket (plain, unsigned: they go into public pages) and Django
    # no longer serves /media/. Nothing is sent: building a URL needs no network.
    script = (
        "from django.core.files.storage import default_storage\n"
        "from django.urls import NoReverseMatch, reverse\n"
        "print(default_storage.url('alpha/logos/program-1-abc.png'))\n"
        "try:\n"
        "    reverse('media', args=['alpha/logos/x.png'], urlconf='loyalty_saas.urls_tenant')\n"
        "    print('media served by Django')\n"
        "except NoReverseMatch:\n"
        "    print('no media route')\n"
    )
    env = {
        **PRODUCTION_ENV,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AWS_STORAGE_BUCKET_NAME": "logos",
        "AWS_S3_ENDPOINT_URL": "https://s3.storage.example",
        "AWS_S3_REGION_NAME": "fr-par",
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    }
    result = _manage("shell", "-c", script, env=env)

    assert result.returncode == 0, result.stderr
    url, route = result.stdout.strip().splitlines()[-2:]
    assert url == "https://s3.storage.example/logos/alpha/logos/program-1-abc.png"
    assert route == "no media route"
