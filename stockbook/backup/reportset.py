"""The reports that prove a restored database equals the live one: trial balance, stock balance and
reconcile for every month-end of the data, plus today, each as canonical JSON.

``python -m stockbook.backup.reportset`` computes the same set in a fresh process against the database
in STOCKBOOK_DATABASE_URL (a plan as JSON on stdin, the reports as JSON on stdout), so that the restored
copy is read by the code path and settings a normal ``stockbook report`` would use, with no state shared
with the process that reads the live database.
"""
import calendar
import json
import sys
from datetime import date

KINDS = ("trial-balance", "stock-balance", "reconcile")


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def month_ends(first: str | None, last: str | None) -> list[str]:
    """ISO dates of every month-end from the month of ``first`` to the month of ``last``."""
    if not first or not last:
        return []
    y, m = int(first[:4]), int(first[5:7])
    ly, lm = int(last[:4]), int(last[5:7])
    out = []
    while (y, m) <= (ly, lm):
        out.append(date(y, m, calendar.monthrange(y, m)[1]).isoformat())
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def live_span() -> dict:
    from django.db import connection

    from .engines import data_span, kind_of

    with connection.cursor() as cur:
        return data_span(cur, kind_of(connection.settings_dict))


def plan(span: dict, today: date) -> dict:
    """{"dates": [...]}: every month-end of the data plus today."""
    dates = set(month_ends(span.get("first"), span.get("last")))
    dates.add(today.isoformat())
    return {"dates": sorted(dates)}


def _one(name: str, params: dict):
    from stockbook.core.errors import DocError
    from stockbook.reports.base import render
    from stockbook.reports.registry import build_report

    try:
        return json.loads(render(build_report(name, params), "json"))
    except DocError as e:  # e.g. no company yet: both sides must say the same
        return {"error": e.code, "message": e.message}


def report_set(the_plan: dict) -> dict[str, str]:
    """{"trial-balance 2026-01-01..2026-01-31": canonical JSON, ...} on the default database."""
    out = {"data-span": canonical(live_span())}
    for iso in the_plan["dates"]:
        d = date.fromisoformat(iso)
        start = d.replace(day=1)
        out[f"trial-balance {start.isoformat()}..{iso}"] = canonical(_one("trial-balance", {"start": start, "end": d}))
        out[f"stock-balance {iso}"] = canonical(_one("stock-balance", {"as_of": d}))
        out[f"reconcile {iso}"] = canonical(_one("reconcile", {"as_of": d}))
    return out


def main() -> int:
    the_plan = json.load(sys.stdin)
    from stockbook.cli import _setup

    _setup(None)  # STOCKBOOK_DATABASE_URL names the scratch database
    sys.stdout.write(canonical(report_set(the_plan)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
