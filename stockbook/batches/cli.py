"""``stockbook batch check`` (Σ batch balances vs stock, JSON list of differences, exit 1 when any),
``stockbook batch trace ITEM BATCH [--format json|table]``, ``stockbook batch serial ITEM SERIAL``,
``stockbook batch alerts [--warehouse WH] [--days N] [--today DATE] [--notify] [--format json|table]``,
``stockbook batch fefo ITEM WAREHOUSE QTY [--date DATE]`` and ``stockbook batch policy ITEM [--batch-managed
yes|no] [--serial-managed yes|no] [--shelf-life DAYS] [--near-expiry DAYS]``. Errors: one JSON line on stderr, exit 2."""
import json
import sys


def register(sub):
    p = sub.add_parser("batch", help="批次与效期: check, trace, alerts, FEFO, item policy")
    bs = p.add_subparsers(dest="batch_cmd", required=True)
    q = bs.add_parser("check", help="Σ batch balances = stock qty per (item, warehouse) of batch-managed items")
    q.set_defaults(run=_wrap(run_check))
    q = bs.add_parser("trace", help="批次追溯: receipts → transfers → deliveries → returns of one batch")
    q.add_argument("item")
    q.add_argument("batch")
    q.add_argument("--format", default="json", choices=("json", "table"))
    q.set_defaults(run=_wrap(run_trace))
    q = bs.add_parser("serial", help="序列号追溯")
    q.add_argument("item")
    q.add_argument("serial")
    q.set_defaults(run=_wrap(run_serial))
    q = bs.add_parser("alerts", help="近效期与过期批次（有结存）")
    q.add_argument("--warehouse")
    q.add_argument("--days", type=int)
    q.add_argument("--today")
    q.add_argument("--notify", action="store_true", help="send the alerts not sent yet (once per batch per state)")
    q.add_argument("--format", default="json", choices=("json", "table"))
    q.set_defaults(run=_wrap(run_alerts))
    q = bs.add_parser("fefo", help="which batches FEFO would issue")
    q.add_argument("item")
    q.add_argument("warehouse")
    q.add_argument("qty")
    q.add_argument("--date")
    q.set_defaults(run=_wrap(run_fefo))
    q = bs.add_parser("policy", help="show or set an item's batch policy")
    q.add_argument("item")
    q.add_argument("--batch-managed", choices=("yes", "no"))
    q.add_argument("--serial-managed", choices=("yes", "no"))
    q.add_argument("--shelf-life", type=int)
    q.add_argument("--near-expiry", type=int)
    q.set_defaults(run=_wrap(run_policy))


def _wrap(fn):
    def run(args):
        from stockbook.core.errors import DocError

        try:
            return fn(args)
        except DocError as e:
            print(json.dumps(e.as_dict(), ensure_ascii=False), file=sys.stderr)
            return 2
    return run


def _out(obj):
    print(json.dumps(obj, ensure_ascii=False))


def _day(text, key):
    from stockbook.posting.fields import parse_date

    return parse_date(text, key) if text else None


def run_check(args):
    from .service import check

    diffs = check()
    _out(diffs)
    return 1 if diffs else 0


def run_trace(args):
    from .queries import trace

    t = trace(args.item, args.batch)
    if args.format == "json":
        _out(t)
    else:
        print(f"{t['item']} {t['name']} 批次 {t['batch']} 有效期至 {t['expiry'] or '-'} 供应商 {t['supplier'] or '-'}")
        for m in t["moves"]:
            print(f"{m['date']}  {m['type_text']:<6} {m['ref']:<16} {m['warehouse']:<8} {m['qty']:>12}  {m['party'] or ''}")
        print("结存：" + ("、".join(f"{b['warehouse']} {b['qty']}" for b in t["balances"]) or "0"))
    return 0


def run_serial(args):
    from .queries import serial_trace

    _out(serial_trace(args.item, args.serial))
    return 0


def run_alerts(args):
    from .queries import alerts, notify_expiry

    today = _day(args.today, "today")
    rows = alerts(None, warehouse=args.warehouse, days=args.days, today=today)
    for r in rows:
        r.pop("batch_id", None)
    if args.notify:
        done = notify_expiry(today=today)
        print(json.dumps({"notified": done}, ensure_ascii=False), file=sys.stderr)
    if args.format == "json":
        _out(rows)
    else:
        for r in rows:
            print(f"{r['state_text']}  {r['item']:<10} {r['batch']:<14} {r['warehouse']:<8} {r['expiry']}  {r['days_left']:>5} 天  {r['qty']:>10}")
    return 0


def run_fefo(args):
    from stockbook.core.errors import DocError
    from stockbook.core.money import fmt_qty, parse_qty, to_qty_units
    from stockbook.masterdata.models import Item, Warehouse

    from .service import fefo_pick
    from datetime import date

    item = Item.objects.filter(code=args.item).first()
    if item is None:
        raise DocError("unknown_item", f"存货 {args.item} 不存在")
    wh = Warehouse.objects.filter(code=args.warehouse).first()
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {args.warehouse} 不存在")
    picks = fefo_pick(item, wh, to_qty_units(parse_qty(args.qty)), _day(args.date, "date") or date.today())
    _out([{"batch": b, "qty": fmt_qty(q)} for b, q in picks])
    return 0


def run_policy(args):
    from stockbook.core.errors import DocError
    from stockbook.masterdata.models import Item

    from .models import ItemPolicy

    item = Item.objects.filter(code=args.item).first()
    if item is None:
        raise DocError("unknown_item", f"存货 {args.item} 不存在")
    from .service import set_policy

    for key in ("shelf_life", "near_expiry"):
        v = getattr(args, key)
        if v is not None and v < 0:
            raise DocError("invalid_value", "天数不能为负", field=key)
    kw = {}
    if args.batch_managed:
        kw["batch_managed"] = args.batch_managed == "yes"
    if args.serial_managed:
        kw["serial_managed"] = args.serial_managed == "yes"
    if args.shelf_life is not None:
        kw["shelf_life_days"] = args.shelf_life or None
    if args.near_expiry is not None:
        kw["near_expiry_days"] = args.near_expiry
    if not kw and not ItemPolicy.objects.filter(item=item).exists():
        _out(policy_dict(ItemPolicy(item=item)))
        return 0
    _out(policy_dict(set_policy(item, **kw)))
    return 0


def policy_dict(pol):
    return {"item": pol.item.code, "batch_managed": pol.batch_managed, "serial_managed": pol.serial_managed,
            "shelf_life_days": pol.shelf_life_days, "near_expiry_days": pol.near_expiry_days}
