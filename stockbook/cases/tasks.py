"""Jobs of the cases app, run by ``stockbook jobs worker``:

- the sync of the difference cases with the reconciliation (today, and the last month end while its cases
  or certifications are still moving): ``STOCKBOOK_CASE_SYNC_SCHEDULE`` (default every ten minutes);
- the escalation of overdue cases and of differences past the aging limit: ``STOCKBOOK_CASE_ESCALATE_SCHEDULE``
  (default 08:00 daily). ``off`` disables either. By hand: ``stockbook cases sync`` / ``stockbook cases escalate``."""
import logging

from stockbook.jobs.queue import db_periodic_task, db_task

from . import conf

log = logging.getLogger("stockbook.jobs")


def run_sync() -> dict:
    from .certify import default_period
    from .service import period_end, sync

    from .external import sync_external

    out = {"today": sync()}
    out["last_month_end"] = sync(period_end(default_period()))
    out.update({f"external_{k}": v for k, v in sync_external().items()})
    n = sum(len(v[k]) for v in out.values() for k in ("created", "updated", "closed"))
    if n:
        log.info("cases: sync changed %d case(s)", n)
    return out


def run_escalation() -> dict:
    from .service import escalate

    done = escalate()
    if done["overdue"] or done["aged"]:
        log.info("cases: %d overdue, %d aged escalated", len(done["overdue"]), len(done["aged"]))
    return done


def sync_cases() -> dict:
    return run_sync()


def escalate_cases() -> dict:
    return run_escalation()


@db_task()
def sync_cases_now() -> dict:
    return run_sync()


@db_task()
def escalate_cases_now() -> dict:
    return run_escalation()


_S = conf.sync_schedule()
if _S.strip().lower() not in ("", "off", "none", "never"):
    sync_cases = db_periodic_task(_S)(sync_cases)
_E = conf.escalate_schedule()
if _E.strip().lower() not in ("", "off", "none", "never"):
    escalate_cases = db_periodic_task(_E)(escalate_cases)
