"""Delivery, invoice and collection documents built from a sales order, posted through post().

A delivery line carries ``sales_order``/``order_line`` (and ``batch`` per picked batch when the item is
batch-managed: one delivery line per batch, FEFO through stockbook.batches.service). Quantities go in the
item's base unit; the price is the order line's net per base unit, with as many decimals as it takes for
the parts of a line to add up to its net exactly: a part is worth round(net × q / Q, 2), and the part that
completes the line takes what is left (the contract's own rule for parts of a line)."""
from datetime import date as Date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty, parse_qty, to_qty_units

from .models import DeliveryLink, SalesOrder, SalesOrderLine

SO = SalesOrder


def _batches():
    try:
        from stockbook.batches import service as bs
    except ImportError:
        return None
    if not hasattr(bs, "fefo_pick") or not hasattr(bs, "is_batch_managed"):  # pragma: no cover
        return None
    return bs


def exact_price(amount_fen: int, qty_base: int) -> str:
    """A unit price p (text) with round2(qty × p) == amount exactly, as few decimals as it takes."""
    if amount_fen == 0:
        return "0"
    amt = Decimal(amount_fen) / 100
    qty = Decimal(qty_base) / 10000
    for places in (2, 4, 6, 8, 10, 12, 14, 16):
        p = (amt / qty).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if (qty * p).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) == amt:
            return format(p.normalize(), "f")
    raise DocError("invalid_value", "无法得到精确单价")  # pragma: no cover


def part_amount(ol: SalesOrderLine, q: int, done_amount: int, done_qty: int) -> int:
    """What q base units of the order line are worth: the rest of its net when q completes it."""
    if done_qty + q >= ol.qty_base:
        return ol.net_amount - done_amount
    return int((Decimal(ol.net_amount) * q / ol.qty_base).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _split(amount: int, parts: list[int]) -> list[int]:
    total = sum(parts)
    out = [int((Decimal(amount) * p / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for p in parts[:-1]]
    return out + [amount - sum(out)]


def build_delivery(order: SalesOrder, qtys: dict | None = None, *, on: Date | None = None, ref: str | None = None) -> dict:
    """The contract sales_delivery for ``qtys`` {order line no: qty (base unit, text/Decimal)}; None = all
    that is left. Lines of a batch-managed item are split by FEFO."""
    on = on or timezone.localdate()
    if order.status not in SO.OPEN:
        raise DocError("invalid_status", f"销售订单 {order.no} 状态为{order.get_status_display()}，不能发货")
    lines = {ol.line_no: ol for ol in order.lines.select_related("item")}
    if qtys is None:
        want = {n: ol.remaining_base for n, ol in lines.items() if ol.remaining_base > 0}
    else:
        want = {}
        for k, v in qtys.items():
            try:
                n = int(k)
            except (TypeError, ValueError):
                raise DocError("invalid_value", f"订单行号 {k} 不正确", field="lines") from None
            if n not in lines:
                raise DocError("unknown_reference", f"销售订单 {order.no} 没有第 {n} 行", field="order_line")
            if v in (None, "", "0", 0):
                continue
            qb = to_qty_units(parse_qty(v if not isinstance(v, Decimal) else str(v), "qty"))
            if qb > lines[n].remaining_base:
                raise DocError("invalid_value", f"第 {n} 行未发货 {lines[n].remaining_base / 10000:g}，本次 {qb / 10000:g} 超出",
                               field="qty", line=n)
            want[n] = qb
    if not want:
        raise DocError("invalid_value", f"销售订单 {order.no} 没有要发货的数量", field="lines")
    done = {r["order_line_id"]: (r["a"] or 0, r["q"] or 0) for r in DeliveryLink.objects.filter(order=order)
            .values("order_line_id").annotate(a=Sum("amount"), q=Sum("qty_base")).order_by()}
    bs = _batches()
    managed = set()
    if bs is not None:
        pol = bs.policies([lines[n].item_id for n in want]) if hasattr(bs, "policies") else None
        managed = ({k for k, v in pol.items() if v.batch_managed} if pol is not None
                   else {lines[n].item_id for n in want if bs.is_batch_managed(lines[n].item)})
    out = []
    for n in sorted(want):
        ol, q = lines[n], want[n]
        amt = part_amount(ol, q, *done.get(ol.pk, (0, 0)))
        picks = [(None, q)]
        if ol.item_id in managed:
            picks = bs.fefo_pick(ol.item, order.warehouse, q, on) or [(None, q)]
        amounts = _split(amt, [p[1] for p in picks])
        for (batch, pq), pa in zip(picks, amounts):
            row = {"item": ol.item.code, "qty": fmt_qty(pq), "unit_price": exact_price(pa, pq),
                   "sales_order": order.no, "order_line": n}
            if ol.gift:
                row["gift"] = True
            if batch:
                row["batch"] = batch
            out.append(row)
    return {"type": "sales_delivery", "ref": ref or next_ref("sales_delivery", on), "date": on.isoformat(),
            "customer": order.customer.code, "warehouse": order.warehouse.code, "lines": out}


def next_ref(typ: str, d: Date) -> str:
    from stockbook.web.views.documents import next_ref as nr

    return nr(typ, d)


def deliver(order: SalesOrder | str, qtys: dict | None = None, *, on=None, ref=None, user=None, source="web"):
    """Post the delivery (a PostResult: posted, or pending when an approval workflow covers deliveries)."""
    from stockbook.posting.service import post

    from .service import get_order

    order = get_order(order if isinstance(order, str) else order.no)
    doc = build_delivery(order, qtys, on=on, ref=ref)
    return post(doc, user=user, source=source)


# -- invoice ---------------------------------------------------------------------------------------------------
def uninvoiced(order: SalesOrder) -> list[dict]:
    """The order's delivery lines with what is not yet invoiced or returned: [{delivery, line, qty_base,
    unit_price, tax_rate, item, order_line}] (gift lines, worth 0, are left out)."""
    from stockbook.posting.models import Document, DocumentLine

    links = list(DeliveryLink.objects.filter(order=order, document__status=Document.POSTED)
                 .select_related("document", "order_line", "order_line__item").order_by("document__date", "document_id", "line_no"))
    if not links:
        return []
    used = {(r["ref_document_id"], r["ref_line"]): r["q"] for r in DocumentLine.objects.filter(
        ref_document_id__in={lk.document_id for lk in links}, document__type__in=("sales_invoice", "sales_return"),
        document__status=Document.POSTED).values("ref_document_id", "ref_line").annotate(q=Sum("qty_base")).order_by()}
    prices = {(r["document_id"], r["line_no"]): r["unit_price"] for r in DocumentLine.objects.filter(
        document_id__in={lk.document_id for lk in links}).values("document_id", "line_no", "unit_price")}
    out = []
    for lk in links:
        left = lk.qty_base - used.get((lk.document_id, lk.line_no), 0)
        if left > 0 and not lk.order_line.gift:
            out.append(dict(delivery=lk.document.ref, line=lk.line_no, qty_base=left, unit_price=prices[(lk.document_id, lk.line_no)],
                            tax_rate=lk.order_line.tax_rate, item=lk.order_line.item, order_line=lk.order_line.line_no))
    return out


def build_invoice(order: SalesOrder, *, on=None, ref=None, rows=None) -> dict:
    on = on or timezone.localdate()
    rows = rows if rows is not None else uninvoiced(order)
    if not rows:
        raise DocError("invalid_value", f"销售订单 {order.no} 没有未开票的出库行", field="lines")
    return {"type": "sales_invoice", "ref": ref or next_ref("sales_invoice", on), "date": on.isoformat(),
            "customer": order.customer.code, "lines": [
                {"delivery": r["delivery"], "line": r["line"], "qty": fmt_qty(r["qty_base"]), "unit_price": r["unit_price"],
                 "tax_rate": format(Decimal(r["tax_rate"]).normalize(), "f")} for r in rows]}


def invoice(order: SalesOrder | str, *, on=None, ref=None, user=None, source="web"):
    from stockbook.posting.service import post

    from .service import get_order

    order = get_order(order if isinstance(order, str) else order.no)
    return post(build_invoice(order, on=on, ref=ref), user=user, source=source)


def order_documents(order: SalesOrder) -> dict:
    """{deliveries, invoices, receipts}: the posted documents of an order (for its page)."""
    from stockbook.posting.models import Document, DocumentLine

    d_ids = set(DeliveryLink.objects.filter(order=order).values_list("document_id", flat=True))
    deliveries = list(Document.objects.filter(pk__in=d_ids).order_by("date", "id"))
    inv_ids = set(DocumentLine.objects.filter(ref_document_id__in=d_ids, document__type="sales_invoice")
                  .values_list("document_id", flat=True))
    invoices = list(Document.objects.filter(pk__in=inv_ids).order_by("date", "id"))
    rec_ids = set(DocumentLine.objects.filter(ref_document_id__in=inv_ids, document__type="customer_receipt")
                  .values_list("document_id", flat=True))
    receipts = list(Document.objects.filter(pk__in=rec_ids).order_by("date", "id"))
    return {"deliveries": deliveries, "invoices": invoices, "receipts": receipts}


def build_receipt(order: SalesOrder, amount, *, account="1002", on=None, ref=None) -> dict:
    """A customer_receipt of ``amount`` allocated to the order's open invoices, oldest first."""
    from stockbook.core.money import parse_money, round2, to_fen
    from stockbook.posting.handlers.business import open_amount

    on = on or timezone.localdate()
    fen = to_fen(round2(parse_money(amount, "amount")))
    allocs, left = [], fen
    for inv in order_documents(order)["invoices"]:
        if left <= 0:
            break
        if inv.status != inv.POSTED:
            continue
        a = min(open_amount(inv), left)
        if a > 0:
            allocs.append({"invoice": inv.ref, "amount": f"{a / 100:.2f}"})
            left -= a
    doc = {"type": "customer_receipt", "ref": ref or next_ref("customer_receipt", on), "date": on.isoformat(),
           "customer": order.customer.code, "account": account, "amount": f"{fen / 100:.2f}"}
    if allocs:
        doc["allocations"] = allocs
    return doc


def collect(order, amount, *, account="1002", on=None, ref=None, user=None, source="web"):
    from stockbook.posting.service import post

    from .service import get_order

    order = get_order(order if isinstance(order, str) else order.no)
    return post(build_receipt(order, amount, account=account, on=on, ref=ref), user=user, source=source)
