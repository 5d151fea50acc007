"""Lianxin settings: everything from the environment, SQLite by default."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIANXIN_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """A setting from the environment, or from the file named by NAME_FILE (for secrets)."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return default


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def _secret_from_var(filename: str, make) -> str:
    """Development fallback: a secret kept in var/, outside the database, made on first use."""
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


DEBUG = env_bool("LIANXIN_DEBUG", False)
# Development keys: `make run`, `make test` and `make bench` set LIANXIN_DEV_KEYS=1, which makes
# each missing key on first use into a file in var/. Anywhere else a missing key stays missing,
# and the app refuses to start (lianxin/core/keys.py): a production box never seals new rows
# under a key made up on the spot.
DEV_KEYS = env_bool("LIANXIN_DEV_KEYS", False)


def _key(name: str, filename: str, make) -> str:
    from lianxin.lib.crypto import load_key_from_env

    key = load_key_from_env(name)
    if key:
        return key
    return _secret_from_var(filename, make) if DEV_KEYS else ""


def _random_key() -> str:
    from lianxin.lib.crypto import generate_key

    return generate_key()


SECRET_KEY = _key(
    "LIANXIN_SECRET_KEY", "secret_key", lambda: __import__("secrets").token_urlsafe(50)
)
# The keys never live in the database (docs/security.md, "Keys"): the field key seals ID numbers
# and phones, the old field keys of the keyring are read while `lianxin rotate-field-key` runs,
# the lookup key makes the search hashes, the audit key chains the audit log.
FIELD_KEY = _key("LIANXIN_FIELD_KEY", "field.key", _random_key)
FIELD_KEYS_OLD = [k.strip() for k in env("LIANXIN_FIELD_KEYS_OLD").split(",") if k.strip()]
LOOKUP_KEY = _key("LIANXIN_LOOKUP_KEY", "lookup.key", _random_key)
AUDIT_KEY = _key("LIANXIN_AUDIT_KEY", "audit.key", _random_key)
ALLOWED_HOSTS = [
    h for h in env("LIANXIN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in env("LIANXIN_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # django-ninja as an app: its Swagger page then loads its assets from our static files
    # (whitenoise), not from a CDN a government intranet cannot reach.
    "ninja",
    "axes",
    "lianxin.core",
    "lianxin.geo",
    "lianxin.org",
    "lianxin.people",
    "lianxin.pairing",
    "lianxin.accounts",
    "lianxin.audit",
    "lianxin.transfer",
    "lianxin.cards",
    "lianxin.visits",
    "lianxin.notices",
    "lianxin.stories",
    "lianxin.demo",
    "lianxin.jobs",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lianxin.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lianxin.core.middleware.SensitiveQueryMiddleware",
    "lianxin.core.middleware.InputGuardMiddleware",
    "lianxin.core.context.RequestSourceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "lianxin.accounts.middleware.AccountPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]
if env_bool("LIANXIN_QUERY_COUNT_HEADER", False):
    # bench/bench_pages.py reads each answer's query count; outermost, so it counts them all.
    MIDDLEWARE.insert(0, "lianxin.core.middleware.QueryCountMiddleware")

# bench/bench_visits.py's reference: a bare view inserting a visit row (lianxin/visits/
# bench_views.py) at /bench/bare-visit. For the benchmark only; production never sets it.
LIANXIN_BENCH_VIEWS = env_bool("LIANXIN_BENCH_VIEWS", False)

ROOT_URLCONF = "lianxin.urls"
WSGI_APPLICATION = "lianxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_db_url = env("DATABASE_URL")
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles a query whose estimated cost is high (a county's coverage
        # tally over 231,000 households): some 200 ms of compiling for a query that runs in
        # 80 ms. Our queries are short; JIT only ever added time (bench/README.md). This
        # overrides the server's own setting; an `options` in DATABASE_URL naming jit is kept.
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        if "jit" not in str(_options.get("options", "")):
            _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("LIANXIN_SQLITE_PATH", str(VAR_DIR / "lianxin.sqlite3")),
            "OPTIONS": {
                # Writers queue instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # secure_delete: deleted rows and dropped tables are overwritten with zeros,
                # not left readable in free pages of the file (people's data, issue 6).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON; "
                    "PRAGMA secure_delete=ON;"
                ),
            },
            # A file, not :memory:, so tests can read the bytes on disk (encryption test).
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Passwords as 等保 level 3 asks: length, three of four character classes, not the username,
# not one of the last N, not a common password; expired after N days (0: never).
LIANXIN_PASSWORD_MIN_LENGTH = env_int("LIANXIN_PASSWORD_MIN_LENGTH", 10)
LIANXIN_PASSWORD_HISTORY = env_int("LIANXIN_PASSWORD_HISTORY", 5)
LIANXIN_PASSWORD_MAX_AGE_DAYS = env_int("LIANXIN_PASSWORD_MAX_AGE_DAYS", 90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "lianxin.accounts.validators.MinimumLengthValidator"},
    {"NAME": "lianxin.accounts.validators.CharacterClassesValidator"},
    {"NAME": "lianxin.accounts.validators.NotUsernameValidator"},
    {"NAME": "lianxin.accounts.validators.CommonPasswordValidator"},
    {"NAME": "lianxin.accounts.validators.PasswordHistoryValidator"},
]
# The demo logins share a published password: only a demo deployment lets them in.
LIANXIN_DEMO_ACCOUNTS = env_bool("LIANXIN_DEMO_ACCOUNTS", False)
# Refuse an audit row whose object type or change key has no Chinese name (audit/labels.py):
# on for the tests, so a new service cannot show raw names in the audit log.
LIANXIN_AUDIT_LABELS_STRICT = env_bool("LIANXIN_AUDIT_LABELS_STRICT", False)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env_int("LIANXIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LIANXIN_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_ENABLED = env_bool("LIANXIN_AXES_ENABLED", True)
# The client address as the audit trail and the rate limits see it (LIANXIN_PROXY_COUNT), not
# REMOTE_ADDR, which behind a proxy is the proxy's and would lock every client out together.
AXES_CLIENT_IP_CALLABLE = "lianxin.core.context.axes_client_ip"
# On top of the lock-out: log-in attempts (POSTs, right or wrong) per client address and per
# user name each minute, counted across processes (lianxin.core.ratelimit; 0: no limit).
LIANXIN_LOGIN_IP_RATE_PER_MINUTE = env_int("LIANXIN_LOGIN_IP_RATE_PER_MINUTE", 60)
LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE = env_int("LIANXIN_LOGIN_USERNAME_RATE_PER_MINUTE", 10)

# Sessions end after LIANXIN_SESSION_IDLE_MINUTES without a request and LIANXIN_SESSION_MAX_HOURS
# after log-in, whichever comes first (checked server-side by accounts.middleware).
LIANXIN_SESSION_IDLE_MINUTES = env_int("LIANXIN_SESSION_IDLE_MINUTES", 30)
LIANXIN_SESSION_MAX_HOURS = env_int(
    "LIANXIN_SESSION_MAX_HOURS", env_int("LIANXIN_SESSION_HOURS", 12)
)
SESSION_COOKIE_AGE = LIANXIN_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "lianxin.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("LIANXIN_HTTPS", False):
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Job files (uploads, exports, error reports, card PDFs): one directory every app server and
# worker shares (an NFS or similar mount with more than one server; docs/deployment.md).
LIANXIN_FILES_DIR = env("LIANXIN_FILES_DIR")
MEDIA_ROOT = Path(LIANXIN_FILES_DIR) if LIANXIN_FILES_DIR else VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Long work (imports, exports, pairing runs, card prints) runs in the job worker
# (`lianxin worker`, Huey; docs/operations.md). The queue: SQLite file beside the database by
# default, the PostgreSQL database itself when DATABASE_URL is PostgreSQL, Redis when
# LIANXIN_REDIS_URL is set (or force one with LIANXIN_JOB_QUEUE=sqlite|postgres|redis).
# Tests set LIANXIN_JOBS_INLINE to run a job inside the request that submits it.
LIANXIN_JOBS_INLINE = env_bool("LIANXIN_JOBS_INLINE", False)
LIANXIN_REDIS_URL = env("LIANXIN_REDIS_URL")
LIANXIN_JOB_QUEUE = env("LIANXIN_JOB_QUEUE") or (
    "redis" if LIANXIN_REDIS_URL else "postgres" if _db_url.startswith("postgres") else "sqlite"
)
LIANXIN_JOB_WORKERS = env_int("LIANXIN_JOB_WORKERS", 2)
LIANXIN_JOB_HEARTBEAT_SECONDS = env_int("LIANXIN_JOB_HEARTBEAT_SECONDS", 5)
# A running job silent this long has lost its worker: the sweep (every minute) ends it.
LIANXIN_JOB_STALE_SECONDS = env_int("LIANXIN_JOB_STALE_SECONDS", 30)
LIANXIN_JOB_MAX_ATTEMPTS = env_int("LIANXIN_JOB_MAX_ATTEMPTS", 3)
# A job queued this long without starting is handed to the queue again (duplicates are no-ops).
LIANXIN_JOB_REQUEUE_SECONDS = env_int("LIANXIN_JOB_REQUEUE_SECONDS", 600)
_huey_name = env("LIANXIN_JOB_QUEUE_NAME", "lianxin")


def _queue_connection():
    """A connection to the database the application uses (its test database in a test run)."""
    import psycopg
    from django.db import connections

    db = connections["default"].settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )


if LIANXIN_JOB_QUEUE == "redis":
    HUEY: dict = {"huey_class": "huey.RedisHuey", "url": LIANXIN_REDIS_URL or None}
elif LIANXIN_JOB_QUEUE == "postgres":
    # In the application's own database (tables huey_*), connected lazily: the test run's
    # database is only known once Django has set it up.
    HUEY = {
        "huey_class": "huey.PostgresHuey",
        "connection": {"connection": _queue_connection, "create_tables": False},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "filename": env("LIANXIN_JOB_QUEUE_PATH", str(VAR_DIR / "jobs-queue.sqlite3")),
    }
HUEY.update(
    name=_huey_name,
    immediate=False,
    results=False,
    consumer={
        "workers": LIANXIN_JOB_WORKERS,
        "worker_type": "process",
        "periodic": True,
        "check_worker_health": True,
    },
)
LIANXIN_PAGE_SIZE = env_int("LIANXIN_PAGE_SIZE", 50)
# The most rows the long lists count (the visit history: core.paging.bounded_count); past it
# they say "超过 10,000 条" and ask to narrow the list. 200 pages of 50, more than anyone pages
# through; few enough that counting them costs milliseconds (the county's visits: 10,001
# entries of the (county, day) index) where counting all 1.14 million took SQLite a second per
# page view. Under it the totals stay exact: a township's month, a cadre's year, a household.
LIANXIN_COUNT_CAP = env_int("LIANXIN_COUNT_CAP", 10_000)

# E-mail (Django's mail settings), used for the copies of in-app notices (visit reminders):
# sent only where a mail server is configured (LIANXIN_EMAIL_HOST) or LIANXIN_NOTICE_EMAIL=1.
EMAIL_HOST = env("LIANXIN_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("LIANXIN_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("LIANXIN_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("LIANXIN_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("LIANXIN_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("LIANXIN_EMAIL_FROM", "lianxin@localhost")
# The hour (Asia/Shanghai) the morning visit reminders go out (lianxin.jobs.periodic).
LIANXIN_REMINDER_HOUR = env_int("LIANXIN_REMINDER_HOUR", 7)
LIANXIN_NOTICE_EMAIL = env_bool("LIANXIN_NOTICE_EMAIL", bool(env("LIANXIN_EMAIL_HOST")))
# How many times a day one account may be told an ID number is registered outside its scope
# (a duplicate refused on import or create); past it the account registers no residents for the
# rest of the day, whatever the number (people/disclosure.py). Audited.
LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY = env_int("LIANXIN_OUTSIDE_SCOPE_ANSWERS_PER_DAY", 50)

# 连心卡: the CJK font embedded in the PDF (Debian fonts-wqy-microhei by default), the public
# base URL the QR codes point at (empty: taken from the request), and the public page's rate limit.
LIANXIN_CJK_FONT = env("LIANXIN_CJK_FONT")
LIANXIN_PUBLIC_BASE_URL = env("LIANXIN_PUBLIC_BASE_URL").rstrip("/")
LIANXIN_PUBLIC_RATE_PER_MINUTE = env_int("LIANXIN_PUBLIC_RATE_PER_MINUTE", 30)
# The household's one-tap confirmation on that page (群众确认), per client and minute.
LIANXIN_CONFIRM_RATE_PER_MINUTE = env_int("LIANXIN_CONFIRM_RATE_PER_MINUTE", 10)
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
LIANXIN_PROXY_COUNT = env_int("LIANXIN_PROXY_COUNT", 0)

# Rate-limit counters (lianxin.core.ratelimit) live in Redis when LIANXIN_REDIS_URL is set, else
# in the database: either way shared by every process and app server. Nothing else needs a
# shared cache, so Django's cache stays in process memory.
LIANXIN_REDIS_URL = env("LIANXIN_REDIS_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lianxin"}
}

# Transport, headers, logs and files at rest -------------------------------------------------
# HTTPS: HSTS and the redirect are off by default (a county test install may run plain HTTP on
# the intranet); docs/deployment.md lists the production values, which `check --deploy` passes.
SECURE_HSTS_SECONDS = env_int("LIANXIN_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LIANXIN_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("LIANXIN_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("LIANXIN_SSL_REDIRECT", False)
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every page (lianxin.core.middleware): no inline script or style
# anywhere; a template that needs one inline element uses request.csp_nonce.
LIANXIN_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
# django-ninja's Swagger page, its assets served by the app: Swagger UI sets style attributes
# as it draws, so styles alone may be inline there (no script is). It shows the schema only.
LIANXIN_CSP_API_DOCS = {**LIANXIN_CSP, "style-src": ["'self'", "'unsafe-inline'"]}
# Files the application writes (uploads, exports, error reports, progress files, the SQLite
# database and its -wal/-shm) are its owner's alone: the umask is set when the app loads
# (lianxin.core.apps) and the database file is chmod-ed on every connection.
LIANXIN_UMASK = 0o077
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# A full export (clear ID numbers and phones) is deleted right after its first complete
# download, and by `lianxin purge-exports` this many minutes after it was written.
LIANXIN_EXPORT_TTL_MINUTES = env_int("LIANXIN_EXPORT_TTL_MINUTES", 60)
# Masked exports, import error reports and 连心卡 PDFs are kept longer (the office reads them
# twice).
LIANXIN_TRANSFER_KEEP_DAYS = env_int("LIANXIN_TRANSFER_KEEP_DAYS", 7)
# A coverage export of at most this many rows is written while the user waits (2,000 rows take
# about 0.3 s); a longer one runs as an export job with its progress page
# (lianxin.pairing.coverage_export).
LIANXIN_SYNC_EXPORT_ROWS = env_int("LIANXIN_SYNC_EXPORT_ROWS", 2000)

# Every handler carries the scrub filter. Django's own defaults (console when DEBUG, mail to
# ADMINS, runserver's request log "django.server") have unfiltered handlers: replaced here.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "lianxin.core.logging.ScrubSensitiveFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["scrub"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["scrub"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LIANXIN_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # The job worker's own log, scrubbed like the rest (Huey adds no handler of its own
        # when this one has one).
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
