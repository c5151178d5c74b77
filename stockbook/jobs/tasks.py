"""Stockbook's own jobs: the scheduled backup (STOCKBOOK_BACKUP_SCHEDULE, default 02:30 daily, "off" to
disable), with rotation and the off-site copy, and the same backup on demand; the delivery of due
notifications (STOCKBOOK_NOTIFY_SCHEDULE, default every minute) when stockbook.notify is installed.
Other apps' jobs live in their own tasks.py (e.g. stockbook/approvals/tasks.py: escalations)."""
import logging

from stockbook.backup import conf

from .queue import db_periodic_task, db_task

log = logging.getLogger("stockbook.jobs")


def run_backup(dest=None, keep=None, offsite=None) -> dict:
    from stockbook.backup.service import create_backup

    res = create_backup(dest, keep=keep, offsite=offsite)
    summary = res.summary()
    log.info("backup %s (sha256 %s)%s", summary["file"], summary["sha256"],
             f", off-site copy {summary['offsite']}" if summary["offsite"] else "")
    return summary


@db_task(retries=1, retry_delay=600)
def backup(dest=None, keep=None, offsite=None) -> dict:
    """One backup now: the configured (or given) directory, rotation, off-site copy."""
    return run_backup(dest, keep, offsite)


def scheduled_backup() -> dict:
    """The daily backup; a failure is told to the people who run the system (manage_access), then raised
    so that the worker retries it and logs it."""
    try:
        return run_backup()
    except Exception as e:
        _tell_backup_failed(e)
        raise


def _tell_backup_failed(error: Exception):
    from django.contrib.auth.models import User
    from django.db.models import Q

    from stockbook.notify import notify

    admins = list(User.objects.filter(Q(is_superuser=True) | Q(groups__permissions__codename="manage_access",
                                                              groups__permissions__content_type__app_label="access"),
                                      is_active=True).distinct())
    if admins:
        notify("backup.failed", recipients=admins, title="定时备份失败", body=f"错误：{error}\n请检查备份目录与磁盘空间，并手工运行 stockbook backup。")


SCHEDULE = conf.schedule()
if SCHEDULE.lower() not in ("", "off", "none", "never"):
    scheduled_backup = db_periodic_task(SCHEDULE, retries=1, retry_delay=600)(scheduled_backup)


# -- notifications: the deliveries that are due (first attempts a request did not send, retries) -------
def run_deliveries() -> dict:
    from stockbook.notify import deliver_pending

    return deliver_pending()


def deliver_notifications() -> dict:
    return run_deliveries()


@db_task()
def deliver_notifications_now() -> dict:
    """The same delivery on demand (queued, or `jobs run-once` from cron)."""
    return run_deliveries()


def _notify_installed() -> bool:
    from django.apps import apps

    return apps.is_installed("stockbook.notify")


NOTIFY_SCHEDULE = str(conf.setting("STOCKBOOK_NOTIFY_SCHEDULE", "* * * * *")).strip()
if _notify_installed() and NOTIFY_SCHEDULE.lower() not in ("", "off", "none", "never"):
    deliver_notifications = db_periodic_task(NOTIFY_SCHEDULE)(deliver_notifications)
