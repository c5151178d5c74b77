"""The demo's finance flows of the contract extensions (docs/contract-extensions.md), in the first open month:

- a sales return of invoiced goods: a sales red invoice (红字销售发票) of part of an open-month invoice line, then
  the sales return of that quantity against its delivery;
- a purchase red invoice (红字采购发票) of part of an open-month invoice line, then the purchase return;
- a customer prepayment (预收款, 2203) and its application to one of the customer's open invoices (预收冲应收),
  part of it left open, so the aging shows a 预收款余额;
- an invoice with a payment plan (收款计划) of an open-month delivery not yet invoiced, its first instalment
  already overdue today.

``load() -> list[str]``: every document is posted with ``post(..., source="demo")`` under a fixed ref of the open
month; one that is already there is not posted again (a second run writes nothing new). The sources are
picked from the demo's own open-month documents, items that are neither batch- nor serial-managed and are
not costed by monthly average (so the flows cost at once), where the stock is free of reservations."""
from datetime import date, time, timedelta

from django.db.models import Count, Q, Sum

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty, from_fen
from stockbook.posting.models import Document, DocumentLine
from stockbook.posting.service import post

from . import days

UNIT = 10000  # one base unit in 1/10000


def _open_month():
    from stockbook.posting.books import Books
    from stockbook.posting.handlers.period import next_open_period

    p = next_open_period(Books())
    return p, date(p // 100, p % 100, 1)


def _plain_items() -> set[int]:
    """Items the flows may use: not batch/serial-managed, not costed by monthly average."""
    from stockbook.masterdata.models import Company, Item

    method = Company.current().costing_method
    managed = set()
    try:
        from stockbook.batches.models import ItemPolicy

        managed = set(ItemPolicy.objects.filter(Q(batch_managed=True) | Q(serial_managed=True)).values_list("item_id", flat=True))
    except ImportError:  # pragma: no cover - the batches app is part of Stockbook
        pass
    return {i for i, m in Item.objects.values_list("id", "costing_method") if (m or method) != "monthly_average"} - managed


def _existing(typ, ref):
    return Document.objects.filter(type=typ, ref=ref, status=Document.POSTED).first()


def _post(obj) -> Document:
    res = post(obj, source="demo")
    return res.document


def _taken(ref_doc_id, line_no, types) -> int:
    return int(DocumentLine.objects.filter(ref_document_id=ref_doc_id, ref_line=line_no, document__type__in=types,
                                           document__status=Document.POSTED).aggregate(q=Sum("qty_base"))["q"] or 0)


def _red_then_return(kind, p, p0, day, items) -> str:
    """A red invoice of a quarter of an open-month blue invoice line (of a receipt/delivery of the month), then
    the return of that quantity."""
    sales = kind == "sales"
    blue_type, red_type = ("sales_invoice", "sales_red_invoice") if sales else ("purchase_invoice", "purchase_red_invoice")
    ret_type, src_key = ("sales_return", "delivery") if sales else ("purchase_return", "receipt")
    party = "customer" if sales else "supplier"
    red_ref, ret_ref = (f"XSHZ-{p}-F1", f"XSTH-{p}-F1") if sales else (f"CGHZ-{p}-F1", f"CGTH-{p}-F1")
    red, ret = _existing(red_type, red_ref), _existing(ret_type, ret_ref)
    if red is None:
        from stockbook.sales.availability import available

        free = available()
        for bl in (DocumentLine.objects.filter(document__type=blue_type, document__status=Document.POSTED, document__date__gte=p0,
                                               document__date__lte=day, item_id__in=items, qty_base__gte=2 * UNIT)
                   .select_related("document", "document__customer", "document__supplier", "item", "ref_document")
                   .order_by("document__date", "document__ref", "line_no")):
            src = bl.ref_document
            if src is None or src.date < p0 or _taken(bl.document_id, bl.line_no, ("sales_red_invoice", "purchase_red_invoice")):
                continue
            q = max(UNIT, bl.qty_base // 4 // UNIT * UNIT)  # a quarter of the line, in whole base units
            if not sales and free.get((bl.item_id, bl.warehouse_id or src.warehouse_id), 0) < q:
                continue  # the return takes the goods out of stock: only what nobody reserved
            obj = {"type": red_type, "ref": red_ref, "date": day.isoformat(), "time": "15:00:00",
                   party: getattr(bl.document, party).code, "memo": "演示：红字发票冲销部分开票，再办理退货",
                   "lines": [{"invoice": bl.document.ref, "line": bl.line_no, "qty": fmt_qty(q).replace(",", "")}]}
            try:
                red = _post(obj)
            except DocError:
                continue
            break
    if red is None:
        return f"{'销售' if sales else '采购'}红字发票：未找到可冲销的本月发票行"
    rl = red.lines.select_related("ref_document", "item").get(line_no=1)
    blue_line = DocumentLine.objects.select_related("ref_document").get(document=rl.ref_document, line_no=rl.ref_line)
    if ret is None:
        ret = _post({"type": ret_type, "ref": ret_ref, "date": day.isoformat(), "time": "15:30:00", src_key: blue_line.ref_document.ref,
                     "memo": f"演示：{red_ref} 红冲后退货",
                     "lines": [{"line": blue_line.ref_line, "qty": fmt_qty(rl.qty_base).replace(",", "")}]})
    gross = (rl.amount or 0) + (rl.tax or 0)
    who = getattr(red, party)
    if sales:
        return (f"销售红字发票 {red_ref} 冲销 {rl.ref_document.ref} 第 {rl.ref_line} 行 {fmt_qty(rl.qty_base)} {rl.item.uom} {rl.item.name}（价税 −{from_fen(gross):,.2f}，"
                f"{who.name}），再退货 {ret_ref}（出库单 {blue_line.ref_document.ref}）")
    return (f"采购红字发票 {red_ref} 冲销 {rl.ref_document.ref} 第 {rl.ref_line} 行 {fmt_qty(rl.qty_base)} {rl.item.uom} {rl.item.name}（价税 −{from_fen(gross):,.2f}，"
            f"{who.name}），再退货 {ret_ref}（入库单 {blue_line.ref_document.ref}）")


def _prepayment(p, p0, day, avoid) -> str:
    """预收 10,000.00 on the 2nd of the month; on ``day`` 预收冲应收 of min(open, 6,000.00) to the customer's oldest
    open invoice of the month."""
    from stockbook.masterdata.models import Customer
    from stockbook.posting.handlers.business import open_amount

    rec_ref, app_ref = f"SK-{p}-YS1", f"YSCX-{p}-F1"
    rec, app = _existing("customer_receipt", rec_ref), _existing("advance_application", app_ref)
    if app is None:
        inv = None
        invs = (Document.objects.filter(type="sales_invoice", status=Document.POSTED, date__gte=p0, date__lte=day)
                .exclude(customer_id__in=avoid).select_related("customer").order_by("date", "ref"))
        if rec is not None:
            invs = invs.filter(customer=rec.customer)
        for d in invs:
            if open_amount(d, reds=True) >= 100_00 and open_amount(d) >= 100_00:
                inv = d
                break
        if inv is None:
            return "预收款：本月没有未核销的销售发票"
        if rec is None:
            bank = _bank()
            rec = _post({"type": "customer_receipt", "ref": rec_ref, "date": (p0 + timedelta(days=1)).isoformat(), "time": "09:00:00",
                         "customer": inv.customer.code, "account": bank, "amount": "10000.00", "prepayment": True,
                         "memo": "演示：预收货款（先收款、后开票）"})
        amt = min(open_amount(inv, reds=True), open_amount(inv), 6000_00)
        app = _post({"type": "advance_application", "ref": app_ref, "date": day.isoformat(), "time": "16:00:00",
                     "customer": inv.customer.code, "amount": f"{from_fen(amt):.2f}", "memo": "演示：预收冲应收",
                     "allocations": [{"invoice": inv.ref, "amount": f"{from_fen(amt):.2f}"}]})
    ln = app.lines.select_related("ref_document").first()
    left = rec.amount - app.amount if rec is not None else 0
    return (f"预收款 {rec_ref} {from_fen(rec.amount):,.2f}（{rec.customer.name}，记 2203 预收账款）；预收冲应收 {app_ref} "
            f"{from_fen(app.amount):,.2f} 核销发票 {ln.ref_document.ref if ln else '—'}，预收款余额 {from_fen(left):,.2f}")


def _bank() -> str:
    """The bank account the demo's receipts use most."""
    row = (Document.objects.filter(type="customer_receipt", status=Document.POSTED).values("account__code")
           .annotate(n=Count("id")).order_by("-n", "account__code").first())
    return row["account__code"] if row and row["account__code"] else "1002"


def _payment_plan(p, p0, today, items) -> str:
    """A sales invoice of an open-month delivery line not yet invoiced, dated the day after the delivery, with three
    instalments: 30 % five days later (overdue today), the rest at 30 and 60 days."""
    ref = f"XSFP-{p}-JH1"
    inv = _existing("sales_invoice", ref)
    if inv is None:
        latest = today - timedelta(days=7)  # invoice + 5 days must lie before today
        for dl in (DocumentLine.objects.filter(document__type="sales_delivery", document__status=Document.POSTED, document__date__gte=p0,
                                               document__date__lte=latest, item_id__in=items)
                   .select_related("document", "document__customer", "item").order_by("document__date", "document__ref", "line_no")):
            # a line nothing of which is invoiced or returned yet: invoiced whole, in its own unit at its price
            if not dl.unit_price or not dl.qty or _taken(dl.document_id, dl.line_no, ("sales_invoice", "sales_return")):
                continue
            on = dl.document.date + timedelta(days=1)
            obj = {"type": "sales_invoice", "ref": ref, "date": on.isoformat(), "customer": dl.document.customer.code,
                   "memo": "演示：分期收款（收款计划）",
                   "lines": [{"delivery": dl.document.ref, "line": dl.line_no, "qty": fmt_qty(dl.qty).replace(",", ""),
                              **({"uom": dl.uom} if dl.uom else {}), "unit_price": str(dl.unit_price)}]}
            gross = _gross_of(obj, dl)
            first = gross * 3 // 10
            second = (gross - first) // 2
            obj["payment_plan"] = [
                {"due_date": (on + timedelta(days=5)).isoformat(), "amount": f"{from_fen(first):.2f}"},
                {"due_date": (on + timedelta(days=30)).isoformat(), "amount": f"{from_fen(second):.2f}"},
                {"due_date": (on + timedelta(days=60)).isoformat(), "amount": f"{from_fen(gross - first - second):.2f}"}]
            try:
                inv = _post(obj)
            except DocError:
                continue
            break
    if inv is None:
        return "收款计划：本月没有未开票的出库单"
    plan = list(inv.payment_plan.order_by("seq"))
    overdue = [x for x in plan if x.due_date < today]
    text = "、".join(f"{x.due_date:%m-%d} {from_fen(x.amount):,.2f}" for x in plan)
    return (f"分期收款发票 {ref}（{inv.customer.name}）收款计划 {len(plan)} 期：{text}；"
            f"已逾期 {len(overdue)} 期（report ar-instalments）")


def _gross_of(obj, dl) -> int:
    """The invoice's gross as posting computes it: net = round(qty × price), tax = round(net × rate)."""
    from stockbook.core.money import parse_price, parse_qty, round2, to_fen

    net = round2(parse_qty(obj["lines"][0]["qty"]) * parse_price(obj["lines"][0]["unit_price"]))
    rate = dl.item.tax_rate or 0
    return to_fen(net) + to_fen(round2(net * rate))


def load() -> list[str]:
    p, p0 = _open_month()
    day, today = days.live_day(), days.today()
    items = _plain_items()
    out = [_red_then_return("sales", p, p0, day, items), _red_then_return("purchase", p, p0, day, items)]
    red = _existing("sales_red_invoice", f"XSHZ-{p}-F1")
    out.append(_prepayment(p, p0, day, [red.customer_id] if red is not None else []))
    out.append(_payment_plan(p, p0, today, items))
    return out
