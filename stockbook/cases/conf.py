"""Settings of the cases app (Django setting, else the environment, else the default)."""
import os

from django.conf import settings


def _setting(name, default):
    v = getattr(settings, name, None)
    if v is None:
        v = os.environ.get(name)
    return default if v is None or v == "" else v


def _int(name, default) -> int:
    try:
        n = int(_setting(name, default))
    except (TypeError, ValueError):
        return default
    return n if n > 0 else default


def due_days() -> int:
    """Days from a case's creation to its due date (STOCKBOOK_CASE_DUE_DAYS, default 7)."""
    return _int("STOCKBOOK_CASE_DUE_DAYS", 7)


def aging_days() -> int:
    """Age (days since the difference was first seen) past which an open difference escalates
    (STOCKBOOK_CASE_AGING_DAYS, default 30)."""
    return _int("STOCKBOOK_CASE_AGING_DAYS", 30)


def sync_schedule() -> str:
    """Cron text of the periodic sync (STOCKBOOK_CASE_SYNC_SCHEDULE, default every ten minutes; off disables)."""
    return str(_setting("STOCKBOOK_CASE_SYNC_SCHEDULE", "*/10 * * * *"))


def escalate_schedule() -> str:
    """Cron text of the periodic escalation (STOCKBOOK_CASE_ESCALATE_SCHEDULE, default 08:00 daily)."""
    return str(_setting("STOCKBOOK_CASE_ESCALATE_SCHEDULE", "0 8 * * *"))
