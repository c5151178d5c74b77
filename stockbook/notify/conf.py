"""Settings of the notify app. Each is read from Django settings first (tests override them there),
then from the environment, so no settings.py change is needed to configure a deployment."""
import os

from django.conf import settings


def _get(name: str, env: str, default, cast=str):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(env)
    if value in (None, ""):
        return default
    return cast(value)


def http_timeout() -> float:
    """Seconds a robot may take to answer before the attempt counts as failed."""
    return _get("NOTIFY_HTTP_TIMEOUT", "STOCKBOOK_NOTIFY_TIMEOUT", 5.0, float)


def max_attempts() -> int:
    return _get("NOTIFY_MAX_ATTEMPTS", "STOCKBOOK_NOTIFY_MAX_ATTEMPTS", 6, int)


def retry_base() -> float:
    """Seconds before the first retry; each further retry waits twice as long (capped by retry_cap)."""
    return _get("NOTIFY_RETRY_BASE", "STOCKBOOK_NOTIFY_RETRY_BASE", 60.0, float)


def retry_cap() -> float:
    return _get("NOTIFY_RETRY_CAP", "STOCKBOOK_NOTIFY_RETRY_CAP", 3600.0, float)


def dispatch_mode() -> str:
    """'inline': send right after the business transaction commits (in that thread);
    'defer': only the scheduled ``deliver_pending()`` job sends."""
    return _get("NOTIFY_DISPATCH", "STOCKBOOK_NOTIFY_DISPATCH", "inline")


def site_url() -> str:
    """Absolute base of links in email and robot messages, e.g. https://erp.example.com."""
    return _get("NOTIFY_SITE_URL", "STOCKBOOK_SITE_URL", "").rstrip("/")


def smtp() -> dict:
    """SMTP connection settings (STOCKBOOK_SMTP_HOST, _PORT, _USER, _PASSWORD, _SECURITY=starttls|ssl|none)."""
    security = os.environ.get("STOCKBOOK_SMTP_SECURITY", "starttls").lower()
    return {
        "host": os.environ.get("STOCKBOOK_SMTP_HOST", ""),
        "port": int(os.environ.get("STOCKBOOK_SMTP_PORT") or (465 if security == "ssl" else 587)),
        "username": os.environ.get("STOCKBOOK_SMTP_USER", ""),
        "password": os.environ.get("STOCKBOOK_SMTP_PASSWORD", ""),
        "use_tls": security == "starttls",
        "use_ssl": security == "ssl",
        "timeout": http_timeout() * 2,
    }


def mail_from() -> str:
    return _get("NOTIFY_MAIL_FROM", "STOCKBOOK_MAIL_FROM", "") or settings.DEFAULT_FROM_EMAIL
