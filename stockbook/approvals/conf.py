"""Settings of the approvals app (Django setting, else the environment)."""
import os

from django.conf import settings

TRUE = ("1", "true", "yes", "on")


def _setting(name, default=None):
    v = getattr(settings, name, None)
    if v is None:
        v = os.environ.get(name)
    return default if v is None else v


def allow_self_approval() -> bool:
    """May the maker approve their own request (one-person companies)? On when the Django setting /
    environment ``STOCKBOOK_ALLOW_SELF_APPROVAL`` is on, or the company setting 允许制单人审批 is ticked."""
    v = _setting("STOCKBOOK_ALLOW_SELF_APPROVAL", False)
    if isinstance(v, str):
        v = v.strip().lower() in TRUE
    if v:
        return True
    from .models import ApprovalSettings

    return ApprovalSettings.current().allow_self_approval


def escalate_schedule() -> str:
    """Cron text of the periodic escalation job (``off`` to disable); default every five minutes."""
    return str(_setting("STOCKBOOK_APPROVAL_ESCALATE_SCHEDULE", "*/5 * * * *"))
