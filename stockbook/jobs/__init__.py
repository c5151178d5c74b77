"""Background jobs on huey: escalations, scheduled backups, notifications.

    from stockbook.jobs import db_task, db_periodic_task

    @db_periodic_task("*/5 * * * *")
    def escalate_overdue_approvals(): ...

Put tasks in ``<app>/tasks.py``; ``stockbook jobs worker`` imports every installed app's tasks module.
See stockbook/jobs/queue.py for the storage (SQLite by default, Redis in production) and
docs/operations.md for how the worker starts.
"""
__all__ = ["configure", "cron", "db_periodic_task", "db_task", "huey"]


def __getattr__(name):  # lazy: the CLI imports stockbook.jobs.cli before Django's settings are set up
    if name in __all__:
        from . import queue

        return getattr(queue, name)
    raise AttributeError(f"module 'stockbook.jobs' has no attribute {name!r}")
