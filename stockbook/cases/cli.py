"""Subcommands of the cases app (registered through stockbook.cli.CLI_PLUGINS):

``stockbook cases sync [--as-of DATE]``, ``stockbook cases escalate [--today DATE]``,
``stockbook cases list [--status S]``, ``stockbook cases certify-auto --period YYYY-MM`` and
``stockbook close-check --period YYYY-MM [--format json|table]`` (exit 0 clean, 1 blockers, 2 bad input)."""
import json
import sys


def register(sub):
    p = sub.add_parser("cases", help="difference cases: sync with the reconciliation, escalate, list")
    csub = p.add_subparsers(dest="cases_cmd", required=True)
    q = csub.add_parser("sync", help="create, update and close cases from the reconciliation at a date")
    q.add_argument("--as-of", help="YYYY-MM-DD (default today)")
    q.set_defaults(run=run_sync)
    q = csub.add_parser("escalate", help="escalate overdue cases and differences past the aging limit")
    q.add_argument("--today", help="pretend today is this date (YYYY-MM-DD)")
    q.set_defaults(run=run_escalate)
    q = csub.add_parser("list", help="list cases")
    q.add_argument("--status", default="active", choices=("active", "open", "in_progress", "resolved", "closed", "all"))
    q.set_defaults(run=run_list)
    q = csub.add_parser("certify-auto", help="certify the pairs at 0.00 without open cases of a finished period")
    q.add_argument("--period", required=True, help="YYYY-MM")
    q.set_defaults(run=run_certify_auto)

    p = sub.add_parser("close-check", help="月末结账检查: what blocks a clean close of a period")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--format", default="table", choices=("json", "table"))
    p.set_defaults(run=run_close_check)


class _BadInput(Exception):
    pass


def _cli(fn):
    """Bad input → one JSON line on stderr and exit status 2."""
    from functools import wraps

    @wraps(fn)
    def run(args):
        try:
            return fn(args)
        except _BadInput as e:
            return _bad(str(e))
    return run


def _date(text, flag):
    from stockbook.core.errors import DocError
    from stockbook.posting.fields import parse_date

    try:
        return parse_date(text)
    except (DocError, ValueError, TypeError):
        raise _BadInput(f"{flag} 应为 YYYY-MM-DD 日期，而不是「{text}」")


def _bad(msg) -> int:
    print(json.dumps({"error": "invalid_value", "message": msg}, ensure_ascii=False), file=sys.stderr)
    return 2


def _period(text):
    from stockbook.core.errors import DocError

    from .service import parse_period

    try:
        return parse_period(text)
    except DocError as e:
        raise _BadInput(e.message)


@_cli
def run_sync(args) -> int:
    from .service import sync

    from .external import sync_external

    as_of = _date(args.as_of, "--as-of") if args.as_of else None
    print(json.dumps({**sync(as_of), "external": sync_external()}, ensure_ascii=False))
    return 0


@_cli
def run_escalate(args) -> int:
    from .service import escalate

    d = _date(args.today, "--today") if args.today else None
    print(json.dumps(escalate(d), ensure_ascii=False))
    return 0


@_cli
def run_list(args) -> int:
    from stockbook.core.money import fmt_money

    from .models import Case

    qs = Case.objects.select_related("assignee").order_by("id")
    if args.status == "active":
        qs = qs.filter(status__in=Case.ACTIVE)
    elif args.status != "all":
        qs = qs.filter(status=args.status)
    for c in qs:
        who = c.assignee.get_username() if c.assignee_id else "-"
        print(f"{c.pk}\t{c.status}\t{c.period_text}\t{c.pair_key}\t{fmt_money(c.amount)}\t{c.due}\t{who}\t{c.title}")
    return 0


@_cli
def run_certify_auto(args) -> int:
    from .certify import auto_certify

    print(json.dumps({"certified": auto_certify(_period(args.period))}, ensure_ascii=False))
    return 0


@_cli
def run_close_check(args) -> int:
    from .closecheck import close_check, table

    period = _period(args.period)
    rep = close_check(period)
    if args.format == "json":
        print(json.dumps(rep, ensure_ascii=False))
    else:
        print(table(rep))
    return 0 if rep["clean"] else 1
