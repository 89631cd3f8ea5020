"""Campus Code settings: one file, every value from the environment with a safe default.

Each variable is listed in `.env.example`. The small typed helpers below fail loudly on a
value they cannot read, so a typo in production stops the start instead of hiding.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_networks(name: str, default: str) -> list[str]:
    """A comma list of addresses or CIDR networks, each checked here."""
    items = env_list(name, default)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list addresses or networks (10.0.0.5, 10.0.0.0/24), not {item!r}"
            ) from None
    return items


def env_pairs(name: str, default: str) -> dict[str, str]:
    """A comma list of key=value pairs."""
    pairs = {}
    for item in env_list(name, default):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must list key=value pairs, not {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def env_robots(name: str) -> dict[str, tuple[str, str]]:
    """Space-separated "UNITCODE=https://webhook-url[|secret]" entries: {code: (url, secret)}."""
    robots = {}
    for item in env_str(name, "").split():
        code, sep, rest = item.partition("=")
        url, _bar, secret = rest.partition("|")
        if not sep or not code or not url.startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{name} must list UNITCODE=https://… entries, not {item!r}")
        robots[code] = (url, secret)
    return robots


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as 20/m (per second, minute, hour or day)."""
    raw = env_str(name, default).strip() or default
    count, _, period = raw.partition("/")
    if not count.isdigit() or period.lstrip("0123456789") not in {"s", "m", "h", "d"}:
        raise ImproperlyConfigured(f"{name} must be a rate such as 20/m, not {raw!r}")
    return raw


# Files and folders this process creates are for its own user only: the SQLite file and
# its -wal/-shm companions, signing keys, uploads, broker folders (0600/0700).
os.umask(0o077)

# Everything the installation writes (SQLite file, signing keys, uploads, broker
# queue folders) lives under one folder the IT admin backs up.
DATA_DIR = Path(env_str("CAMPUSCODE_DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)

DEBUG = env_bool("DJANGO_DEBUG", False)
# Django's admin is mapped only for an emergency, for a superuser with a second factor,
# read-only and audited (campuscode.core.admin_site).
CAMPUSCODE_BREAK_GLASS_ADMIN = env_bool("CAMPUSCODE_BREAK_GLASS_ADMIN", False)
SECRET_KEY_FILE = DATA_DIR / "secret_key"


def _secret_key() -> str:
    """Take SECRET_KEY from the environment, else from a file made on first run."""
    if value := os.environ.get("DJANGO_SECRET_KEY"):
        return value
    if not SECRET_KEY_FILE.exists():
        import secrets

        # Created 0600 from the first byte, not chmod-ed after the write.
        fd = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return SECRET_KEY_FILE.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "campuscode.core.admin_config.BreakGlassAdminConfig",  # django.contrib.admin, break-glass only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # one-time backup codes beside TOTP
    "axes",
    "csp",
    "django_celery_beat",
    "ninja",
    "campuscode.core",
    "campuscode.audit",
    "campuscode.people",
    "campuscode.codes",
    "campuscode.accounts",
    "campuscode.roster",
    "campuscode.checkins",
    "campuscode.gates",
    "campuscode.followup",
    "campuscode.anomalies",
    "campuscode.privacy",
    "campuscode.notify",
    "campuscode.backups",
    "campuscode.analytics",  # analytics: dashboards, summaries, periodic reports
    "campuscode.casework",  # casework engine (supervision, violations)
    "campuscode.supervision",  # supervision (R7)
    "campuscode.attendance",  # attendance (issue 11)
    "campuscode.events",  # events (R2.5)
    "campuscode.violations",
]

MIDDLEWARE = [
    "campuscode.core.net.ForwardedHeadersMiddleware",  # first: drops forged forwarded headers
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "campuscode.gates.middleware.DeviceApiMiddleware",  # device API: skips session-only work
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "campuscode.accounts.middleware.IdleTimeoutMiddleware",
    "campuscode.accounts.middleware.RequireOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "campuscode.core.context_processors.navigation",
                "campuscode.notify.context_processors.notices",
            ],
            "builtins": ["campuscode.people.templatetags.people_tags"],
        },
    },
]

# SQLite in WAL mode is the embedded default; production sets DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'campuscode.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # PostgreSQL: keep a connection for a minute instead of one per request; SQLite
        # opens a file, which costs nothing to redo.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DATABASE_URL.startswith("sqlite") else 60),
        # A kept connection is tested before each request reuses it, so a database restart
        # costs a reconnect, not an error page on every worker thread.
        conn_health_checks=True,
    )
}
if "postgresql" in DATABASES["default"]["ENGINE"] and not env_bool("DB_POSTGRES_JIT", False):
    # PostgreSQL's JIT compiles any query its planner costs above 100,000: the grouped
    # counts over tens of thousands of people that the lists and the analytics run. On
    # the 50,000-person school it spent 1–5 s compiling (on 2 cores) queries that then
    # ran in 0.1 s (bench/README.md, Scale). Off for this application's connections only.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so two writers
        # queue instead of one failing with "database is locked" mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
    # Tests use a file too: an in-memory shared-cache database answers a second writer
    # with "table is locked" at once instead of waiting, unlike the real WAL file.
    # One file per test process, so parallel runs never share (or delete) each other's.
    DATABASES["default"]["TEST"] = {
        "NAME": str(DATA_DIR / f"test-campuscode-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sign-in lockout (django-axes): per account and per address, cool-off in minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client's address, also behind the reverse proxy (campuscode/core/net.py).
AXES_CLIENT_IP_CALLABLE = "campuscode.core.net.client_ip"

# --- Behind a reverse proxy ---------------------------------------------------------------
# Addresses or networks of the proxies in front of the application (the address gunicorn
# sees them connect from, e.g. 127.0.0.1 for nginx on the same machine). Only from these
# are X-Forwarded-For and X-Forwarded-Proto believed; empty = believe no one.
CAMPUSCODE_TRUSTED_PROXIES = env_networks("CAMPUSCODE_TRUSTED_PROXIES", "")
# How many proxies each request passes (each appends to X-Forwarded-For).
CAMPUSCODE_PROXY_COUNT = env_int("CAMPUSCODE_PROXY_COUNT", 1)
if CAMPUSCODE_PROXY_COUNT < 1:
    raise ImproperlyConfigured("CAMPUSCODE_PROXY_COUNT must be 1 or more")
if CAMPUSCODE_TRUSTED_PROXIES:
    # campuscode.core.net.ForwardedHeadersMiddleware removes this header from anyone else.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- HTTPS --------------------------------------------------------------------------------
# One switch for production: redirect to HTTPS, HSTS, cookies sent over HTTPS only.
HTTPS = env_bool("CAMPUSCODE_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # a chosen "no"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 14 * 24 * 3600

# Content-Security-Policy (django-csp): scripts, styles and images from this site only;
# no inline script or style, no framing. QR codes and charts are inline SVG markup.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Rate limits (django-ratelimit, per client address; answered with HTTP 429) ------------
RATELIMIT_IP_META_KEY = "campuscode.core.net.ratelimit_ip"
RATELIMIT_VIEW = "campuscode.core.views.too_many_requests"
RATELIMITS = {
    # Every form a visitor can post without being signed in (sign-in, claim steps).
    "public_form": env_rate("CAMPUSCODE_RATE_PUBLIC_FORMS", "30/m"),
    # Wrong device tokens at the gate API: past this, no token is even looked up.
    "gate_bad_token": env_rate("CAMPUSCODE_RATE_GATE_BAD_TOKENS", "20/m"),
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("CAMPUSCODE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed names once `collectstatic` has run (the demo and production
        # do); plain names straight from the source folders before that (tests, DEBUG).
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if (STATIC_ROOT / "staticfiles.json").exists() and not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_MANIFEST_STRICT = False
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024


def redis_url() -> str:
    """REDIS_URL; parallel test workers (pytest-xdist gw0, gw1, …) each take the Redis
    database below the previous one, so one worker's cache.clear() cannot wipe the rate
    limits the other is counting."""
    url = os.environ.get("REDIS_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{(base - int(worker[2:])) % 16}").geturl()


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url(),
    }
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "campuscode_cache"}
}
RATELIMIT_USE_CACHE = "default"

# E-mail: SMTP by default. The demo sets the outbox backend, which prints every message
# and shows it on a page anyone can open: never the default, or a forgotten setting in
# production would publish every one-time claim code.
OUTBOX_BACKEND = "campuscode.accounts.mail.OutboxBackend"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "campuscode@localhost")
# The site's address as people outside it reach it (https://code.example.edu.cn): links in
# e-mails and group-robot messages. Empty: the links are paths only.
SITE_URL = env_str("CAMPUSCODE_SITE_URL", "").rstrip("/")

# Text messages (notify): "outbox" keeps them on the demo's outbox page (never in
# production: anyone could read the one-time codes there); "http" posts each one as JSON to
# the school's SMS gateway: {"to", "text", "sign", "template"}, keys renamed by
# CAMPUSCODE_SMS_FIELDS (e.g. "to=mobile,text=content"), the key sent as a Bearer token.
SMS_BACKEND = {
    "outbox": "campuscode.notify.channels.OutboxSmsBackend",
    "http": "campuscode.notify.channels.HttpSmsBackend",
}.get(env_str("CAMPUSCODE_SMS_BACKEND", "http"), env_str("CAMPUSCODE_SMS_BACKEND", "http"))
SMS_GATEWAY_URL = env_str("CAMPUSCODE_SMS_URL", "")
SMS_GATEWAY_KEY = env_str("CAMPUSCODE_SMS_KEY", "")
SMS_GATEWAY_SIGN = env_str("CAMPUSCODE_SMS_SIGN", "")
SMS_GATEWAY_TEMPLATE = env_str("CAMPUSCODE_SMS_TEMPLATE", "")
SMS_GATEWAY_FIELDS = env_pairs("CAMPUSCODE_SMS_FIELDS", "")
SMS_GATEWAY_TIMEOUT = env_int("CAMPUSCODE_SMS_TIMEOUT", 10)
# Group robots (企业微信 / 钉钉) per unit: "UNITCODE=webhook URL" entries separated by
# spaces, "*" for every unit without its own; a DingTalk entry may end "|signing secret".
WECOM_ROBOTS = env_robots("CAMPUSCODE_WECOM_ROBOTS")
DINGTALK_ROBOTS = env_robots("CAMPUSCODE_DINGTALK_ROBOTS")
ROBOT_TIMEOUT = env_int("CAMPUSCODE_ROBOT_TIMEOUT", 10)

# Background work: Redis in production; a broker in local folders needs no server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(DATA_DIR / "broker" / "queue"),
        "data_folder_out": str(DATA_DIR / "broker" / "queue"),
        "processed_folder": str(DATA_DIR / "broker" / "processed"),
        "control_folder": str(DATA_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL == "filesystem://"
    else {}
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ACKS_LATE = True
# Periodic jobs (django_celery_beat's scheduler copies these into its tables at start).
CELERY_BEAT_SCHEDULE = {
    # Retention (PIPL Art. 19): at night, when nobody checks in.
    "privacy.purge_expired": {
        "task": "privacy.purge_expired",
        "schedule": crontab(hour=3, minute=30),
    },
    # The bulk-read alert counts the last few minutes of the audit log.
    "privacy.check_bulk_reads": {
        "task": "privacy.check_bulk_reads",
        "schedule": crontab(minute="*/5"),
    },
    "audit.anchor": {"task": "audit.anchor", "schedule": 3600.0},
    # Failed text messages, e-mails and robot posts, retried with growing pauses.
    "notify.retry_due": {"task": "notify.retry_due", "schedule": 60.0},
    "audit.purge": {"task": "audit.purge", "schedule": crontab(hour=3, minute=10)},
    # A registered check-in point screen gone silent (switched off, page closed).
    "checkins.check_silent_displays": {"task": "checkins.check_silent_displays", "schedule": 60.0},
    # R6.4: after the day's last window has closed.
    "anomalies.detect": {"task": "anomalies.detect", "schedule": crontab(hour=22, minute=30)},
    # anomalies2: reminders of cases near or past their deadline (once a day per case).
    "anomalies.remind": {"task": "anomalies.remind", "schedule": crontab(minute=15)},
    # Hourly look: a backup is made when the last is older than the school's
    # backup_every_hours, copied off-site, and old ones pruned by the retention counts.
    "backups.scheduled": {"task": "backups.scheduled", "schedule": crontab(minute=40)},
    # Hourly look: the latest backup is restored into a scratch database and checked when
    # the last check is older than the school's backup_verify_every_days (weekly default).
    "backups.verify": {"task": "backups.verify", "schedule": crontab(minute=50)},
    # A missed backup (older than backup_every_hours + backup_missed_grace_hours) alerts once.
    "backups.watch": {"task": "backups.watch", "schedule": crontab(minute="*/10")},
    # analytics (R6.3): today's and yesterday's summaries every 10 minutes, the past week's
    # at night; reports after the night's refresh (daily; Mondays; the 1st of the month).
    "analytics.refresh_recent": {"task": "analytics.refresh_recent", "schedule": 600.0},
    "analytics.refresh_past": {
        "task": "analytics.refresh_past",
        "schedule": crontab(hour=1, minute=20),
    },
    "analytics.daily_reports": {
        "task": "analytics.send_reports",
        "schedule": crontab(hour=7, minute=0),
        "args": ("daily",),
    },
    "analytics.weekly_reports": {
        "task": "analytics.send_reports",
        "schedule": crontab(hour=7, minute=10, day_of_week=1),
        "args": ("weekly",),
    },
    "analytics.monthly_reports": {
        "task": "analytics.send_reports",
        "schedule": crontab(hour=7, minute=20, day_of_month=1),
        "args": ("monthly",),
    },
    # Casework: reminders and escalations of deadlines (R7.5), in working hours; idempotent.
    "casework.send_deadline_reminders": {
        "task": "casework.send_deadline_reminders",
        "schedule": crontab(hour="7-21", minute=5),
    },
    # attendance (issue 11): ended sessions closed (auto-absent) every minute; warnings nightly.
    "attendance.close_sessions": {"task": "attendance.close_sessions", "schedule": 60.0},
    "attendance.warnings": {"task": "attendance.warnings", "schedule": crontab(hour=21, minute=0)},
    # events (R2.5): close ended sittings; a mandatory event's absences go to review.
    "events.close_due": {"task": "events.close_due", "schedule": 300.0},
    # R8.2: unappealed decisions become final, sanctions lifted at the end of their term,
    # closed cases past retention leave the active history.
    "violations.daily": {"task": "violations.daily", "schedule": crontab(hour=0, minute=20)},
}

# The campus code signing keys live outside the database (R2.1).
CODE_KEYS_DIR = Path(env_str("CAMPUSCODE_KEYS_DIR", str(DATA_DIR / "keys"))).resolve()
# The audit-chain key (HMAC of the audit log and of each check-in), outside the
# database like the signing keys; blank: "audit-chain.key" in CODE_KEYS_DIR, resolved
# when used (campuscode.audit.keys).
AUDIT_KEY_FILE = env_str("CAMPUSCODE_AUDIT_KEY_FILE", "") or None
# Signed anchors of the audit chain's head and purge checkpoints, outside the database;
# the backup / off-site copy takes this folder (campuscode.audit.anchors).
ANCHOR_DIR = Path(env_str("CAMPUSCODE_ANCHOR_DIR", str(DATA_DIR / "anchors"))).resolve()
# Backups (campuscode.backups): encrypted archives of the database, uploads, signing keys,
# audit-chain key and anchors. The key that encrypts them is kept apart from them (lose the
# key and every backup is unreadable; keep a copy of it somewhere else than the archives).
BACKUP_DIR = Path(env_str("CAMPUSCODE_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
BACKUP_KEY_FILE = Path(
    env_str("CAMPUSCODE_BACKUP_KEY_FILE", str(DATA_DIR / "keys-backup" / "backup.key"))
).resolve()
# A second folder (a mounted NAS or another disk) each scheduled backup is copied to; blank: none.
BACKUP_OFFSITE_DIR = env_str("CAMPUSCODE_BACKUP_OFFSITE_DIR", "") or None
# A restic repository each scheduled backup is also copied to (sftp:user@host:/path,
# s3:https://host/bucket, rest:…, a local path); blank: none. Its password is read from
# the file (kept apart, like the backup key); S3 keys come from AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY, which restic reads itself.
BACKUP_RESTIC_REPOSITORY = env_str("CAMPUSCODE_BACKUP_RESTIC_REPOSITORY", "") or None
BACKUP_RESTIC_PASSWORD_FILE = env_str("CAMPUSCODE_BACKUP_RESTIC_PASSWORD_FILE", "") or None
# The keyed hash of national ID numbers; changing it breaks matching of stored hashes.
ID_HASH_KEY = env_str("CAMPUSCODE_ID_HASH_KEY", "") or SECRET_KEY

NINJA_PAGINATION_PER_PAGE = 100

# Logs carry no personal data: Django logs a request's path, never its query string (where
# search terms go), our own code logs record numbers only, and e-mails (claim codes) are
# printed only by the demo's outbox backend. A refused request (403 and other 4xx) is one
# line: it is expected, and its traceback would bury the errors that matter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "campuscode.core.logs.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["one_line_refusals"]},
    },
}

if env_bool("DJANGO_FAST_PASSWORDS", False):
    # Tests only: hashing with PBKDF2 would dominate the suite's run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
