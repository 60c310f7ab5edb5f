"""Production: the base settings, hardened. Everything else still comes from the environment."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_secret

DEBUG = False
SECRET_KEY = env_secret("SECRET_KEY") or ""
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set to 50+ random characters"
    )

# Throttle counters (and lockouts) must be shared by every worker of every server: a cache local
# to one process or one machine would multiply each budget by their number.
_LOCAL_CACHES = ("LocMemCache", "FileBasedCache", "DummyCache")
if CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] in _LOCAL_CACHES:  # noqa: F405
    raise ImproperlyConfigured(
        "CACHE_URL must name a cache shared by every server, e.g. redis://redis:6379/1"
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health checks come from the load balancer over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Uploads keep base's choice (the bucket when one is named, else MEDIA_ROOT).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)  # noqa: F405
