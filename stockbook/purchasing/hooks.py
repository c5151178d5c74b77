"""Extension hooks (stockbook.posting.extensions): purchase receipts naming a PO (``order``/``order_line`` on a
line) are checked against it and linked; purchase returns of linked receipt lines give the qty back to the PO;
purchase invoices of linked receipt lines pass the three-way match. Each hook returns at once when the document
carries none of our fields (posting speed is benchmarked)."""
from decimal import Decimal

from django.db.models import Sum

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty, round2
from stockbook.posting.models import Document, DocumentLine

from .models import PurchaseOrder, PurchaseOrderLine, PurchaseSettings, ReceiptLink, ReturnLink

PO = PurchaseOrder


def _q(n: int) -> str:
    return fmt_qty(n)


def on_receipt(ctx, doc, vouchers):
    raw = ctx.obj.get("lines")
    if not isinstance(raw, list) or not any(isinstance(ln, dict) and "order" in ln for ln in raw):
        return
    from .services import STATUS_NAMES, base_price, refresh_status

    doc_lines = {dl.line_no: dl for dl in DocumentLine.objects.filter(document=doc).select_related("item")}
    tol = PurchaseSettings.current().over_receipt_pct
    orders: dict[str, PurchaseOrder] = {}
    this: dict[int, int] = {}
    links = []
    for n, ln in enumerate(raw, 1):
        if not isinstance(ln, dict) or "order" not in ln:
            continue
        number = ln.get("order")
        if not isinstance(number, str) or not number:
            raise DocError("invalid_value", "order 应为采购订单号", field="order", line=n)
        po = orders.get(number)
        if po is None:
            po = PurchaseOrder.objects.select_for_update().filter(number=number).first()
            if po is None:
                raise DocError("unknown_reference", f"采购订单 {number} 不存在", field="order", line=n)
            if po.status not in PO.RECEIVABLE:
                raise DocError("invalid_status", f"采购订单 {number} 当前状态为“{STATUS_NAMES[po.status]}”，不能收货", field="order", line=n)
            if po.supplier_id != doc.supplier_id:
                raise DocError("invalid_value", f"采购订单 {number} 的供应商是 {po.supplier.code}，与入库单不同", field="supplier", line=n)
            orders[number] = po
        dl = doc_lines[n]
        no = ln.get("order_line")
        if no is None:
            cands = list(po.lines.filter(item_id=dl.item_id))
            if len(cands) != 1:
                raise DocError("invalid_value", f"请指明采购订单 {number} 的行号（order_line）", field="order_line", line=n)
            pol = cands[0]
        else:
            if not isinstance(no, int) or isinstance(no, bool):
                raise DocError("invalid_value", "order_line 应为整数", field="order_line", line=n)
            pol = po.lines.filter(line_no=no).first()
            if pol is None:
                raise DocError("unknown_reference", f"采购订单 {number} 没有第 {no} 行", field="order_line", line=n)
        if pol.item_id != dl.item_id:
            raise DocError("invalid_value", f"采购订单 {number} 第 {pol.line_no} 行的存货是 {pol.item.code}，与入库存货 {dl.item.code} 不同",
                           field="item", line=n)
        from .services import received_by_line

        before = received_by_line(line_ids=[pol.pk]).get(pol.pk, 0) + this.get(pol.pk, 0)
        limit = (Decimal(pol.qty_base) * (1 + tol / 100)).to_integral_value(rounding="ROUND_FLOOR")
        if before + dl.qty_base > limit:
            raise DocError("over_receipt",
                           f"采购订单 {number} 第 {pol.line_no} 行订购 {_q(pol.qty_base)} {dl.item.uom}，已收 {_q(before)}，"
                           f"本次 {_q(dl.qty_base)}，超过允许的 {_q(int(limit))}（超收比例 {format(tol.normalize(), 'f')}%）",
                           field="qty", line=n)
        this[pol.pk] = this.get(pol.pk, 0) + dl.qty_base
        price = base_price(dl.unit_price or "0", dl.item, dl.uom) if dl.unit_price else Decimal(0)
        links.append(ReceiptLink(po_line=pol, document=doc, line_no=n, qty_base=dl.qty_base, date=doc.date,
                                 unit_price_base=str(price)))
    ReceiptLink.objects.bulk_create(links)
    for po in orders.values():
        refresh_status(po)


def on_return(ctx, doc, vouchers):
    if doc.ref_document_id is None or not ReceiptLink.objects.filter(document_id=doc.ref_document_id).exists():
        return
    from .services import refresh_status

    links = {lk.line_no: lk for lk in ReceiptLink.objects.filter(document_id=doc.ref_document_id)}
    rows, orders = [], set()
    for dl in DocumentLine.objects.filter(document=doc):
        lk = links.get(dl.ref_line)
        if lk is not None:
            rows.append(ReturnLink(link=lk, document=doc, qty_base=dl.qty_base))
            orders.add(lk.po_line.order_id)
    ReturnLink.objects.bulk_create(rows)
    for po in PurchaseOrder.objects.filter(pk__in=orders).select_for_update():
        refresh_status(po)


def po_price_in(pol: PurchaseOrderLine, item, uom) -> Decimal:
    from .services import base_price, factor

    return base_price(pol.unit_price, pol.item, pol.uom) * factor(item, uom)


def price_matches(po_price: Decimal, inv_price: Decimal, tol_pct: Decimal) -> bool:
    """Tolerance 0: equal to the 分 per unit; else |invoice − PO| ≤ PO × tol %."""
    if tol_pct == 0:
        return round2(po_price) == round2(inv_price)
    return abs(inv_price - po_price) <= po_price * tol_pct / 100


def on_invoice(ctx, doc, vouchers):
    lines = list(DocumentLine.objects.filter(document=doc).select_related("item"))
    receipts = {dl.ref_document_id for dl in lines if dl.ref_document_id}
    if not receipts:
        return
    links = {(lk.document_id, lk.line_no): lk for lk in
             ReceiptLink.objects.filter(document_id__in=receipts).select_related("po_line__item", "po_line__order")}
    if not links:
        return
    tol = PurchaseSettings.current().price_tolerance_pct
    for dl in lines:
        lk = links.get((dl.ref_document_id, dl.ref_line))
        if lk is None:
            continue
        pol = lk.po_line
        expected = po_price_in(pol, dl.item, dl.uom)
        got = Decimal(dl.unit_price)
        if not price_matches(expected, got, tol):
            raise DocError("three_way_mismatch",
                           f"第 {dl.line_no} 行：采购订单 {pol.order.number} 第 {pol.line_no} 行单价 {_money(expected)}，"
                           f"发票单价 {_money(got)}，不符（价格容差 {format(tol.normalize(), 'f')}%）", field="unit_price", line=dl.line_no)
        # qty: all invoices of this receipt line (net of red invoices) ≤ accepted (received − returned)
        invoiced = sum(q for _l, q in invoiced_lines(dl.ref_document_id, dl.ref_line))
        returned = lk.returns.aggregate(q=Sum("qty_base"))["q"] or 0
        accepted = lk.qty_base - returned
        if invoiced > accepted:
            raise DocError("three_way_mismatch",
                           f"第 {dl.line_no} 行：入库单 {lk.document.ref} 第 {lk.line_no} 行合格入库 {_q(accepted)}，"
                           f"累计开票 {_q(invoiced)}，超过合格数量", field="qty", line=dl.line_no)


def invoiced_lines(receipt_id: int, line_no: int) -> list[tuple[DocumentLine, int]]:
    """The posted purchase invoice lines of a receipt line, each with its qty net of red invoices (红字发票)."""
    blue = list(DocumentLine.objects.filter(ref_document_id=receipt_id, ref_line=line_no, document__type="purchase_invoice",
                                            document__status=Document.POSTED).select_related("document", "item"))
    if not blue:
        return []
    red = {}
    for r in (DocumentLine.objects.filter(ref_document_id__in={b.document_id for b in blue}, document__type="purchase_red_invoice",
                                          document__status=Document.POSTED).values("ref_document_id", "ref_line")
              .annotate(q=Sum("qty_base")).order_by()):
        red[(r["ref_document_id"], r["ref_line"])] = r["q"] or 0
    return [(b, b.qty_base - red.get((b.document_id, b.line_no), 0)) for b in blue]


def _money(d: Decimal) -> str:
    s = format(Decimal(d).normalize(), "f")
    if "." not in s:
        return s + ".00"
    whole, frac = s.split(".")
    return f"{whole}.{frac:0<2}"


def on_void(doc, user):
    """A voided receipt gives its qty back to the PO (links removed); a voided return takes it again."""
    from .services import refresh_status

    if doc.type == "purchase_receipt":
        links = ReceiptLink.objects.filter(document=doc)
        orders = set(links.values_list("po_line__order_id", flat=True))
        if not orders:
            return
        ReturnLink.objects.filter(link__in=links).delete()
        links.delete()
    elif doc.type == "purchase_return":
        rl = ReturnLink.objects.filter(document=doc)
        orders = set(rl.values_list("link__po_line__order_id", flat=True))
        if not orders:
            return
        rl.delete()
    else:
        return
    for po in PurchaseOrder.objects.filter(pk__in=orders).select_for_update():
        refresh_status(po)


def register():
    from stockbook.posting import extensions

    extensions.on_post(on_receipt, types=["purchase_receipt"])
    extensions.on_post(on_return, types=["purchase_return"])
    extensions.on_post(on_invoice, types=["purchase_invoice"])
    extensions.on_void(on_void, types=["purchase_receipt", "purchase_return"])

    from stockbook.approvals import service as approvals
    from stockbook.approvals.models import ApprovalRequest

    previous = approvals.EXECUTORS.get(ApprovalRequest.KIND_ORDER)

    def order_executor(req):
        if req.doc_type == "purchase_order":
            from .services import execute_approval

            return execute_approval(req)
        if req.doc_type == "purchase_requisition":
            from .services import execute_requisition_approval

            return execute_requisition_approval(req)
        if previous is not None:
            return previous(req)
        raise DocError("invalid_value", f"没有处理 {req.doc_type} 审批的程序")

    order_executor.purchasing = True
    approvals.register_executor(ApprovalRequest.KIND_ORDER, order_executor)
