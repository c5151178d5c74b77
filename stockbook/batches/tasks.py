"""Jobs of the batches app, run by ``stockbook jobs worker``: the daily expiry alert
(``STOCKBOOK_EXPIRY_ALERT_SCHEDULE``, default 07:00 daily, ``off`` disables). By hand:
``stockbook batch alerts --notify``."""
import logging

from stockbook.backup.conf import setting
from stockbook.jobs.queue import db_periodic_task

log = logging.getLogger("stockbook.jobs")


def run_expiry_alerts() -> dict:
    from .queries import notify_expiry

    done = notify_expiry()
    if done["sent"]:
        log.info("batches: %d expiry alert(s) sent", done["sent"])
    return done


def expiry_alerts() -> dict:
    return run_expiry_alerts()


_S = str(setting("STOCKBOOK_EXPIRY_ALERT_SCHEDULE", "0 7 * * *")).strip()
if _S.lower() not in ("", "off", "none", "never"):
    expiry_alerts = db_periodic_task(_S)(expiry_alerts)
