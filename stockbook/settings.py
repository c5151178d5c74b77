"""Django settings for Stockbook. The database comes from STOCKBOOK_DATABASE_URL (or the CLI's --db);
without it the embedded SQLite default under ./var is used."""
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("STOCKBOOK_VAR_DIR", PROJECT_DIR / "var"))

SECRET_KEY = os.environ.get("STOCKBOOK_SECRET_KEY", "dev-only-not-secret-change-in-production")
DEBUG = os.environ.get("STOCKBOOK_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("STOCKBOOK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "stockbook.core",
    "stockbook.users",
    "stockbook.audit",
    "stockbook.masterdata",
    "stockbook.ledger",
    "stockbook.stock",
    "stockbook.posting",
    "stockbook.interchange",
    "stockbook.reports",
    "stockbook.notify",
    "stockbook.access",
    "stockbook.approvals",
    "stockbook.recon",
    "stockbook.cases",
    "stockbook.external",
    "stockbook.dashboard",
    "stockbook.purchasing",
    "stockbook.sales",
    "stockbook.batches",
    "stockbook.invctl",
    "stockbook.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "stockbook.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "stockbook.audit.context.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "stockbook.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]
WSGI_APPLICATION = "stockbook.wsgi.application"


def database_from_url(url: str) -> dict:
    cfg = dj_database_url.parse(url, conn_max_age=0)
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        # BEGIN IMMEDIATE: a writer takes the lock up front, so two posters serialise instead of deadlocking.
        cfg["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;"
            ),
        }
        cfg["TEST"] = {"NAME": None}
    return cfg


DATABASE_URL = os.environ.get("STOCKBOOK_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'stockbook.db'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "auth.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if os.environ.get("STOCKBOOK_FAST_HASHER") == "1":  # tests only: argon2 is deliberately slow
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("STOCKBOOK_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

# LDAP login, off unless STOCKBOOK_LDAP_URI is set (docs/ldap.md): adds the AUTH_LDAP_* settings and puts the
# LDAP backend right before ModelBackend (the axes backend stays first).
from stockbook.users.ldap_settings import ldap_settings  # noqa: E402

globals().update(ldap_settings(os.environ, AUTHENTICATION_BACKENDS))

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
try:  # whitenoise warns when the collected-static directory is missing; serving uses the finders
    os.makedirs(STATIC_ROOT, exist_ok=True)
except OSError:
    pass

# Audit trail (docs/audit.md): entries older than ARCHIVE_DAYS move to gzip'd files in ARCHIVE_DIR; the key
# that signs the hash chain (default: derived from SECRET_KEY) must stay the same for the life of the data.
STOCKBOOK_AUDIT_ARCHIVE_DIR = Path(os.environ.get("STOCKBOOK_AUDIT_ARCHIVE_DIR", VAR_DIR / "audit-archive"))
STOCKBOOK_AUDIT_ARCHIVE_DAYS = int(os.environ.get("STOCKBOOK_AUDIT_ARCHIVE_DAYS", "365"))
STOCKBOOK_AUDIT_KEY = os.environ.get("STOCKBOOK_AUDIT_KEY", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"axes": {"handlers": ["console"], "level": "WARNING"}},
}
