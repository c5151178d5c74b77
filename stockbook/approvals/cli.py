"""``stockbook approvals escalate [--now ISO]`` (escalate overdue approval steps now; what the periodic
job does) and ``stockbook approvals list [--status S]``."""
import json
import sys


def register(sub):
    p = sub.add_parser("approvals", help="approval workflows: escalate overdue steps, list requests")
    asub = p.add_subparsers(dest="approvals_cmd", required=True)
    q = asub.add_parser("escalate", help="escalate every approval step past its timeout (the periodic job)")
    q.add_argument("--now", help="pretend it is this time (YYYY-MM-DDTHH:MM[:SS], local time)")
    q.set_defaults(run=run_escalate)
    q = asub.add_parser("list", help="approval requests")
    q.add_argument("--status", default="pending", choices=("pending", "approved", "rejected", "failed", "cancelled", "all"))
    q.set_defaults(run=run_list)


def _when(text):
    from datetime import datetime

    from django.utils import timezone

    dt = datetime.fromisoformat(text)
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


def run_escalate(args) -> int:
    try:
        now = _when(args.now) if args.now else None
    except ValueError:
        print(f"error: --now wants YYYY-MM-DDTHH:MM, not {args.now!r}", file=sys.stderr)
        return 2
    from .tasks import run_escalation

    out = run_escalation(now)
    print(json.dumps(out, ensure_ascii=False, default=str))
    return 0


def run_list(args) -> int:
    from stockbook.core.money import fmt_money

    from .models import ApprovalRequest

    qs = ApprovalRequest.objects.select_related("maker").order_by("id")
    if args.status != "all":
        qs = qs.filter(status=args.status)
    for r in qs:
        amount = fmt_money(r.amount) if r.amount is not None else "-"
        print(f"{r.pk}\t{r.status}\t{r.title}\t{amount}\tlevel {r.current_level}/{r.levels}\t{r.maker.get_username()}")
    return 0
