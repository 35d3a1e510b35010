"""Settings from the environment, with embedded defaults (ARCHITECTURE.md, Embedded default).

With no environment set: SQLite, in-memory channel layer, local file storage, sandbox payments.
With DATABASE_URL / REDIS_URL / AWS_S3_ENDPOINT_URL / STRIPE_SECRET_KEY set: the real services.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


# "demo" (embedded default, clock can be advanced), "test" (same), "production" (clock is real time).
AUCTION_MODE = env("AUCTION_MODE", "demo")
CLOCK_ADVANCE_ALLOWED = AUCTION_MODE in {"demo", "test"}

SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-embedded-default-key-change-me-in-production-0123456789")
DEBUG = env_bool("DJANGO_DEBUG", AUCTION_MODE == "demo")
ALLOWED_HOSTS = [h for h in env("DJANGO_ALLOWED_HOSTS", "*").split(",") if h]
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
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc from our own static files (no CDN)
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
    "settlement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "auction_site.middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "0")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub layer: one PUBLISH per group send (STACK-NOTES.md).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNEL_PREFIX", "auction")},
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
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", "whsec_embedded_default")
PAYMENT_CURRENCY = "cny"

# Report-back to the enforcement case system (signed webhook through an outbox).
CASE_SYSTEM_WEBHOOK_URL = env("CASE_SYSTEM_WEBHOOK_URL")
CASE_SYSTEM_WEBHOOK_SECRET = env("CASE_SYSTEM_WEBHOOK_SECRET", "case-system-embedded-secret")

# Embedded default: e-mails are written to var/mail/ (one file per message) instead of being sent.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
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
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "司法拍卖与询价评估平台 API / Judicial auction and valuation API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
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
