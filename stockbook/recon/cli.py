"""``stockbook recon`` — every ledger pair with its attributed difference items, as JSON for an auditor to
replay (each item names the rule and the reason), or as a table.

    stockbook recon --as-of 2026-01-31 [--format json|table]
    stockbook recon --as-of 2026-01-31 --run 7          # a saved external GL run (stockbook reconcile-external gl … --save)
    stockbook recon --as-of 2026-01-31 --pair stock:1405 --by warehouse,category

Exit status: 0 every pair agrees; 1 some pair has a difference; 2 bad input.
"""
import json
import sys


def register(sub):
    from stockbook.cli import _date

    p = sub.add_parser("recon", help="reconcile every ledger pair and explain the differences (对账引擎)",
                       description="对账引擎: each control account against its subledger, differences attributed by the rules.")
    p.add_argument("--as-of", dest="as_of", type=_date, required=True)
    p.add_argument("--run", dest="run_id", type=int, help="a saved external GL run instead of Stockbook's own ledger")
    p.add_argument("--pair", help="with --by: the pair to break down, e.g. stock:1405, ar:1122")
    p.add_argument("--by", help="warehouse | item | category | product_line | region (two joined by a comma), customer, supplier")
    p.add_argument("--format", default="json", choices=("json", "table"))
    p.set_defaults(run=run)


def run(args) -> int:
    from .service import breakdown, reconcile, reconcile_run

    if args.by or args.pair:
        if not (args.by and args.pair):
            print("error: --by and --pair go together", file=sys.stderr)
            return 2
        try:
            rows = breakdown(args.pair, args.as_of, args.by)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        out = {"report": "recon-breakdown", "as_of": args.as_of.isoformat(), "pair": args.pair, "by": args.by, "rows": rows}
        if args.format == "json":
            print(json.dumps(out, ensure_ascii=False))
        else:
            dims = args.by.split(",")
            for r in rows:
                label = " / ".join(f"{r[d]['code']} {r[d]['name']}".strip() for d in dims)
                print(f"{label:<40} {r['gl']:>16} {r['sub']:>16} {r['difference']:>14}")
        return 1 if any(r["difference"] != "0.00" for r in rows) else 0
    try:
        pairs = reconcile_run(args.run_id, args.as_of) if args.run_id else reconcile(args.as_of)
    except LookupError:
        print(f"error: no external GL run {args.run_id}", file=sys.stderr)
        return 2
    data = [p.to_json() for p in pairs]
    if args.format == "json":
        print(json.dumps({"report": "recon", "as_of": args.as_of.isoformat(), "source": f"run:{args.run_id}" if args.run_id else "internal",
                          "pairs": data}, ensure_ascii=False))
    else:
        for p in data:
            print(f"{p['ledger_name']:<8} {p['account']:<8} 总账 {p['gl']:>16} 明细 {p['subledger']:>16} 差异 {p['difference']:>14} 未解释 {p['unexplained']:>12}")
            for it in p["items"]:
                print(f"    {it['amount']:>14}  {it['cause'] or '未解释':<26} {'、'.join(it['refs'])}  {it['reason']}")
    return 1 if any(p.difference for p in pairs) else 0
