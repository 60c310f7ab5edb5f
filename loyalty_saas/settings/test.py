"""Test settings: the base settings with fast password hashing and in-process tasks."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# Argon2 is kept for production; tests hash many passwords and only need them to round-trip.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Test hosts: the platform and merchants live under "localhost" like in development.
ALLOWED_HOSTS = [".localhost", "localhost", "testserver"]
# Tasks run in-process unless a test starts a real worker against CELERY_BROKER_URL itself.
CELERY_TASK_ALWAYS_EAGER = True
TEST_CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Unless CACHE_URL says otherwise, each test process has its own cache: tests clear it between
# tests (conftest), which must not empty the development cache or another worker's.
if not env.str("CACHE_URL", default=""):
    CACHES["default"]["BACKEND"] = "django.core.cache.backends.locmem.LocMemCache"  # noqa: F405
    CACHES["default"]["LOCATION"] = ""  # noqa: F405
# Messages land in django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".data" / "test-media"  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Static files straight from the source folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Apple Wallet stays off whatever the shell or .env says (a developer's real or `make run`
# credentials): a test that needs it switches it on (tests/wallets/conftest.py).
APPLE_PASS_TYPE_ID = APPLE_TEAM_ID = APPLE_PASS_KEY_PASSWORD = ""
APPLE_PASS_CERT_FILE = APPLE_PASS_KEY_FILE = APPLE_WWDR_CERT_FILE = ""
# Google Wallet likewise (tests/wallets/conftest.py switches it on against a stand-in).
GOOGLE_WALLET_ISSUER_ID = GOOGLE_WALLET_CREDENTIALS_FILE = ""
# The platform's roll-up follows changes quickly, so that its background threads end with the
# test that caused them (tests/insights/test_platform_live.py waits for them).
PLATFORM_ROLLUP_COALESCE_SECONDS = 0.2
