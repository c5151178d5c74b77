"""``stockbook invctl safety|dead|abc|turnover [--format json|table|csv]`` (库存控制 reports, docs/inventory-control.md).
Errors: one JSON line on stderr, exit 2."""
import json
import sys


def register(sub):
    p = sub.add_parser("invctl", help="库存控制: safety stock, dead stock, ABC, turnover")
    s = p.add_subparsers(dest="invctl_cmd", required=True)
    for name, help_ in (("safety", "安全库存预警（可用量 = 现存量 − 预留）"), ("dead", "呆滞库存"), ("abc", "ABC 分类（按出库成本）"),
                        ("turnover", "库存周转天数")):
        q = s.add_parser(name, help=help_)
        q.add_argument("--warehouse")
        q.add_argument("--format", default="json", choices=("json", "table", "csv"))
        if name == "dead":
            q.add_argument("--months", type=int)
            q.add_argument("--as-of")
        if name in ("abc", "turnover"):
            q.add_argument("--from", dest="start", required=True)
            q.add_argument("--to", dest="end", required=True)
        if name == "abc":
            q.add_argument("--a", default="80")
            q.add_argument("--b", default="15")
        if name == "turnover":
            q.add_argument("--group", default="item", choices=("item", "category", "warehouse"))
        q.set_defaults(run=_run, invctl_report=name)


def params(name, get) -> dict:
    """Report keyword arguments from a getter of text parameters (CLI args, query string)."""
    from decimal import Decimal, InvalidOperation

    from stockbook.core.errors import DocError
    from stockbook.posting.fields import parse_date

    kw = {"warehouse": get("warehouse") or None}
    if name == "dead":
        m = get("months")
        if m not in (None, ""):
            try:
                kw["months"] = int(m)
            except ValueError:
                raise DocError("invalid_value", "months 必须是整数", field="months") from None
        if get("as_of"):
            kw["as_of"] = parse_date(get("as_of"), "as_of")
    if name in ("abc", "turnover"):
        for k in ("start", "end"):
            v = get(k)
            kw[k] = parse_date(v, k) if v else None
    if name == "abc":
        for k in ("a", "b"):
            v = get(k)
            if v not in (None, ""):
                try:
                    kw[k] = Decimal(str(v))
                except InvalidOperation:
                    raise DocError("invalid_value", f"{k} 必须是百分数", field=k) from None
    if name == "turnover" and get("group"):
        kw["group"] = get("group")
    return kw


def _run(args):
    from stockbook.core.errors import DocError
    from stockbook.reports.base import render

    from .reports import REPORTS

    name = args.invctl_report
    try:
        rep = REPORTS[name](None, **params(name, lambda k: getattr(args, k, None)))
    except DocError as e:
        print(json.dumps(e.as_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    sys.stdout.write(render(rep, args.format))
    return 0
