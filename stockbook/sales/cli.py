"""``stockbook sales …`` (registered through stockbook.cli.CLI_PLUGINS); JSON on stdout, errors as one JSON
line {"error", "message"} on stderr with exit status 2 (bad input) or 1 (refused by a rule).

  stockbook sales list [--status S] [--customer C]
  stockbook sales show ORDER
  stockbook sales create FILE.json            (a draft order: {customer, warehouse, lines, …})
  stockbook sales confirm|cancel|close ORDER
  stockbook sales deliver ORDER [--date D] [--ref R] [--line N=QTY …]
  stockbook sales invoice ORDER [--date D] [--ref R]
  stockbook sales receipt ORDER AMOUNT [--account 1002] [--date D] [--ref R]
  stockbook sales available --warehouse WH --items A001,B002
  stockbook sales reservations [--item I] [--warehouse W]"""
import json
import sys


def register(sub):
    p = sub.add_parser("sales", help="销售：报价、订单、预留、发货、开票、收款")
    s = p.add_subparsers(dest="sales_cmd", required=True)
    q = s.add_parser("list", help="list sales orders")
    q.add_argument("--status", default="")
    q.add_argument("--customer", default="")
    q.set_defaults(run=_run(_list))
    q = s.add_parser("show", help="one order as JSON")
    q.add_argument("order")
    q.set_defaults(run=_run(_show))
    q = s.add_parser("create", help="create a draft order from a JSON file")
    q.add_argument("file")
    q.set_defaults(run=_run(_create))
    for name in ("confirm", "cancel", "close"):
        q = s.add_parser(name, help=f"{name} an order")
        q.add_argument("order")
        q.set_defaults(run=_run(_step(name)))
    q = s.add_parser("deliver", help="post a delivery of the order (all that is left, or --line N=QTY)")
    q.add_argument("order")
    q.add_argument("--date")
    q.add_argument("--ref")
    q.add_argument("--line", action="append", default=[], help="N=QTY (order line and base-unit quantity)")
    q.set_defaults(run=_run(_deliver))
    q = s.add_parser("invoice", help="post the sales invoice of the order's uninvoiced deliveries")
    q.add_argument("order")
    q.add_argument("--date")
    q.add_argument("--ref")
    q.set_defaults(run=_run(_invoice))
    q = s.add_parser("receipt", help="post a customer receipt allocated to the order's invoices")
    q.add_argument("order")
    q.add_argument("amount")
    q.add_argument("--account", default="1002")
    q.add_argument("--date")
    q.add_argument("--ref")
    q.set_defaults(run=_run(_receipt))
    q = s.add_parser("available", help="on hand, reserved, available")
    q.add_argument("--warehouse", required=True)
    q.add_argument("--items", required=True)
    q.set_defaults(run=_run(_available))
    q = s.add_parser("reservations", help="open reservations")
    q.add_argument("--item", default="")
    q.add_argument("--warehouse", default="")
    q.set_defaults(run=_run(_reservations))


class _Bad(Exception):
    pass


def _out(data):
    print(json.dumps(data, ensure_ascii=False, indent=1))
    return 0


def _run(fn):
    def run(args):
        from stockbook.core.errors import DocError

        try:
            return fn(args)
        except _Bad as e:
            print(json.dumps({"error": "invalid_value", "message": str(e)}, ensure_ascii=False), file=sys.stderr)
            return 2
        except DocError as e:
            err = {"error": e.code, "message": e.message}
            if e.line is not None:
                err["line"] = e.line
            print(json.dumps(err, ensure_ascii=False), file=sys.stderr)
            return 1
    return run


def _day(text):
    if not text:
        return None
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"日期应为 YYYY-MM-DD，而不是「{text}」") from None


def _list(args):
    from . import actions

    return _out({"results": [actions.order_json(o, None, full=False) for o in actions.filter_orders(None, args.status, args.customer)]})


def _show(args):
    from . import actions

    return _out(actions.order_json(actions.get_order(None, args.order), None))


def _create(args):
    from stockbook.core.jsonio import loads

    from . import actions

    try:
        with open(args.file, encoding="utf-8") as f:
            data = loads(f.read())
    except (OSError, ValueError) as e:
        raise _Bad(f"无法读取 {args.file}：{e}") from None
    return _out(actions.order_json(actions.create_order(None, data), None))


def _step(name):
    def fn(args):
        from . import actions

        return _out(actions.order_json(getattr(actions, name)(None, args.order), None))
    return fn


def _deliver(args):
    from . import actions

    qtys = None
    if args.line:
        qtys = {}
        for part in args.line:
            n, _, q = part.partition("=")
            if not n.strip().isdigit() or not q:
                raise _Bad(f"--line 应为 行号=数量，而不是「{part}」")
            qtys[int(n)] = q.strip()
    return _out(actions.post_result_json(actions.deliver(None, args.order, qtys, on=_day(args.date), ref=args.ref, source="cli")))


def _invoice(args):
    from . import actions

    return _out(actions.post_result_json(actions.invoice(None, args.order, on=_day(args.date), ref=args.ref, source="cli")))


def _receipt(args):
    from . import actions

    return _out(actions.post_result_json(actions.collect(None, args.order, args.amount, account=args.account,
                                                         on=_day(args.date), ref=args.ref, source="cli")))


def _available(args):
    from . import actions

    return _out(actions.availability_json(None, args.warehouse, args.items.split(",")))


def _reservations(args):
    from stockbook.core.money import fmt_qty

    from . import actions

    return _out({"results": [{"order": r.order.no, "line": r.order_line.line_no, "item": r.item.code, "warehouse": r.warehouse.code,
                              "qty": fmt_qty(r.qty_base)} for r in actions.reservations(None, args.item, args.warehouse)]})
