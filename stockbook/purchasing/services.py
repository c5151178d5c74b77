"""Purchase orders and requisitions: create, submit (approval by amount), status changes, receipts
against orders, quality checks, invoices from receipts. Everything that touches the books goes through
``posting.service.post``; errors are ``DocError`` with the contract's codes."""
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from stockbook.access import policy
from stockbook.core.errors import DocError
from stockbook.core.numbering import next_monthly_number
from stockbook.core.money import (from_qty_units, fmt_money, fmt_qty, parse_price, parse_qty, parse_rate, round2, to_fen,
                                  to_qty_units)
from stockbook.masterdata.models import Item, ItemUnit, Supplier, Warehouse
from stockbook.posting.models import Document, DocumentLine

from .models import (Inspection, InspectionLine, PurchaseOrder, PurchaseOrderLine, PurchaseSettings, ReceiptLink,
                     Requisition, RequisitionLine)

PO = PurchaseOrder
STATUS_NAMES = dict(PO.STATUSES)


# -- small helpers --------------------------------------------------------------------------------------------

def factor(item: Item, uom: str | None) -> Decimal:
    """Base units per one ``uom`` of ``item``; unknown unit → unknown_unit."""
    if not uom or uom == item.uom:
        return Decimal(1)
    u = ItemUnit.objects.filter(item=item, name=uom).first()
    if u is None:
        raise DocError("unknown_unit", f"存货 {item.code} 没有计量单位 {uom}", field="uom")
    return Decimal(u.factor)


def base_price(price: Decimal | str, item: Item, uom: str | None) -> Decimal:
    """A price per ``uom`` → per base unit (exact Decimal)."""
    return Decimal(price) / factor(item, uom)


def _require(user, *caps):
    if user is None:
        return
    for cap in caps:
        policy.require(user, cap)


def _parse_day(value, field) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DocError("invalid_value", f"{field} 日期格式不正确：{value}（应为 YYYY-MM-DD）", field=field) from None


def check_transition(po: PurchaseOrder, to: str):
    if to not in PO.TRANSITIONS.get(po.status, set()):
        raise DocError("invalid_status", f"采购订单 {po.number} 当前状态为“{STATUS_NAMES[po.status]}”，不能改为“{STATUS_NAMES[to]}”",
                       field="status")


def set_status(po: PurchaseOrder, to: str):
    if po.status == to:
        return
    check_transition(po, to)
    po.status = to
    fields = ["status"]
    if to == PO.APPROVED and po.approved_at is None:
        po.approved_at = timezone.now()
        fields.append("approved_at")
    po.save(update_fields=fields)


# -- create / edit ----------------------------------------------------------------------------------------------

def _lines(raw_lines, default_expected):
    if not isinstance(raw_lines, list) or not raw_lines:
        raise DocError("invalid_value", "订单至少要有一行", field="lines")
    out = []
    for n, ln in enumerate(raw_lines, 1):
        if not isinstance(ln, dict):
            raise DocError("invalid_value", f"第 {n} 行格式不正确", field="lines", line=n)
        try:
            code = ln.get("item")
            item = Item.objects.filter(code=code).first() if isinstance(code, str) else None
            if item is None:
                raise DocError("unknown_item", f"存货 {code} 不存在", field="item")
            q = parse_qty(ln.get("qty"), "qty")
            uom = ln.get("uom") or item.uom
            if not isinstance(uom, str):
                raise DocError("invalid_value", "uom 应为字符串", field="uom")
            f = factor(item, uom)
            price = parse_price(ln.get("unit_price"), "unit_price", allow_zero=True)
            rate = ln.get("tax_rate")
            rate = parse_rate(rate) if rate not in (None, "") else Decimal(item.tax_rate or 0)
            net = round2(q * price)
            tax = round2(net * rate)
            qbase = to_qty_units(q * f)
            expected = _parse_day(ln.get("expected_date"), "expected_date") or default_expected
        except DocError as e:
            e.line = n
            raise
        out.append(PurchaseOrderLine(line_no=n, item=item, uom=uom, qty=to_qty_units(q), qty_base=qbase,
                                     unit_price=str(price), tax_rate=rate, amount=to_fen(net), tax=to_fen(tax),
                                     expected_date=expected))
    return out


def create_order(obj: dict, user=None, source="web") -> PurchaseOrder:
    """A draft PO from {"supplier", "warehouse", "order_date", "expected_date"?, "memo"?, "lines": [{item, qty, uom?,
    unit_price, tax_rate?, expected_date?}], "number"?}."""
    _require(user, "order_purchase")
    if not isinstance(obj, dict):
        raise DocError("invalid_value", "请求应为 JSON 对象")
    sup = Supplier.objects.filter(code=obj.get("supplier")).first() if isinstance(obj.get("supplier"), str) else None
    if sup is None:
        raise DocError("unknown_party", f"供应商 {obj.get('supplier')} 不存在", field="supplier")
    wh = Warehouse.objects.filter(code=obj.get("warehouse")).first() if isinstance(obj.get("warehouse"), str) else None
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {obj.get('warehouse')} 不存在", field="warehouse")
    if user is not None:
        policy.check_warehouse(user, wh.pk)
    day = _parse_day(obj.get("order_date") or obj.get("date"), "order_date") or date.today()
    expected = _parse_day(obj.get("expected_date"), "expected_date")
    if expected and expected < day:
        raise DocError("invalid_value", "预计到货日期不能早于订单日期", field="expected_date")
    memo = obj.get("memo") or ""
    if not isinstance(memo, str):
        raise DocError("invalid_value", "memo 应为字符串", field="memo")
    lines = _lines(obj.get("lines"), expected)
    number = obj.get("number")
    if number is not None and (not isinstance(number, str) or not number.strip()):
        raise DocError("invalid_value", "number 应为非空字符串", field="number")
    for attempt in range(5):
        try:
            with transaction.atomic():
                po = PurchaseOrder.objects.create(
                    number=number or next_monthly_number(PurchaseOrder, "number", "CGDD", day), supplier=sup, warehouse=wh, order_date=day,
                    expected_date=expected, memo=memo[:500], amount=sum(ln.amount for ln in lines),
                    tax=sum(ln.tax for ln in lines), created_by=user if getattr(user, "pk", None) else None, source=source)
                for ln in lines:
                    ln.order = po
                PurchaseOrderLine.objects.bulk_create(lines)
                return po
        except IntegrityError:
            if number:
                raise DocError("duplicate_ref", f"订单号 {number} 已存在", field="number") from None
    raise DocError("duplicate_ref", "订单号分配冲突，请重试")


def replace_lines(po: PurchaseOrder, obj: dict, user=None) -> PurchaseOrder:
    """Edit a draft (草稿 or 已驳回 taken back to draft): header fields given and all lines replaced."""
    _require(user, "order_purchase")
    if not isinstance(obj, dict):
        raise DocError("invalid_value", "请求应为 JSON 对象")
    if po.status != PO.DRAFT:
        raise DocError("invalid_status", f"只有草稿状态的订单可以修改（当前：{STATUS_NAMES[po.status]}）", field="status")
    if obj.get("supplier") not in (None, ""):
        sup = Supplier.objects.filter(code=obj["supplier"]).first() if isinstance(obj["supplier"], str) else None
        if sup is None:
            raise DocError("unknown_party", f"供应商 {obj.get('supplier')} 不存在", field="supplier")
        po.supplier = sup
    if obj.get("warehouse") not in (None, ""):
        wh = Warehouse.objects.filter(code=obj["warehouse"]).first() if isinstance(obj["warehouse"], str) else None
        if wh is None:
            raise DocError("unknown_warehouse", f"仓库 {obj.get('warehouse')} 不存在", field="warehouse")
        if user is not None:
            policy.check_warehouse(user, wh.pk)
        po.warehouse = wh
    if obj.get("order_date") not in (None, ""):
        po.order_date = _parse_day(obj["order_date"], "order_date")
    expected = _parse_day(obj.get("expected_date"), "expected_date") if "expected_date" in obj else po.expected_date
    if expected and expected < po.order_date:
        raise DocError("invalid_value", "预计到货日期不能早于订单日期", field="expected_date")
    lines = _lines(obj.get("lines"), expected)
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        if locked.status != PO.DRAFT:
            raise DocError("invalid_status", "订单状态已变化，请刷新后重试", field="status")
        po.lines.all().delete()
        for ln in lines:
            ln.order = po
        PurchaseOrderLine.objects.bulk_create(lines)
        po.expected_date = expected
        if isinstance(obj.get("memo"), str):
            po.memo = obj["memo"][:500]
        po.amount, po.tax = sum(ln.amount for ln in lines), sum(ln.tax for ln in lines)
        po.save()
    return po


# -- approval -----------------------------------------------------------------------------------------------------

def approval_payload(po: PurchaseOrder) -> dict:
    return {"type": "purchase_order", "ref": po.number, "date": po.order_date.isoformat(), "supplier": po.supplier.code,
            "warehouse": po.warehouse.code, "amount": fmt_money(po.amount), "tax": fmt_money(po.tax),
            "lines": [{"item": ln.item.code, "qty": fmt_qty(ln.qty), "uom": ln.uom, "unit_price": ln.unit_price,
                       "tax_rate": str(ln.tax_rate.normalize()), "warehouse": po.warehouse.code}
                      for ln in po.lines.select_related("item")]}


def submit(po: PurchaseOrder, user=None):
    """草稿 → 待审批 through the workflow covering the order's amount (tax included); none → 已审批 at once."""
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import find_workflow
    from stockbook.approvals.service import submit as submit_request

    _require(user, "order_purchase")
    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        if po.status != PO.DRAFT:
            raise DocError("invalid_status", f"订单 {po.number} 当前状态为“{STATUS_NAMES[po.status]}”，只有草稿可以提交", field="status")
        wf = find_workflow("purchase_order", po.total)
        if wf is None or user is None:
            set_status(po, PO.APPROVED)
            return po
        req = submit_request(workflow=wf, doc_type="purchase_order", ref=po.number, obj=approval_payload(po), maker=user,
                             amount=po.total, kind=ApprovalRequest.KIND_ORDER)
        po.approval = req
        po.save(update_fields=["approval"])
        set_status(po, PO.PENDING)
    return po


def execute_approval(req):
    """The approvals executor for doc_type purchase_order: the final approval marks the PO 已审批."""
    po = PurchaseOrder.objects.select_for_update().filter(number=req.ref).first()
    if po is None:
        raise DocError("unknown_reference", f"采购订单 {req.ref} 不存在")
    if po.status != PO.PENDING:
        raise DocError("invalid_status", f"采购订单 {po.number} 当前状态为“{STATUS_NAMES[po.status]}”，不在审批中")
    set_status(po, PO.APPROVED)
    return None


def sync_approval(po: PurchaseOrder) -> PurchaseOrder:
    """A pending PO follows its approval request: rejected → 已驳回, withdrawn → 草稿."""
    if po.status != PO.PENDING or po.approval_id is None:
        return po
    from stockbook.approvals.models import ApprovalRequest

    st = ApprovalRequest.objects.filter(pk=po.approval_id).values_list("status", flat=True).first()
    if st == ApprovalRequest.REJECTED:
        set_status(po, PO.REJECTED)
    elif st in (getattr(ApprovalRequest, "CANCELLED", "cancelled"), ApprovalRequest.FAILED):
        set_status(po, PO.DRAFT)
    return po


def sync_pending():
    for po in PurchaseOrder.objects.filter(status=PO.PENDING, approval__isnull=False).exclude(approval__status="pending"):
        sync_approval(po)


def cancel(po: PurchaseOrder, user=None):
    _require(user, "order_purchase")
    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        if po.status in (PO.APPROVED,) and ReceiptLink.objects.filter(po_line__order=po).exists():
            raise DocError("invalid_status", "订单已有到货，不能取消；请关闭订单", field="status")
        if po.status == PO.PENDING and po.approval_id:
            from stockbook.approvals.models import ApprovalRequest
            ApprovalRequest.objects.filter(pk=po.approval_id, status=ApprovalRequest.PENDING).update(
                status=getattr(ApprovalRequest, "CANCELLED", "cancelled"), decided_at=timezone.now())
        set_status(po, PO.CANCELLED)
    return po


def close(po: PurchaseOrder, user=None):
    """已关闭: no more receipts (the open rest is given up, 金蝶“关闭”)."""
    _require(user, "order_purchase")
    with transaction.atomic():
        po = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        set_status(po, PO.CLOSED)
    return po


def back_to_draft(po: PurchaseOrder, user=None):
    _require(user, "order_purchase")
    set_status(po, PO.DRAFT)
    return po


# -- quantities ------------------------------------------------------------------------------------------------------

def received_by_line(order_ids=None, line_ids=None) -> dict[int, int]:
    """PO line id → received qty (base units) net of returns (QC rejects included)."""
    qs = ReceiptLink.objects.all()
    if order_ids is not None:
        qs = qs.filter(po_line__order_id__in=order_ids)
    if line_ids is not None:
        qs = qs.filter(po_line_id__in=line_ids)
    got = {r["po_line_id"]: r["q"] or 0 for r in qs.values("po_line_id").annotate(q=Sum("qty_base"))}
    from .models import ReturnLink

    rq = ReturnLink.objects.filter(link__in=qs).values("link__po_line_id").annotate(q=Sum("qty_base"))
    for r in rq:
        got[r["link__po_line_id"]] = got.get(r["link__po_line_id"], 0) - (r["q"] or 0)
    return got


def refresh_status(po: PurchaseOrder):
    """已审批 / 部分到货 / 已到货 from the received quantities (closed and cancelled orders keep theirs)."""
    if po.status not in (PO.APPROVED, PO.PARTIAL, PO.RECEIVED):
        return
    got = received_by_line(order_ids=[po.pk])
    lines = list(po.lines.all())
    if all(got.get(ln.pk, 0) >= ln.qty_base for ln in lines):
        to = PO.RECEIVED
    elif any(got.get(ln.pk, 0) > 0 for ln in lines):
        to = PO.PARTIAL
    else:
        to = PO.APPROVED
    if to != po.status:
        PurchaseOrder.objects.filter(pk=po.pk).update(status=to)
        po.status = to


def open_lines(po: PurchaseOrder) -> list[dict]:
    """Per PO line: ordered, received (net), open (base units) and the open qty in the line's unit."""
    got = received_by_line(order_ids=[po.pk])
    out = []
    for ln in po.lines.select_related("item"):
        rec = got.get(ln.pk, 0)
        open_base = max(ln.qty_base - rec, 0)
        f = factor(ln.item, ln.uom)
        out.append({"line": ln, "received_base": rec, "open_base": open_base,
                    "open_qty": from_qty_units(open_base) / f})
    return out


# -- receipts against an order -----------------------------------------------------------------------------------------

def receipt_from_order(po: PurchaseOrder, lines: list[dict], *, ref: str, day: date, warehouse: str | None = None,
                       memo: str = "") -> dict:
    """The contract purchase_receipt for ``lines`` [{"order_line": n, "qty": text, "uom"?, "unit_price"?}] of ``po``
    (unit_price defaults to the PO line's price, converted to the line's unit)."""
    by_no = {ln.line_no: ln for ln in po.lines.select_related("item")}
    out = []
    for i, row in enumerate(lines, 1):
        n = row.get("order_line")
        pol = by_no.get(n) if isinstance(n, int) else None
        if pol is None:
            raise DocError("unknown_reference", f"订单 {po.number} 没有第 {n} 行", field="order_line", line=i)
        uom = row.get("uom") or pol.uom
        price = row.get("unit_price")
        if price in (None, ""):
            price = _price_text(base_price(pol.unit_price, pol.item, pol.uom) * factor(pol.item, uom))
        ln = {"item": pol.item.code, "qty": row.get("qty"), "unit_price": price, "order": po.number, "order_line": pol.line_no}
        if uom != pol.item.uom:
            ln["uom"] = uom
        out.append(ln)
    doc = {"type": "purchase_receipt", "ref": ref, "date": day.isoformat(), "supplier": po.supplier.code,
           "warehouse": warehouse or po.warehouse.code, "lines": out}
    if memo:
        doc["memo"] = memo
    return doc


def receive(po: PurchaseOrder, lines, *, ref=None, day=None, warehouse=None, user=None, source="web"):
    """Post a receipt against ``po``; returns the PostResult."""
    from stockbook.posting.service import post

    if po.status not in PO.RECEIVABLE:
        raise DocError("invalid_status", f"订单 {po.number} 当前状态为“{STATUS_NAMES[po.status]}”，不能收货", field="order")
    lines = [ln for ln in lines if ln.get("qty") not in (None, "", "0", 0)]
    if not lines:
        raise DocError("invalid_value", "请至少填写一行收货数量", field="lines")
    day = day or date.today()
    ref = ref or _next_receipt_ref(day)
    return post(receipt_from_order(po, lines, ref=ref, day=day, warehouse=warehouse), user=user, source=source)


def _next_receipt_ref(day: date) -> str:
    head = f"CGRK-{day:%Y%m}-"
    last = (Document.objects.filter(type="purchase_receipt", ref__startswith=head).order_by("-ref")
            .values_list("ref", flat=True).first())
    n = int(last[len(head):]) + 1 if last and last[len(head):].isdigit() else 1
    return f"{head}{n:04d}"


# -- quality check ------------------------------------------------------------------------------------------------------

def inspect(receipt_ref: str, lines: list[dict], *, user=None, day=None, memo="", source="web") -> Inspection:
    """到货质检 of a posted receipt: per line {"line", "accepted", "rejected", "reason"?} in the line's unit;
    accepted + rejected = received; rejected qty is posted at once as a purchase_return (QC-<receipt>)."""
    from stockbook.posting.service import post

    _require(user, "quality_check")
    receipt = Document.objects.filter(type="purchase_receipt", ref=receipt_ref).first()
    if receipt is None:
        raise DocError("unknown_reference", f"入库单 {receipt_ref} 不存在", field="receipt")
    if receipt.status != Document.POSTED:
        raise DocError("invalid_status", f"入库单 {receipt_ref} 已作废，不能质检", field="receipt")
    if user is not None and receipt.warehouse_id:
        policy.check_warehouse(user, receipt.warehouse_id)
    if Inspection.objects.filter(receipt=receipt).exists():
        raise DocError("invalid_status", f"入库单 {receipt_ref} 已质检过，不能重复质检", field="receipt")
    if not isinstance(lines, list) or not lines:
        raise DocError("invalid_value", "请填写质检结果", field="lines")
    doc_lines = {dl.line_no: dl for dl in DocumentLine.objects.filter(document=receipt).select_related("item")}
    day = day or max(date.today(), receipt.date)
    rows, seen, ret_lines = [], set(), []
    for i, row in enumerate(lines, 1):
        if not isinstance(row, dict):
            raise DocError("invalid_value", f"第 {i} 行格式不正确", line=i)
        n = row.get("line")
        dl = doc_lines.get(n) if isinstance(n, int) else None
        if dl is None:
            raise DocError("unknown_reference", f"入库单 {receipt_ref} 没有第 {n} 行", field="line", line=i)
        if n in seen:
            raise DocError("invalid_value", f"入库单第 {n} 行重复质检", field="line", line=i)
        seen.add(n)
        try:
            acc = parse_qty(row.get("accepted", "0"), "accepted", allow_zero=True)
            rej = parse_qty(row.get("rejected", "0"), "rejected", allow_zero=True)
        except DocError as e:
            e.line = i
            raise
        received = from_qty_units(dl.qty)
        if acc + rej != received:
            raise DocError("invalid_value", f"入库单第 {n} 行：合格 {fmt_qty(acc)} + 不合格 {fmt_qty(rej)} ≠ 到货 {fmt_qty(received)}",
                           field="accepted", line=i)
        reason = row.get("reason") or ""
        if not isinstance(reason, str):
            raise DocError("invalid_value", "reason 应为字符串", field="reason", line=i)
        if rej > 0 and not reason.strip():
            raise DocError("invalid_value", f"入库单第 {n} 行有不合格数量，请填写原因", field="reason", line=i)
        rej_base = to_qty_units(rej * factor(dl.item, dl.uom))
        rows.append(InspectionLine(line_no=n, item=dl.item, uom=dl.uom, received=dl.qty, accepted=to_qty_units(acc),
                                   rejected=to_qty_units(rej), rejected_base=rej_base, reason=reason[:200]))
        if rej > 0:
            rl = {"line": n, "qty": fmt_qty(rej)}
            if dl.uom and dl.uom != dl.item.uom:
                rl["uom"] = dl.uom
            ret_lines.append(rl)
    missing = set(doc_lines) - seen
    if missing:
        raise DocError("invalid_value", f"入库单第 {', '.join(map(str, sorted(missing)))} 行没有质检结果", field="lines")
    with transaction.atomic():
        insp = Inspection.objects.create(receipt=receipt, date=day, memo=memo[:500] if isinstance(memo, str) else "",
                                         inspected_by=user if getattr(user, "pk", None) else None)
        for r in rows:
            r.inspection = insp
        InspectionLine.objects.bulk_create(rows)
        if ret_lines:
            ret = {"type": "purchase_return", "ref": f"QC-{receipt.ref}", "date": day.isoformat(), "receipt": receipt.ref,
                   "lines": ret_lines, "inspection": insp.pk}
            # the 质检 right carries the return it causes (a warehouse inspector need not hold 采购单据)
            res = post(ret, user=None, source=source)
            insp.return_document = res.document
            insp.save(update_fields=["return_document"])
            if user is not None and getattr(user, "pk", None):
                from stockbook.audit import posted

                posted(res.document, res.vouchers, user)
    return insp


# -- requisitions -----------------------------------------------------------------------------------------------------------

REQ = Requisition
REQ_NAMES = dict(Requisition.STATUSES)


def create_requisition(obj: dict, user=None) -> Requisition:
    _require(user, "order_purchase")
    if not isinstance(obj, dict):
        raise DocError("invalid_value", "请求应为 JSON 对象")
    day = _parse_day(obj.get("date"), "date") or date.today()
    raw = obj.get("lines")
    if not isinstance(raw, list) or not raw:
        raise DocError("invalid_value", "请购单至少要有一行", field="lines")
    lines = []
    for n, ln in enumerate(raw, 1):
        if not isinstance(ln, dict):
            raise DocError("invalid_value", f"第 {n} 行格式不正确", line=n)
        item = Item.objects.filter(code=ln.get("item")).first() if isinstance(ln.get("item"), str) else None
        if item is None:
            raise DocError("unknown_item", f"存货 {ln.get('item')} 不存在", field="item", line=n)
        try:
            q = parse_qty(ln.get("qty"), "qty")
            needed = _parse_day(ln.get("needed_by"), "needed_by")
        except DocError as e:
            e.line = n
            raise
        reason = ln.get("reason") or ""
        lines.append(RequisitionLine(line_no=n, item=item, qty_base=to_qty_units(q), needed_by=needed, reason=str(reason)[:200]))
    dept = obj.get("department") or ""
    with transaction.atomic():
        r = Requisition.objects.create(number=next_monthly_number(Requisition, "number", "QGD", day), date=day, department=str(dept)[:100],
                                       memo=str(obj.get("memo") or "")[:500],
                                       requester=user if getattr(user, "pk", None) else None)
        for ln in lines:
            ln.requisition = r
        RequisitionLine.objects.bulk_create(lines)
    return r


def requisition_amount(r: Requisition) -> int:
    """Estimated amount (分, excl. tax) at each item's last price: what a requisition workflow's range compares."""
    total = Decimal(0)
    for ln in r.lines.all():
        price = last_price(ln.item_id)
        if price is not None:
            total += round2(from_qty_units(ln.qty_base) * price)
    return to_fen(total)


def requisition_to(r: Requisition, to: str, user=None) -> Requisition:
    """Status change of a requisition. Submitting goes through the approvals workflow of doc_type
    ``purchase_requisition`` covering its estimated amount when one exists (approved there, not here);
    without one a user holding 请购与采购订单 + 审批 (not the requester) approves or rejects it here."""
    _require(user, "order_purchase")
    r = sync_requisition(r)
    if to in (REQ.APPROVED, REQ.REJECTED):
        _require(user, "approve")
        if r.approval_id and r.status == REQ.SUBMITTED:
            raise DocError("invalid_status", f"请购单 {r.number} 在审批流程中，请在“审批”中处理", field="status")
        if user is not None and r.requester_id == getattr(user, "pk", None):
            from stockbook.approvals.service import self_approval_allowed
            if not self_approval_allowed():
                raise DocError("segregation_of_duties", "请购人不能批准自己的请购单")
    if to not in REQ.TRANSITIONS.get(r.status, set()):
        raise DocError("invalid_status", f"请购单 {r.number} 当前状态为“{REQ_NAMES[r.status]}”，不能改为“{REQ_NAMES[to]}”", field="status")
    with transaction.atomic():
        if to == REQ.SUBMITTED and user is not None and getattr(user, "pk", None):
            from stockbook.approvals.models import ApprovalRequest
            from stockbook.approvals.service import find_workflow
            from stockbook.approvals.service import submit as submit_request

            amount = requisition_amount(r)
            wf = find_workflow("purchase_requisition", amount)
            if wf is not None:
                payload = {"type": "purchase_requisition", "ref": r.number, "date": r.date.isoformat(), "department": r.department,
                           "amount": fmt_money(amount),
                           "lines": [{"item": ln.item.code, "qty": fmt_qty(ln.qty_base),
                                      "needed_by": ln.needed_by.isoformat() if ln.needed_by else None, "reason": ln.reason}
                                     for ln in r.lines.select_related("item")]}
                r.approval = submit_request(workflow=wf, doc_type="purchase_requisition", ref=r.number, obj=payload, maker=user,
                                            amount=amount, kind=ApprovalRequest.KIND_ORDER)
        r.status = to
        if to == REQ.APPROVED:
            r.approved_by = user if getattr(user, "pk", None) else None
        if to == REQ.DRAFT:
            r.approval = None
        r.save(update_fields=["status", "approved_by", "approval"])
    return r


def execute_requisition_approval(req):
    r = Requisition.objects.select_for_update().filter(number=req.ref).first()
    if r is None:
        raise DocError("unknown_reference", f"请购单 {req.ref} 不存在")
    if r.status != REQ.SUBMITTED:
        raise DocError("invalid_status", f"请购单 {r.number} 当前状态为“{REQ_NAMES[r.status]}”，不在审批中")
    r.status = REQ.APPROVED
    last = req.decisions.filter(action="approve").order_by("-at").first() if hasattr(req, "decisions") else None
    r.approved_by = last.user if last is not None else None
    r.save(update_fields=["status", "approved_by"])
    return None


def sync_requisition(r: Requisition) -> Requisition:
    """A submitted requisition follows its approval request: rejected → 已驳回, withdrawn/failed → 草稿."""
    if r.status != REQ.SUBMITTED or r.approval_id is None:
        return r
    from stockbook.approvals.models import ApprovalRequest

    st = ApprovalRequest.objects.filter(pk=r.approval_id).values_list("status", flat=True).first()
    if st == ApprovalRequest.REJECTED:
        r.status = REQ.REJECTED
    elif st in (ApprovalRequest.CANCELLED, ApprovalRequest.FAILED):
        r.status, r.approval = REQ.DRAFT, None
    else:
        return r
    r.save(update_fields=["status", "approval"])
    return r


def last_supplier(item_id: int):
    pol = (PurchaseOrderLine.objects.filter(item_id=item_id).exclude(order__status__in=[PO.CANCELLED, PO.REJECTED])
           .select_related("order__supplier").order_by("-order__order_date", "-id").first())
    if pol is not None:
        return pol.order.supplier
    dl = (DocumentLine.objects.filter(item_id=item_id, document__type="purchase_receipt", document__status=Document.POSTED)
          .select_related("document__supplier").order_by("-document__date", "-id").first())
    return dl.document.supplier if dl is not None else None


def last_price(item_id: int, supplier_id: int | None = None) -> Decimal | None:
    """The last price per base unit (PO lines and receipts)."""
    from .history import price_history

    rows = price_history(item_id, supplier_id=supplier_id, limit=1)
    return Decimal(rows[0]["price_base"]) if rows else None


def convert_requisition(r: Requisition, choices: dict[int, str | None], *, warehouse: str, user=None, day=None) -> list[PurchaseOrder]:
    """已批准 requisition lines (line_no → supplier code, None = last supplier of the item) → draft POs, one per supplier."""
    _require(user, "order_purchase")
    if r.status != REQ.APPROVED:
        raise DocError("invalid_status", f"请购单 {r.number} 当前状态为“{REQ_NAMES[r.status]}”，只有已批准的可以转订单", field="status")
    lines = {ln.line_no: ln for ln in r.lines.select_related("item")}
    groups: dict[str, list] = {}
    for n, sup in choices.items():
        ln = lines.get(n)
        if ln is None:
            raise DocError("unknown_reference", f"请购单 {r.number} 没有第 {n} 行", field="lines", line=n)
        if ln.po_line_id:
            raise DocError("invalid_status", f"请购单第 {n} 行已转订单", field="lines", line=n)
        if not sup:
            s = last_supplier(ln.item_id)
            if s is None:
                raise DocError("invalid_value", f"第 {n} 行存货 {ln.item.code} 没有历史供应商，请选择供应商", field="supplier", line=n)
            sup = s.code
        groups.setdefault(sup, []).append(ln)
    if not groups:
        raise DocError("invalid_value", "请选择要转订单的行", field="lines")
    day = day or date.today()
    made = []
    with transaction.atomic():
        for sup, lns in sorted(groups.items()):
            s = Supplier.objects.filter(code=sup).first()
            po_lines = []
            for ln in lns:
                price = last_price(ln.item_id, s.pk if s else None) or last_price(ln.item_id) or Decimal(0)
                po_lines.append({"item": ln.item.code, "qty": fmt_qty(ln.qty_base), "unit_price": _price_text(price),
                                 "expected_date": ln.needed_by.isoformat() if ln.needed_by else None})
            po = create_order({"supplier": sup, "warehouse": warehouse, "order_date": day.isoformat(),
                               "memo": f"由请购单 {r.number} 转入", "lines": po_lines}, user=user)
            for ln, pol in zip(lns, po.lines.order_by("line_no")):
                ln.po_line = pol
                ln.save(update_fields=["po_line"])
            made.append(po)
        if not r.lines.filter(po_line__isnull=True).exists():
            r.status = REQ.ORDERED
            r.save(update_fields=["status"])
    return made


def _price_text(d: Decimal) -> str:
    d = Decimal(d).quantize(Decimal("0.000001")).normalize()
    return format(d, "f")


# -- settings ---------------------------------------------------------------------------------------------------------------

def update_settings(over_receipt_pct, price_tolerance_pct, user=None) -> PurchaseSettings:
    if user is not None and not (policy.can(user, "manage_accounts") or policy.can(user, "order_purchase")):
        raise DocError("not_allowed", "没有权限修改采购参数")
    a = parse_qty(over_receipt_pct, "over_receipt_pct", allow_zero=True)
    b = parse_qty(price_tolerance_pct, "price_tolerance_pct", allow_zero=True)
    if a > 100 or b > 100:
        raise DocError("invalid_value", "比例应在 0–100 之间", field="over_receipt_pct" if a > 100 else "price_tolerance_pct")
    s = PurchaseSettings.current()
    s.over_receipt_pct, s.price_tolerance_pct = a, b
    s.updated_by = user if getattr(user, "pk", None) else None
    s.save()
    return s
