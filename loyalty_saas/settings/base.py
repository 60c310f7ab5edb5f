"""Settings for every environment, switched by environment variables read once here.

``test.py`` and ``production.py`` only adjust this file; see the configuration table in README.md.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = BASE_DIR / ".data"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def env_secret(name: str, default: str | None = None) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker, Kubernetes)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


def _development_secret_key() -> str:
    # Generated once per checkout so sessions survive restarts; never committed (.data/ is ignored).
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env_secret("SECRET_KEY") or _development_secret_key()

# --- Hosts
# The platform lives on PLATFORM_DOMAIN, each merchant on <slug>.PLATFORM_DOMAIN (or a custom
# domain). "localhost" works in browsers without a hosts-file edit: *.localhost is 127.0.0.1.
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default="localhost").lower()
PUBLIC_SCHEME = env.str("PUBLIC_SCHEME", default="http")
PUBLIC_PORT = env.str("PUBLIC_PORT", default="8000")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Slugs a merchant may not take: they would shadow platform host names or schema names.
RESERVED_SLUGS = frozenset(
    env.list(
        "RESERVED_SLUGS",
        default=[
            "www",
            "admin",
            "api",
            "app",
            "public",
            "static",
            "media",
            "mail",
            "smtp",
            "ftp",
            "staff",
            "platform",
            "support",
            "help",
            "status",
            "docs",
            "blog",
            "root",
            "postgres",
            "information_schema",
            "tenant_template",
            "test",
            "dashboard",
            "billing",
            "login",
            "signup",
        ],
    )
)

# --- Applications
SHARED_APPS = [
    # merchants precedes django_tenants so that its migrate_schemas (which also keeps the tenant
    # template schema current) wins over the library's command of the same name.
    "merchants",
    # The back office's theme: before django.contrib.admin (and django_tenants) so that its admin
    # templates are the ones found.
    "unfold",
    # Its date-range filter (the ledger's "from … to …" in the back office).
    "unfold.contrib.filters",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
    # Failed sign-ins of platform staff (public schema).
    "axes",
    "csp",
]
# Auth, sessions and admin live in every merchant schema too: a merchant's users and sessions exist
# only there, so a session cookie from one host means nothing on another.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    # Failed sign-ins of the merchant's users, kept with them in the merchant's schema.
    "axes",
    "common",
    "programs",
    "cards",
    "staff",
    "wallets",
    # Reads the apps above (statistics); no models of its own yet.
    "insights",
    # Lock-screen messages through both wallets: campaigns, automations, their reports.
    "messaging",
]
# Interfaces on top of the domain apps: no models of their own.
INTERFACE_APPS = ["terminal", "demo"]
INSTALLED_APPS = (
    SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS] + INTERFACE_APPS
)

TENANT_MODEL = "merchants.Merchant"
TENANT_DOMAIN_MODEL = "merchants.Domain"
# New merchants are cloned from this migrated, empty schema instead of replaying every migration.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
TENANT_MIGRATION_EXECUTOR = env.str("TENANT_MIGRATION_EXECUTOR", default="multiprocessing")
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("TENANT_MIGRATION_PROCESSES", default=2)
TENANT_MULTIPROCESSING_CHUNKS = 4
GET_EXECUTOR_FUNCTION = "merchants.schemas.get_migration_executor"
PUBLIC_SCHEMA_URLCONF = "loyalty_saas.urls_public"
ROOT_URLCONF = "loyalty_saas.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # First: everything below runs in the schema of the merchant the host name belongs to.
    "merchants.middleware.TenantHostMiddleware",
    "common.middleware.ApiNotFoundAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "common.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.CSPMiddleware",
    "common.middleware.SecurityHeadersMiddleware",
    # Last: turns a locked-out sign-in into the lockout page (AXES_LOCKOUT_CALLABLE).
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "loyalty_saas.wsgi.application"
ASGI_APPLICATION = "loyalty_saas.asgi.application"

# --- Database
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from loyalty_saas.embedded_pg import ensure_running

    DATABASES = {"default": ensure_running(DATA_DIR)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
# Lock waits fail fast instead of piling up behind a slow transaction.
DATABASES["default"]["OPTIONS"].setdefault(
    "options", f"-c lock_timeout={env.int('DATABASE_LOCK_TIMEOUT_MS', default=5000)}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: keys carry the merchant's schema so one merchant never reads another's entries.
# Throttle counters live here, so every worker must see the same cache: without CACHE_URL, files
# under .data/cache/ (shared by every process of this machine, no service needed); production
# requires a shared server (production.py), e.g. redis://.
DEVELOPMENT_CACHE_URL = f"filecache://{DATA_DIR / 'cache'}"
CACHES = {"default": env.cache("CACHE_URL", default=DEVELOPMENT_CACHE_URL)}
CACHES["default"]["KEY_FUNCTION"] = "django_tenants.cache.make_key"
CACHES["default"]["REVERSE_KEY_FUNCTION"] = "django_tenants.cache.reverse_key"

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Passwords
# django-axes first: it refuses a locked-out sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Languages
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("fr", _("French")),
    ("de", _("German")),
    ("lb", _("Luxembourgish")),
]
# locale_thirdparty: our Luxembourgish for Django's and DRF's messages, out of makemessages' reach.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_thirdparty", BASE_DIR / "locale_unfold"]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Luxembourg")
USE_TZ = True

# --- Static and media files
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads (programme logos) go to S3-compatible object storage (django-storages) when a bucket is
# named; its objects must be publicly readable, as logos show on public pages. The credentials
# are boto3's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an instance role), never read
# here. Without a bucket, files stay under MEDIA_ROOT and Django serves them (common/media.py).
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "querystring_auth": False,  # plain public URLs: they go into pages and passes
            "file_overwrite": False,
        },
    }
SERVE_MEDIA = not AWS_STORAGE_BUCKET_NAME

# --- API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    # Closed by default: every API view needs an API key with the scope for its method. A public
    # endpoint opts out visibly (``authentication_classes = []``, ``permission_classes = []``).
    "DEFAULT_AUTHENTICATION_CLASSES": ["staff.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["staff.api.authentication.HasApiKeyScope"],
    # Bounded: no body, however nested, ends in a 500 (common/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "common.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {
        # Per client IP (common/throttling.py). Enrollment: the API and the join form together.
        "enroll": env.str("ENROLL_THROTTLE_RATE", default="60/min"),
        # Merchant sign-up on the platform host: each one creates a schema.
        "signup": env.str("SIGNUP_THROTTLE_RATE", default="5/hour"),
        # "E-mail me my sign-in links" on the platform host: each one may send an e-mail.
        "sign_in_links": env.str("SIGN_IN_LINKS_THROTTLE_RATE", default="10/hour"),
        # Apple Wallet's calls to the PassKit web service; many iPhones may share one address
        # (a carrier's NAT), each calling a few times per change. Device logs: a trickle.
        "apple_devices": env.str("APPLE_DEVICES_THROTTLE_RATE", default="600/min"),
        "apple_device_logs": env.str("APPLE_DEVICE_LOGS_THROTTLE_RATE", default="60/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty SaaS API",
    "DESCRIPTION": "Stamp and points cards in Apple Wallet and Google Wallet.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LoyaltyTypeEnum": "programs.models.LoyaltyType",
        "TransactionTypeEnum": "cards.models.TransactionType",
        "TransactionSourceEnum": "cards.models.TransactionSource",
        # A customer's language, read and written (customers, cards): one enum.
        "LocaleEnum": LANGUAGES,
    },
}

# --- Anti-fraud
STAFF_PIN_MAX_ATTEMPTS = env.int("STAFF_PIN_MAX_ATTEMPTS", default=5)
STAFF_PIN_LOCKOUT_MINUTES = env.int("STAFF_PIN_LOCKOUT_MINUTES", default=30)
# Password sign-in (both admin sites and the staff terminal) locks after this many failures, per
# account (from any address) and per address (on any account), for LOGIN_LOCKOUT_MINUTES. The
# counters live in the schema of the site signed in to. Unlock: delete the attempt in the admin
# ("Access attempts") or `manage.py axes_reset_username` (README).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "common.request_meta.client_ip"
AXES_LOCKOUT_CALLABLE = "common.lockout.lockout_response"
# Registered on our own admin sites instead (merchants/admin.py, common/admin.py).
AXES_ENABLE_ADMIN = False
# Proxies whose X-Forwarded-For we believe (CIDRs); the audit IP is the first untrusted hop.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# django-tenants issues SET search_path only when the schema changes (it forgets the setting on
# rollback), instead of before every query.
TENANT_LIMIT_SET_CALLS = True
# In-process caches of hot, rarely changing lookups (see common/ttl_cache.py): a
# change made on one server reaches the others within this many seconds. 0 turns them off.
TENANT_HOST_CACHE_SECONDS = env.float("TENANT_HOST_CACHE_SECONDS", default=30)
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=30)

# --- Celery
# Without a broker, tasks run in-process right after they are queued (development default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Results are only read by operational checks (celery_probe); kept in Redis when it is the broker.
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Synced into django-celery-beat's tables at beat start; editable in the platform admin.
CELERY_BEAT_SCHEDULE = {
    "expire-points": {
        "task": "cards.tasks.expire_points_everywhere_task",
        "schedule": crontab(hour=3, minute=30),
    },
    "purge-idempotency-records": {
        "task": "merchants.tasks.purge_idempotency_records_everywhere_task",
        "schedule": crontab(hour=4, minute=0),
    },
    # Every merchant's figures into the platform's tables (insights/platform.py): catches what
    # no announcement says (the 30-day windows moving on) and any roll-up a crash lost.
    # Scheduled campaigns that are due, and messages whose quiet hours ended (messaging/tasks.py).
    "sweep-messages": {
        "task": "messaging.tasks.sweep_messages_everywhere_task",
        "schedule": crontab(minute="*/5"),
    },
    # The daily automations (messaging/automations.py): deliveries due inside a store's quiet
    # hours wait for them to end, so the hour only needs to fall after midnight in Europe.
    "daily-message-automations": {
        "task": "messaging.tasks.daily_automations_everywhere_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "rollup-platform-stats": {
        "task": "insights.tasks.rollup_platform_task",
        "schedule": crontab(minute="*/15"),
    },
}
# Changes to one merchant's cards and programmes within this many seconds become one roll-up of
# its figures into the platform's (insights/receivers.py).
PLATFORM_ROLLUP_COALESCE_SECONDS = env.float("PLATFORM_ROLLUP_COALESCE_SECONDS", default=30)
# How long a retry with the same Idempotency-Key is answered from the first response.
IDEMPOTENCY_KEY_RETENTION_DAYS = env.int("IDEMPOTENCY_KEY_RETENTION_DAYS", default=30)

# --- E-mail (customer messages: the card-page link). EMAIL_URL is django-environ's form, e.g.
# smtp+tls://user:password@smtp.example.com:587. Unset, development writes each message as a file
# under .data/mail/ instead of sending it (`make run` says so).
# It holds the SMTP password, so it may come from EMAIL_URL_FILE too.
if _email_url := env_secret("EMAIL_URL") or "":
    _email = environ.Env.email_url_config(_email_url)
    EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
    globals().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
# The sender's address; messages carry the merchant's name as its display name.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"noreply@{PLATFORM_DOMAIN}")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# --- Wallets (SPEC §5, §8): a wallet is on once all of its required settings are given
# (wallets/config.py); until then cards carry no link to it.
APPLE_PASS_TYPE_ID = env.str("APPLE_PASS_TYPE_ID", default="")
APPLE_TEAM_ID = env.str("APPLE_TEAM_ID", default="")
# PEM files: the Pass Type ID certificate, its private key and Apple's WWDR intermediate.
APPLE_PASS_CERT_FILE = env.str("APPLE_PASS_CERT_FILE", default="")
APPLE_PASS_KEY_FILE = env.str("APPLE_PASS_KEY_FILE", default="")
APPLE_PASS_KEY_PASSWORD = env_secret("APPLE_PASS_KEY_PASSWORD") or ""
APPLE_WWDR_CERT_FILE = env.str("APPLE_WWDR_CERT_FILE", default="")
APNS_URL = env.str("APNS_URL", default="https://api.push.apple.com")
APNS_CA_FILE = env.str("APNS_CA_FILE", default="")
# Changes to one card within this many seconds become one push per device (wallets/receivers.py).
APPLE_PUSH_COALESCE_SECONDS = env.float("APPLE_PUSH_COALESCE_SECONDS", default=0.5)
# How long a push waits for APNs (connect, send, answer) before it is tried again.
APNS_TIMEOUT_SECONDS = env.float("APNS_TIMEOUT_SECONDS", default=5)
GOOGLE_WALLET_ISSUER_ID = env.str("GOOGLE_WALLET_ISSUER_ID", default="")
GOOGLE_WALLET_CREDENTIALS_FILE = env.str("GOOGLE_WALLET_CREDENTIALS_FILE", default="")
GOOGLE_WALLET_API_URL = env.str(
    "GOOGLE_WALLET_API_URL", default="https://walletobjects.googleapis.com/"
)
# An erased customer's Apple devices keep their registrations this long, so that they fetch the
# voided pass the deactivation pushes; then the registrations (personal data) are deleted.
WALLET_ERASURE_GRACE_SECONDS = env.float("WALLET_ERASURE_GRACE_SECONDS", default=3600)
# Shared by every worker (a token bucket in the broker's Redis); 0 means no limit (benchmarks).
GOOGLE_WALLET_MAX_RPS = env.float("GOOGLE_WALLET_MAX_RPS", default=15)
# Changes to one card within this many seconds become one patch (wallets/receivers.py).
GOOGLE_WALLET_COALESCE_SECONDS = env.float("GOOGLE_WALLET_COALESCE_SECONDS", default=0.5)
# How long one request to Google may take before it is tried again.
GOOGLE_WALLET_TIMEOUT_SECONDS = env.float("GOOGLE_WALLET_TIMEOUT_SECONDS", default=10)

# --- Security defaults that hold everywhere
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The back office's look (django-unfold): the programme's blue, our sidebar, no CDN (the theme's
# fonts, icons and scripts are its own static files). The platform admin has the same look and
# a sidebar of its own.
_BRAND_BLUE = {
    "50": "oklch(97% .014 254.604)",
    "100": "oklch(93.2% .032 255.585)",
    "200": "oklch(88.2% .059 254.128)",
    "300": "oklch(80.9% .105 251.813)",
    "400": "oklch(70.7% .165 254.624)",
    "500": "oklch(62.3% .214 259.815)",
    "600": "oklch(54.6% .245 262.881)",
    "700": "oklch(48.8% .243 264.376)",
    "800": "oklch(42.4% .199 265.638)",
    "900": "oklch(37.9% .146 265.522)",
    "950": "oklch(28.2% .091 267.935)",
}
UNFOLD = {
    "SITE_TITLE": _("Loyalty back office"),
    "SITE_HEADER": _("Loyalty back office"),
    "SITE_SYMBOL": "loyalty",
    "SITE_URL": "/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "COLORS": {"primary": _BRAND_BLUE},
    "DASHBOARD_CALLBACK": "insights.dashboard.dashboard_callback",
    "STYLES": ["common.navigation.backoffice_stylesheet"],
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "common.navigation.backoffice_navigation",
    },
}
UNFOLD_PLATFORM = {
    **UNFOLD,
    "SITE_TITLE": _("Loyalty platform"),
    "SITE_HEADER": _("Loyalty platform"),
    "DASHBOARD_CALLBACK": "insights.dashboard.platform_dashboard_callback",
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "common.navigation.platform_navigation",
    },
}

# Content-Security-Policy (django-csp 4): scripts and style sheets come from our own static files
# only, never inline. Style attributes stay allowed (style-src-attr) because a programme's colour
# reaches its card page, poster and terminal that way; a <style> element needs the request's nonce
# (the Swagger UI page, the store poster). Images may be https: (a programme's logo URL, logos in
# object storage) and data: (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "https:", "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The back office and the platform admin (django-unfold) differ in two directives, under their
# URL prefix only (common.middleware.CSPMiddleware): unfold's Alpine.js evaluates its x-data
# attributes with Function() ('unsafe-eval'), and its theme colours are one inline <style>
# element. Scripts still come from our own static files only; these pages are behind a staff
# sign-in.
BACKOFFICE_PATH_PREFIX = "/admin/"
BACKOFFICE_CSP_DIRECTIVES = {
    "script-src": [SELF, UNSAFE_EVAL],
    "style-src": [SELF, UNSAFE_INLINE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Card-page tokens, pass serials, query values and e-mails never reach the log (runserver's
    # request lines, "Not Found: /c/…" warnings, anything else): common/log_redaction.py.
    "filters": {"redact": {"()": "common.log_redaction.RedactFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pgserver": {"level": "WARNING"},
        # Django's own defaults give these loggers handlers of their own, without the filter:
        # replaced, so their records go through the redacting console handler only.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
