"""Settings from the environment, with embedded defaults (ARCHITECTURE.md, Embedded default).

With no environment set: SQLite, in-memory channel layer, local file storage, sandbox payments.
With DATABASE_URL / REDIS_URL / AWS_S3_ENDPOINT_URL / STRIPE_SECRET_KEY set: the real services.
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def env_set(name: str) -> str:
    """The variable's value, "" when it is unset or blank (docker-compose passes unset ones as "")."""
    return os.environ.get(name, "").strip()


# "demo" (embedded default, clock can be advanced), "test" (same), "production" (clock is real time).
AUCTION_MODE = env("AUCTION_MODE", "demo")
if AUCTION_MODE not in {"demo", "test", "production"}:
    raise ImproperlyConfigured(f"AUCTION_MODE={AUCTION_MODE!r}: it is demo, test or production")
CLOCK_ADVANCE_ALLOWED = AUCTION_MODE in {"demo", "test"}

# Production never runs on the embedded defaults below: they are public (they are in this repository).
PRODUCTION_REQUIRED = {
    "DJANGO_SECRET_KEY": "signs sessions, CSRF tokens and signed media links",
    "DJANGO_ALLOWED_HOSTS": "the host names the site answers to, comma-separated",
    "STRIPE_WEBHOOK_SECRET": "proves a payment webhook comes from Stripe (when PAYMENT_PROVIDER is stripe)",
    "CASE_SYSTEM_WEBHOOK_SECRET": "signs the reports to the enforcement case system and checks its requests",
}
if AUCTION_MODE == "production":
    _uses_stripe = env("PAYMENT_PROVIDER", "stripe" if env_set("STRIPE_SECRET_KEY") else "sandbox") == "stripe"
    _missing = [name for name in PRODUCTION_REQUIRED
                if not env_set(name) and (name != "STRIPE_WEBHOOK_SECRET" or _uses_stripe)]
    if _missing:
        raise ImproperlyConfigured(
            "AUCTION_MODE=production refuses to start without " + ", ".join(_missing) + ":\n"
            + "\n".join(f"  {name}: {PRODUCTION_REQUIRED[name]}" for name in _missing)
            + "\nThe embedded defaults are public; set each of these in the environment (README, Production).")

SECRET_KEY = env_set("DJANGO_SECRET_KEY") or "insecure-embedded-default-key-change-me-in-production-0123456789"
DEBUG = env_bool("DJANGO_DEBUG", AUCTION_MODE == "demo")
ALLOWED_HOSTS = [h.strip() for h in (env_set("DJANGO_ALLOWED_HOSTS") or "*").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in env("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI from our own static files (no CDN)
    "django_filters",
    "channels",
    "storages",
    "auction_site",
    "accounts",
    "lots",
    "valuation",
    "avm",
    "bidding",
    "escrow",
    "transparency",
    "settlement",
    "notifications",
    "following",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "auction_site.middleware.ApiErrorShapeMiddleware",
    "auction_site.middleware.BodyGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "auction_site.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "following.middleware.CountLotViews",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auction_site.errors.ApiErrorMiddleware",
]

ROOT_URLCONF = "auction_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "auction_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "auction_site.context.site_context",
            ],
        },
    },
]
WSGI_APPLICATION = None
ASGI_APPLICATION = "auction_site.asgi.application"


DB_POOL_DEFAULT_MAX_SIZE = 10  # connections per process (each Daphne, the clock)


def database(url: str, conn_max_age: int, pool_max_size: int, pool_timeout: float) -> dict:
    """The default database. On PostgreSQL, connections are reused only through psycopg's pool
    (Django's OPTIONS["pool"]): under Daphne every HTTP request runs in a thread of its own, so a
    persistent connection (CONN_MAX_AGE) is one per request that nothing ever reuses, left open until
    the server refuses new clients. DB_CONN_MAX_AGE there is the longest a pooled connection lives."""
    db = dj_database_url.parse(url)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded mode: a write-ahead log (one sync per commit instead of the rollback journal's
        # several, and the clock process reads while Daphne writes); FULL keeps every commit durable.
        db.setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Statements sent with psycopg's prepare=True (the bid engine's: bidding.store) are prepared
        # once per connection; Django's default (None) would turn that off and parse and plan every
        # one of them every time. No other statement is ever prepared (the threshold is never reached).
        db.setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
        # ... and planned once: their parameters are arrays and ids, whose best plan does not depend on
        # the values (a custom plan each time costs more than running them). Only statements with
        # parameters bound by the server are concerned: Django's own are bound by the client.
        db["OPTIONS"]["options"] = f"{db['OPTIONS'].get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
    if db["ENGINE"] != "django.db.backends.postgresql" or not (conn_max_age or pool_max_size):
        db["CONN_MAX_AGE"] = conn_max_age
        return db
    size = pool_max_size or DB_POOL_DEFAULT_MAX_SIZE
    db["CONN_MAX_AGE"] = 0  # a connection goes back to the pool at the end of each request
    db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, size), "max_size": size, "timeout": pool_timeout,
        "max_lifetime": float(conn_max_age or 3600), "max_idle": 300.0,
    }
    return db


DATABASES = {
    "default": database(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=int(env_set("DB_CONN_MAX_AGE") or 0),
        pool_max_size=int(env_set("DB_POOL_MAX_SIZE") or 0),
        pool_timeout=float(env_set("DB_POOL_TIMEOUT") or 10),
    )
}
# Reads that may lag (catalogue, statistics, public results) go to a streaming replica when one is set
# (auction_site.replica). Its test database is the default one: tests see one database.
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(env("DATABASE_REPLICA_URL"), conn_max_age=int(env("DB_CONN_MAX_AGE", "0")))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["auction_site.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REDIS_URL = env("REDIS_URL")
# The prefix of every Redis key and channel of this site (test runs and servers sharing one Redis use their own).
REDIS_KEY_PREFIX = env("CHANNEL_PREFIX", "auction")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub layer: one PUBLISH per group send (STACK-NOTES.md).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": REDIS_KEY_PREFIX},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first, English second; UI strings are written in Chinese and translated to English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "auction_site" / "locale"]
TIME_ZONE = "Asia/Shanghai"  # shown in Asia/Shanghai, stored in UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/pannellum", NODE_MODULES / "pannellum" / "build"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Object storage (S3 protocol) when configured; local files otherwise.
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL")
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", "auction-media")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", "us-east-1")  # set together with endpoint_url
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", "testing" if AWS_S3_ENDPOINT_URL else "")
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", "testing" if AWS_S3_ENDPOINT_URL else "")
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True  # private bucket, signed GET URLs
AWS_QUERYSTRING_EXPIRE = 3600
MEDIA_USES_S3 = bool(AWS_S3_ENDPOINT_URL) or env_bool("MEDIA_USES_S3")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "endpoint_url": AWS_S3_ENDPOINT_URL or None,
                "region_name": AWS_S3_REGION_NAME,
                "access_key": AWS_ACCESS_KEY_ID,
                "secret_key": AWS_SECRET_ACCESS_KEY,
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": AWS_QUERYSTRING_EXPIRE,
                "file_overwrite": False,
            },
        }
        if MEDIA_USES_S3
        else {"BACKEND": "auction_site.storage.SignedFileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_MAX_BYTES = {
    "photo": 20 * 1024 * 1024,
    "panorama": 40 * 1024 * 1024,
    "video": 500 * 1024 * 1024,
    "document": 50 * 1024 * 1024,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # JSON bodies over 2 MB are refused

# Payments: "sandbox" (embedded) or "stripe" (real client; api_base may point at a local server).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", "stripe" if env("STRIPE_SECRET_KEY") else "sandbox")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", "pk_test_embedded")
STRIPE_API_BASE = env("STRIPE_API_BASE")
STRIPE_WEBHOOK_SECRET = env_set("STRIPE_WEBHOOK_SECRET") or "whsec_embedded_default"
PAYMENT_CURRENCY = "cny"
# The bank path (escrow/bank): the bank holding the case accounts, how their numbers are made, whether
# it offers virtual sub-accounts, and the shared secret of its signed host-to-host statement pushes.
BANK_NAME = env("BANK_NAME", "中国工商银行苏州分行（沙箱）")
BANK_ACCOUNT_PREFIX = env("BANK_ACCOUNT_PREFIX", "110201")
BANK_VIRTUAL_ACCOUNTS = env_bool("BANK_VIRTUAL_ACCOUNTS", True)
BANK_PUSH_SECRET = env("BANK_PUSH_SECRET", "bank_push_embedded_default")
# The embedded sandbox bank (test/demo mode only): simulated transfers and executed payment files as camt.053.
BANK_SANDBOX = CLOCK_ADVANCE_ALLOWED and env_bool("BANK_SANDBOX", True)

# Report-back to the enforcement case system (signed webhook through an outbox).
CASE_SYSTEM_WEBHOOK_URL = env("CASE_SYSTEM_WEBHOOK_URL")
CASE_SYSTEM_WEBHOOK_SECRET = env_set("CASE_SYSTEM_WEBHOOK_SECRET") or "case-system-embedded-secret"
# Case intake (lots/intake.py): each court's case system signs with its own secret. JSON object
# {"<court code>": "<secret>"}; a court without a secret cannot send cases.
CASE_INTAKE_SECRETS: dict[str, str] = json.loads(env_set("CASE_INTAKE_SECRETS") or "{}")

# Embedded default: e-mails are written to var/mail/ (one file per message) instead of being sent.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
# A mail provider through django-anymail, only when its key is set (ANYMAIL_PROVIDER: "mailgun", "sendgrid",
# "postmark", "amazon_ses", ...; ANYMAIL_API_KEY its key). Otherwise the backend above (tests: locmem).
ANYMAIL_PROVIDER = env("ANYMAIL_PROVIDER", "")
if env_set("ANYMAIL_API_KEY") and ANYMAIL_PROVIDER:
    INSTALLED_APPS.append("anymail")
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_PROVIDER}.EmailBackend"
    ANYMAIL = {f"{ANYMAIL_PROVIDER.upper()}_API_KEY": env_set("ANYMAIL_API_KEY")}
# Text messages (notifications.backends): the class that sends them; the console one prints them.
SMS_BACKEND = env("SMS_BACKEND", "notifications.backends.ConsoleSmsBackend")
# The public base URL put before links in e-mails and text messages ("" leaves them out).
SITE_URL = env("SITE_URL", "")
# Transparency: the Ed25519 key that signs round transcripts and audit anchors (base64 32-byte seed;
# outside production one is generated on first use into TRANSPARENCY_KEY_FILE), and where anchors go.
TRANSPARENCY_SIGNING_KEY = env("TRANSPARENCY_SIGNING_KEY")
TRANSPARENCY_KEY_FILE = env("TRANSPARENCY_KEY_FILE", str(BASE_DIR / "var" / "signing_key.b64"))
TRANSPARENCY_ANCHOR_BUCKET = env("TRANSPARENCY_ANCHOR_BUCKET", f"{AWS_STORAGE_BUCKET_NAME}-anchors")
TRANSPARENCY_ANCHOR_DIR = env("TRANSPARENCY_ANCHOR_DIR", str(BASE_DIR / "var" / "anchors"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@auction.court.example")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "auction_site.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PARSER_CLASSES": [
        "auction_site.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "司法拍卖与询价评估平台 API / Judicial auction and valuation API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Every call documents its 4xx answers, all in the one error shape (auction_site/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "auction_site.schema.document_errors"],
    # /api/docs/ (Swagger UI) loads its JavaScript and CSS from the site itself, so it works offline.
    # (ReDoc is not offered: its bundle fetches a logo and web fonts from outside.)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "daphne": {"level": "WARNING"}},
}
