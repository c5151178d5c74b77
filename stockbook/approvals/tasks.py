"""Jobs of the approvals app: timeout escalation, every five minutes by default
(``STOCKBOOK_APPROVAL_ESCALATE_SCHEDULE``, cron text; ``off`` disables it). Run by ``stockbook jobs
worker``; by hand ``stockbook approvals escalate`` or ``stockbook jobs run-once escalate_overdue_approvals``."""
import logging

from stockbook.jobs.queue import db_periodic_task, db_task

from . import conf

log = logging.getLogger("stockbook.jobs")


def run_escalation(now=None) -> dict:
    from .service import escalate_overdue

    done = escalate_overdue(now)
    if done:
        log.info("approvals: %d request(s) escalated", len(done))
    return {"escalated": done}


def escalate_overdue_approvals() -> dict:
    return run_escalation()


@db_task()
def escalate_approvals_now() -> dict:
    """The same escalation on demand (queued)."""
    return run_escalation()


SCHEDULE = conf.escalate_schedule()
if SCHEDULE.strip().lower() not in ("", "off", "none", "never"):
    escalate_overdue_approvals = db_periodic_task(SCHEDULE)(escalate_overdue_approvals)
