"""``stockbook purchasing …`` (JSON on stdout; errors: one JSON line on stderr, exit 2):

- ``orders [--status S] [--supplier CODE]`` · ``order NUMBER`` (lines with received/open) · ``match NUMBER``
- ``create FILE.json [--submit]`` (the REST body: supplier, warehouse, order_date, lines) · ``submit|cancel|close NUMBER``
- ``receive NUMBER --line N=QTY … [--ref R] [--date D]`` · ``inspect RECEIPT --line N=ACCEPTED/REJECTED[:reason] … [--date D]``
- ``suggestions [--warehouse WH] [--create --to WH]`` · ``prices ITEM`` · ``scores [--from D] [--to D]``
- ``settings [--over-receipt PCT] [--price-tolerance PCT]``"""
import json
import sys
from datetime import date


def register(sub):
    p = sub.add_parser("purchasing", help="采购: orders, receipts against orders, QC, match, suggestions, scores")
    ps = p.add_subparsers(dest="purchasing_cmd", required=True)
    q = ps.add_parser("orders", help="list purchase orders")
    q.add_argument("--status")
    q.add_argument("--supplier")
    q.set_defaults(run=_wrap(run_orders))
    helps = {"order": "one purchase order as JSON", "match": "three-way match of an order (PO / receipts / QC / invoices)",
             "submit": "submit an order for approval", "cancel": "cancel an order", "close": "close an order"}
    for name in ("order", "match", "submit", "cancel", "close"):
        q = ps.add_parser(name, help=helps[name])
        q.add_argument("number")
        q.set_defaults(run=_wrap(run_one), action=name)
    q = ps.add_parser("create", help="create a draft order from a JSON file")
    q.add_argument("file")
    q.add_argument("--submit", action="store_true")
    q.set_defaults(run=_wrap(run_create))
    q = ps.add_parser("receive", help="post a receipt against an order")
    q.add_argument("number")
    q.add_argument("--line", action="append", default=[], help="N=QTY")
    q.add_argument("--ref")
    q.add_argument("--date")
    q.set_defaults(run=_wrap(run_receive))
    q = ps.add_parser("inspect", help="到货质检 of a receipt")
    q.add_argument("receipt")
    q.add_argument("--line", action="append", default=[], help="N=ACCEPTED/REJECTED[:reason]")
    q.add_argument("--date")
    q.set_defaults(run=_wrap(run_inspect))
    q = ps.add_parser("suggestions", help="replenishment suggestions (safety stock)")
    q.add_argument("--warehouse")
    q.add_argument("--create", action="store_true", help="create draft orders for every suggestion with a supplier")
    q.add_argument("--to", help="receiving warehouse of the created orders (default --warehouse)")
    q.set_defaults(run=_wrap(run_suggestions))
    q = ps.add_parser("prices", help="price history, last and best price of an item")
    q.add_argument("item")
    q.set_defaults(run=_wrap(run_prices))
    q = ps.add_parser("scores", help="supplier scoring")
    q.add_argument("--from", dest="start")
    q.add_argument("--to", dest="end")
    q.set_defaults(run=_wrap(run_scores))
    q = ps.add_parser("settings", help="show or set the tolerances")
    q.add_argument("--over-receipt")
    q.add_argument("--price-tolerance")
    q.set_defaults(run=_wrap(run_settings))


def _wrap(fn):
    def run(args):
        from stockbook.core.errors import DocError

        try:
            return fn(args) or 0
        except DocError as e:
            print(json.dumps(e.as_dict(), ensure_ascii=False), file=sys.stderr)
            return 2
    return run


def _out(obj):
    print(json.dumps(obj, ensure_ascii=False, default=str))


def _day(s, field="date"):
    from .services import _parse_day

    return _parse_day(s, field)


def _po(number):
    from stockbook.core.errors import DocError

    from .models import PurchaseOrder

    po = PurchaseOrder.objects.filter(number=number).first()
    if po is None:
        raise DocError("unknown_reference", f"采购订单 {number} 不存在")
    return po


def run_orders(args):
    from .api import order_json
    from .models import PurchaseOrder
    from .services import sync_pending

    sync_pending()
    qs = PurchaseOrder.objects.select_related("supplier", "warehouse")
    if args.status:
        qs = qs.filter(status=args.status)
    if args.supplier:
        qs = qs.filter(supplier__code=args.supplier)
    _out({"count": qs.count(), "results": [order_json(p, None) for p in qs]})


def run_one(args):
    from . import match, services
    from .api import order_json

    po = services.sync_approval(_po(args.number))
    if args.action == "match":
        return _out(match.match_json(po))
    if args.action != "order":
        po = {"submit": services.submit, "cancel": services.cancel, "close": services.close}[args.action](po)
    _out(order_json(po, None, full=True))


def run_create(args):
    from stockbook.core.errors import DocError
    from stockbook.core.jsonio import loads

    from . import services
    from .api import order_json

    try:
        with open(args.file, encoding="utf-8") as f:
            obj = loads(f.read())
    except (OSError, ValueError) as e:
        raise DocError("invalid_value", f"无法读取 {args.file}：{e}") from None
    po = services.create_order(obj, source="cli")
    if args.submit:
        po = services.submit(po)
    _out(order_json(po, None, full=True))


def _pairs(specs):
    from stockbook.core.errors import DocError

    for s in specs:
        if "=" not in s:
            raise DocError("invalid_value", f"--line 应为 N=…：{s}")
        n, v = s.split("=", 1)
        if not n.isdigit():
            raise DocError("invalid_value", f"行号应为整数：{s}")
        yield int(n), v


def run_receive(args):
    from . import services

    po = _po(args.number)
    lines = [{"order_line": n, "qty": v} for n, v in _pairs(args.line)]
    res = services.receive(po, lines, ref=args.ref, day=_day(args.date), source="cli")
    po.refresh_from_db()
    _out({"status": res.status, "document": res.document.ref if res.document else None, "order_status": po.status})


def run_inspect(args):
    from . import services

    lines = []
    for n, v in _pairs(args.line):
        reason = ""
        if ":" in v:
            v, reason = v.split(":", 1)
        acc, _, rej = v.partition("/")
        lines.append({"line": n, "accepted": acc, "rejected": rej or "0", "reason": reason})
    insp = services.inspect(args.receipt, lines, day=_day(args.date), source="cli")
    _out({"receipt": args.receipt, "inspection": insp.pk, "return": insp.return_document.ref if insp.return_document_id else None})


def run_suggestions(args):
    from stockbook.core.errors import DocError
    from stockbook.masterdata.models import Warehouse

    from . import history

    wh = None
    if args.warehouse:
        wh = Warehouse.objects.filter(code=args.warehouse).first()
        if wh is None:
            raise DocError("unknown_warehouse", f"仓库 {args.warehouse} 不存在")
    rows = history.suggestions(wh.pk if wh else None)
    out = {"rows": rows}
    if args.create:
        target = args.to or args.warehouse
        if not target:
            raise DocError("invalid_value", "--create 需要 --to 收货仓库（或 --warehouse）")
        pos = history.create_from_suggestions([r for r in rows if r["supplier"]], warehouse=target) if any(r["supplier"] for r in rows) else []
        out["orders"] = [p.number for p in pos]
    _out(out)


def run_prices(args):
    from stockbook.core.errors import DocError
    from stockbook.masterdata.models import Item

    from . import history

    it = Item.objects.filter(code=args.item).first()
    if it is None:
        raise DocError("unknown_item", f"存货 {args.item} 不存在")
    out = history.price_hint(it)
    out["history"] = history.price_history(it.pk, limit=100)
    _out(out)


def run_scores(args):
    from . import history

    end = _day(args.end, "to") or date.today()
    start = _day(args.start, "from") or end.replace(year=end.year - 1)
    _out({"from": start, "to": end, "rows": history.supplier_scores(start, end)})


def run_settings(args):
    from .models import PurchaseSettings
    from .services import update_settings

    s = PurchaseSettings.current()
    if args.over_receipt is not None or args.price_tolerance is not None:
        s = update_settings(args.over_receipt if args.over_receipt is not None else str(s.over_receipt_pct),
                            args.price_tolerance if args.price_tolerance is not None else str(s.price_tolerance_pct))
    _out({"over_receipt_pct": format(s.over_receipt_pct.normalize(), "f"), "price_tolerance_pct": format(s.price_tolerance_pct.normalize(), "f")})
