"""Backup settings: a Django setting of the same name wins, then the environment, then the default."""
import os
from pathlib import Path

DEFAULT_KEEP = 14
DEFAULT_SCHEDULE = "30 2 * * *"  # minute hour day month day-of-week, in settings.TIME_ZONE


def setting(name: str, default=None):
    from django.conf import settings

    value = getattr(settings, name, None)
    if value in (None, ""):
        value = os.environ.get(name)
    return default if value in (None, "") else value


def backup_dir() -> Path:
    from django.conf import settings

    return Path(setting("STOCKBOOK_BACKUP_DIR", Path(settings.VAR_DIR) / "backups"))


def offsite_dir() -> Path | None:
    value = setting("STOCKBOOK_BACKUP_OFFSITE_DIR")
    return Path(value) if value else None


def keep() -> int:
    value = setting("STOCKBOOK_BACKUP_KEEP", DEFAULT_KEEP)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"STOCKBOOK_BACKUP_KEEP must be a whole number, not {value!r}")
    if n < 1:
        raise ValueError("STOCKBOOK_BACKUP_KEEP must be at least 1")
    return n


def schedule() -> str:
    return str(setting("STOCKBOOK_BACKUP_SCHEDULE", DEFAULT_SCHEDULE)).strip()
