"""``stockbook check``: the integrity checks of stockbook/posting/integrity.py (exit 1 if any fails)."""
import sys


def register(sub):
    p = sub.add_parser("check", help="check that the books are whole (numbers, balances, stock, re-costing)")
    p.add_argument("--no-recost", action="store_true", help="skip re-costing every item from scratch")
    p.set_defaults(run=run)
    c = sub.add_parser("company", help="company settings: show them, or set 暂估处理方式 (grni_method difference|reversal)")
    csub = c.add_subparsers(dest="company_cmd", required=True)
    csub.add_parser("show", help="print the company's settings as JSON").set_defaults(run=run_company)
    cs = csub.add_parser("set", help="set a company setting: grni_method difference (单到补差) | reversal (月初回冲)")
    cs.add_argument("key", choices=["grni_method"])
    cs.add_argument("value")
    cs.set_defaults(run=run_company)


def run(args) -> int:
    from .integrity import check

    problems = check(recost=not args.no_recost)
    for p in problems:
        print(p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def run_company(args) -> int:
    """``stockbook company show`` / ``stockbook company set grni_method reversal`` (docs/contract-extensions.md §4)."""
    import json

    from stockbook.core.errors import DocError
    from stockbook.masterdata.models import Company

    from . import grni

    if args.company_cmd == "set":
        try:
            grni.set_method(args.value)
        except DocError as e:
            print(json.dumps({"error": e.code, "message": e.message}, ensure_ascii=False), file=sys.stderr)
            return 1
    c = Company.current()
    if c is None:
        print(json.dumps({"error": "invalid_value", "message": "尚未建立公司"}, ensure_ascii=False), file=sys.stderr)
        return 1
    print(json.dumps({"code": c.code, "name": c.name, "chart": c.chart, "costing_method": c.costing_method,
                      "start_period": c.start_period_str, "grni_method": c.grni_method}, ensure_ascii=False))
    return 0
