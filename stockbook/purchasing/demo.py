"""The demo's purchasing: historical receipts get their purchase orders back (补录), and the open month shows the
live flows. ``load(out) -> list[str]`` is idempotent (a second run writes nothing new) and returns summary lines.

- Back-fill: about two of every three historical purchase receipts (by a hash of the ref, stable across runs) get an approved PO of the same
  supplier, warehouse, items, quantities and prices, dated a week before the receipt (expected date: the receipt
  date, or two days earlier for about every fifth one — so the supplier scores have late deliveries), linked directly
  (ReceiptLink / ReturnLink rows: no document is posted), status 已关闭 when older than 60 days, else 已到货
  (部分到货 when a return took some back).
- Live, in the first open month: a requisition approved and converted to a draft PO; an approved PO awaiting
  receipt; a PO pending approval (workflow "采购订单审批（2 万元以上）": 财务主管, then 管理层); a PO partly received
  with a QC reject and its purchase return. Live documents are posted with post(..., source="demo")."""
import zlib
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from stockbook.core.errors import DocError
from stockbook.core.numbering import next_monthly_number
from stockbook.demo import days
from stockbook.demo.days import live_day
from stockbook.core.money import fmt_qty, round2, to_fen
from stockbook.posting.models import Document, DocumentLine

from .models import PurchaseOrder, PurchaseOrderLine, ReceiptLink, Requisition, ReturnLink

PO = PurchaseOrder
WORKFLOW = "采购订单审批（2 万元以上）"
LIVE = "[演示]"


def ensure_workflow():
    from django.contrib.auth.models import Group

    from stockbook.access.roles import ensure_roles
    from stockbook.approvals.models import MODE_ANY, Step, Workflow

    ensure_roles()
    wf = Workflow.objects.filter(name=WORKFLOW).first()
    if wf is not None:
        return wf
    wf = Workflow.objects.create(doc_type="purchase_order", name=WORKFLOW, min_amount=2_000_000, priority=10)
    for level, (name, role) in enumerate([("财务主管审批", "财务主管"), ("管理层审批", "管理层")], 1):
        s = Step.objects.create(workflow=wf, level=level, name=name, mode=MODE_ANY, timeout_hours=24)
        s.roles.set([Group.objects.get(name=role)])
    return wf


@transaction.atomic
def backfill(today: date | None = None) -> int:
    """POs for historical receipts not linked yet; returns the number of orders written."""
    from .services import factor

    today = today or days.today()
    linked = set(ReceiptLink.objects.values_list("document_id", flat=True))
    receipts = list(Document.objects.filter(type="purchase_receipt", status=Document.POSTED, source__in=["demo", "import"])
                    .exclude(ref__startswith="CGRK-SP-").select_related("supplier", "warehouse").order_by("ref"))
    made = 0
    for doc in receipts:
        n = zlib.crc32(doc.ref.encode())
        if n % 3 == 2 or doc.pk in linked or doc.supplier_id is None:
            continue
        lines = list(DocumentLine.objects.filter(document=doc).select_related("item").order_by("line_no"))
        if not lines or any(dl.item_id is None or not dl.unit_price for dl in lines):
            continue
        order_day = doc.date - timedelta(days=7)
        expected = doc.date - timedelta(days=2) if n % 5 == 0 else doc.date
        po = PurchaseOrder.objects.create(number=next_monthly_number(PurchaseOrder, "number", "CGDD", order_day), supplier=doc.supplier,
                                          warehouse=doc.warehouse, order_date=order_day, expected_date=expected,
                                          memo=f"历史补录（入库单 {doc.ref}）", status=PO.APPROVED, source="demo-backfill")
        amount = tax = 0
        links = []
        for i, dl in enumerate(lines, 1):
            rate = Decimal(dl.item.tax_rate or 0)
            line_tax = to_fen(round2(Decimal(dl.amount or 0) / 100 * rate))
            pol = PurchaseOrderLine.objects.create(order=po, line_no=i, item=dl.item, uom=dl.uom or dl.item.uom, qty=dl.qty,
                                                   qty_base=dl.qty_base, unit_price=dl.unit_price, tax_rate=rate,
                                                   amount=dl.amount or 0, tax=line_tax, expected_date=expected)
            amount += dl.amount or 0
            tax += line_tax
            links.append(ReceiptLink(po_line=pol, document=doc, line_no=dl.line_no, qty_base=dl.qty_base, date=doc.date,
                                     unit_price_base=str(Decimal(dl.unit_price) / factor(dl.item, dl.uom))))
        ReceiptLink.objects.bulk_create(links)
        by_line = {lk.line_no: lk for lk in ReceiptLink.objects.filter(document=doc)}
        returned = False
        for rl in DocumentLine.objects.filter(ref_document=doc, document__type="purchase_return", document__status=Document.POSTED):
            lk = by_line.get(rl.ref_line)
            if lk is not None:
                ReturnLink.objects.create(link=lk, document_id=rl.document_id, qty_base=rl.qty_base)
                returned = True
        po.amount, po.tax = amount, tax
        po.status = PO.CLOSED if (today - doc.date).days > 60 else (PO.PARTIAL if returned else PO.RECEIVED)
        po.approved_at = None
        po.save(update_fields=["amount", "tax", "status"])
        made += 1
    return made


def _pairs(limit=4):
    """(supplier, item, last price text, warehouse) of the most recent receipts, distinct (supplier, item)."""
    seen, out = set(), []
    for dl in (DocumentLine.objects.filter(document__type="purchase_receipt", document__status=Document.POSTED, item__isnull=False)
               .select_related("document__supplier", "item").order_by("-document__date", "-id")[:400]):
        s = dl.document.supplier
        if s is None or (s.code, dl.item.code) in seen or not dl.unit_price or (dl.uom and dl.uom != dl.item.uom):
            continue
        seen.add((s.code, dl.item.code))
        out.append((s.code, dl.item.code, dl.unit_price, dl.document.warehouse.code))
        if len(out) == limit:
            break
    return out


def live(out_lines: list[str]):
    from django.contrib.auth.models import User

    from stockbook.posting.books import Books

    from . import services

    if PurchaseOrder.objects.filter(memo__startswith=LIVE).exists():
        out_lines.append("采购演示流程已存在（未重复生成）")
        return
    books = Books()
    if books.company is None:
        return
    day = live_day(books)
    first = day.replace(day=1)
    pairs = _pairs()
    if len(pairs) < 4:
        return
    pairs.sort(key=lambda x: Decimal(x[2]), reverse=True)  # [2] the dearest: the PO pending approval; [3] the cheapest
    buyer = User.objects.filter(username="buyer").first()
    chief = User.objects.filter(username="chief").first()
    ensure_workflow()

    # 1. requisition → approved → converted to a draft PO
    s, item, price, wh = pairs[0]
    req = services.create_requisition({"date": first.isoformat(), "department": "生产部", "memo": f"{LIVE} 月度补料",
                                       "lines": [{"item": item, "qty": "50", "needed_by": (day + timedelta(days=10)).isoformat(),
                                                  "reason": "生产领用补充"}]}, user=buyer)
    services.requisition_to(req, Requisition.SUBMITTED, user=buyer)
    services.requisition_to(req, Requisition.APPROVED, user=None)
    req.approved_by = chief
    req.save(update_fields=["approved_by"])
    pos = services.convert_requisition(req, {1: s}, warehouse=wh, user=buyer, day=first)
    for po in pos:
        PurchaseOrder.objects.filter(pk=po.pk).update(memo=f"{LIVE} 由请购单 {req.number} 转入")
    out_lines.append(f"请购单 {req.number} 已转采购订单 {', '.join(p.number for p in pos)}（草稿）")

    # 2. an approved PO awaiting receipt (below the workflow's 20,000.00)
    s, item, price, wh = pairs[1]
    qty = _qty_for(price, Decimal("15000"))
    po = services.create_order({"supplier": s, "warehouse": wh, "order_date": first.isoformat(),
                                "expected_date": (day + timedelta(days=7)).isoformat(), "memo": f"{LIVE} 待到货",
                                "lines": [{"item": item, "qty": qty, "unit_price": price}]}, user=buyer, source="demo")
    po = services.submit(po, user=buyer)
    out_lines.append(f"采购订单 {po.number} {po.get_status_display()}，等待到货")

    # 3. a PO pending approval (over 20,000.00)
    s, item, price, wh = pairs[2]
    qty = _qty_for(price, Decimal("60000"))
    po = services.create_order({"supplier": s, "warehouse": wh, "order_date": day.isoformat(), "memo": f"{LIVE} 大额备货",
                                "lines": [{"item": item, "qty": qty, "unit_price": price}]}, user=buyer, source="demo")
    po = services.submit(po, user=buyer)
    out_lines.append(f"采购订单 {po.number} {po.get_status_display()}（财务主管 chief → 管理层 boss）")

    # 4. partly received, QC reject, return (the cheapest item: below the workflow's amount)
    s, item, price, wh = pairs[3]
    n = 100 if Decimal(price) <= 120 else max(int(Decimal("12000") / Decimal(price)), 5)
    got, rej = -(-n * 6 // 10), max(n // 20, 1)
    po = services.create_order({"supplier": s, "warehouse": wh, "order_date": first.isoformat(),
                                "expected_date": (first + timedelta(days=3)).isoformat(), "memo": f"{LIVE} 部分到货",
                                "lines": [{"item": item, "qty": str(n), "unit_price": price}]}, user=buyer, source="demo")
    po = services.submit(po, user=None)
    ref = f"CGRK-{first:%Y%m}-DEMO1"
    services.receive(po, [{"order_line": 1, "qty": str(got)}], ref=ref, day=first + timedelta(days=3), source="demo")
    insp = services.inspect(ref, [{"line": 1, "accepted": str(got - rej), "rejected": str(rej), "reason": "外包装破损"}],
                            day=first + timedelta(days=4), source="demo")
    po.refresh_from_db()
    out_lines.append(f"采购订单 {po.number} {po.get_status_display()}：入库 {ref} {got}，质检不合格 {rej} 已退货 {insp.return_document.ref}")


def _qty_for(price: str, budget: Decimal) -> str:
    p = Decimal(price)
    if p <= 0:
        return "10"
    return fmt_qty(max(int(budget / p), 1) * 10000)


def load(out=None) -> list[str]:
    lines = []
    try:
        n = backfill()
        total = PurchaseOrder.objects.filter(source="demo-backfill").count()
        lines.append(f"历史采购订单补录：本次 {n} 张，共 {total} 张（与历史入库单关联）")
        with transaction.atomic():
            live(lines)
    except DocError as e:
        lines.append(f"采购演示未完成：{e.code} {e.message}")
    if out is not None:
        for ln in lines:
            print(f"  {ln}", file=out)
    return lines
