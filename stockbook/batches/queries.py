"""Reading batches: traceability (批次追溯), expiry alerts (近效期/过期预警) and their daily notice."""
from collections import defaultdict
from datetime import date


from stockbook.core.errors import DocError

from .models import VOID_SUB, Batch, BatchBalance, BatchMove, ExpiryNotice, ItemPolicy
from .service import _q

TYPE_TEXT = {"opening_stock": "期初库存", "purchase_receipt": "采购入库", "purchase_return": "采购退货", "sales_delivery": "销售出库",
             "sales_return": "销售退货", "transfer": "调拨", "stock_count": "盘点", "scrap": "报废"}
SECTIONS = {"opening_stock": "receipts", "purchase_receipt": "receipts", "transfer": "transfers", "sales_delivery": "deliveries",
            "sales_return": "returns", "purchase_return": "returns", "stock_count": "counts", "scrap": "scrap"}


def trace(item_code: str, batch_code: str, user=None) -> dict:
    """Everything batch ``batch_code`` of item ``item_code`` went through, in move order, grouped:
    receipts (supplier) → transfers → deliveries (customer) → returns, plus counts and scrap, and the
    balance per warehouse now. Void documents and their counter rows are left out."""
    from stockbook.access import policy
    from stockbook.masterdata.models import Item

    policy.require(user, "view_stock_reports")
    item = Item.objects.filter(code=item_code).first()
    if item is None:
        raise DocError("unknown_item", f"存货 {item_code} 不存在", field="item")
    b = Batch.objects.filter(item=item, code=batch_code).select_related("supplier", "first_receipt").first()
    if b is None:
        raise DocError("unknown_batch", f"批次 {batch_code} 不存在", field="batch")
    scope = policy.warehouse_ids(user)
    from django.db.models import Q

    moves = (BatchMove.objects.filter(Q(document__status="posted") | Q(document__isnull=True), batch=b, sub__lt=VOID_SUB)
             .select_related("document", "document__supplier", "document__customer", "warehouse").order_by("date", "document_id", "line", "sub"))
    if scope is not None:
        moves = moves.filter(warehouse_id__in=scope)
    out = {"item": item.code, "name": item.name, "batch": b.code, "expiry": _d(b.expiry), "production_date": _d(b.production_date),
           "supplier": b.supplier.code if b.supplier else None,
           "first_receipt": b.first_receipt.ref if b.first_receipt else None,
           "receipts": [], "transfers": [], "deliveries": [], "returns": [], "counts": [], "scrap": [], "moves": []}
    for m in moves:
        d = m.document
        if d is None:  # stock held when batch management was turned on (service.set_policy)
            row = {"date": m.date.isoformat(), "type": "batch_init", "type_text": "启用批次管理", "ref": "", "document_id": None,
                   "line": 0, "warehouse": m.warehouse.code, "qty": _q(m.qty), "party": None}
            out["moves"].append(row)
            out["receipts"].append(row)
            continue
        party = d.supplier.code if d.supplier_id else (d.customer.code if d.customer_id else None)
        row = {"date": d.date.isoformat(), "type": d.type, "type_text": TYPE_TEXT.get(d.type, d.type), "ref": d.ref,
               "document_id": d.pk, "line": m.line, "warehouse": m.warehouse.code, "qty": _q(m.qty), "party": party}
        out["moves"].append(row)
        out[SECTIONS.get(d.type, "counts")].append(row)
    bal = BatchBalance.objects.filter(batch=b).select_related("warehouse")
    if scope is not None:
        bal = bal.filter(warehouse_id__in=scope)
    out["balances"] = [{"warehouse": x.warehouse.code, "qty": _q(x.qty)} for x in bal.order_by("warehouse__code") if x.qty]
    from .models import Serial

    out["serials"] = [{"serial": s.code, "status": s.status, "warehouse": s.warehouse.code if s.warehouse_id else None}
                      for s in Serial.objects.filter(batch=b).select_related("warehouse").order_by("code")]
    return out


def serial_trace(item_code: str, serial: str, user=None) -> dict:
    from stockbook.access import policy
    from stockbook.masterdata.models import Item

    from .models import Serial, SerialMove

    policy.require(user, "view_stock_reports")
    s = Serial.objects.filter(item__code=item_code, code=serial).select_related("warehouse").first()
    if s is None:
        raise DocError("invalid_value", f"序列号 {serial} 不存在", field="serial")
    rows = [{"date": m.date.isoformat(), "type": m.document.type, "type_text": TYPE_TEXT.get(m.document.type, m.document.type),
             "ref": m.document.ref, "warehouse": m.warehouse.code, "direction": "in" if m.direction > 0 else "out", "void": m.void}
            for m in SerialMove.objects.filter(serial=s).select_related("document", "warehouse").order_by("id")]
    return {"item": item_code, "serial": s.code, "status": s.status, "status_text": "在库" if s.status == "in" else "已出库",
            "warehouse": s.warehouse.code if s.warehouse_id and s.status == "in" else None, "moves": rows}


def _d(x):
    return x.isoformat() if x else None


def alerts(user=None, warehouse: str | None = None, days: int | None = None, today: date | None = None) -> list[dict]:
    """Batches with stock that are expired (expiry < today) or near expiry (expiry within the item's
    near_expiry_days, or ``days`` when given), per warehouse, soonest first."""
    from stockbook.access import policy
    from stockbook.masterdata.models import Warehouse

    policy.require(user, "view_stock_reports")
    today = today or date.today()
    if days is not None and (days < 0 or days > 3650):
        raise DocError("invalid_value", "预警天数必须在 0 至 3650 之间", field="days")
    qs = BatchBalance.objects.filter(qty__gt=0, batch__expiry__isnull=False).select_related("batch", "item", "warehouse")
    scope = policy.warehouse_ids(user)
    if scope is not None:
        qs = qs.filter(warehouse_id__in=scope)
    if warehouse:
        wh = Warehouse.objects.filter(code=warehouse).first()
        if wh is None:
            raise DocError("unknown_warehouse", f"仓库 {warehouse} 不存在", field="warehouse")
        qs = qs.filter(warehouse=wh)
    window = dict(ItemPolicy.objects.values_list("item_id", "near_expiry_days"))
    out = []
    for bal in qs:
        exp = bal.batch.expiry
        n = days if days is not None else window.get(bal.item_id, 30)
        left = (exp - today).days
        if exp < today:
            state = "expired"
        elif left <= n:
            state = "near"
        else:
            continue
        out.append({"item": bal.item.code, "name": bal.item.name, "warehouse": bal.warehouse.code, "batch": bal.batch.code,
                    "expiry": exp.isoformat(), "days_left": left, "qty": _q(bal.qty), "state": state,
                    "state_text": "已过期" if state == "expired" else "近效期", "batch_id": bal.batch_id})
    out.sort(key=lambda r: (r["expiry"], r["item"], r["batch"], r["warehouse"]))
    return out


def notify_expiry(today: date | None = None) -> dict:
    """The daily job: tell the stock keepers about each batch that became near-expiry or expired, once per
    batch per state (ExpiryNotice remembers what was sent)."""
    rows = alerts(None, today=today)
    by_batch = defaultdict(list)
    for r in rows:
        by_batch[(r["batch_id"], r["state"])].append(r)
    sent = set(ExpiryNotice.objects.filter(batch_id__in=[k[0] for k in by_batch]).values_list("batch_id", "state"))
    new = [k for k in by_batch if k not in sent]
    if not new:
        return {"sent": 0, "near": 0, "expired": 0}
    recipients = _stock_keepers()
    counts = {"near": 0, "expired": 0}
    from django.db import transaction

    for bid, state in sorted(new):
        rs = by_batch[(bid, state)]
        r0 = rs[0]
        qty = "、".join(f"{r['warehouse']} {r['qty']}" for r in rs)
        with transaction.atomic():
            ExpiryNotice.objects.create(batch_id=bid, state=state)
            if recipients:
                from stockbook.notify import notify

                word = "已过期" if state == "expired" else f"将于 {r0['expiry']} 到期"
                notify(f"batch.{state}", recipients=recipients, title=f"批次{r0['state_text']}：{r0['item']} {r0['batch']}",
                       body=f"存货 {r0['item']} {r0['name']} 批次 {r0['batch']} {word}（有效期至 {r0['expiry']}），结存：{qty}。",
                       link=f"/batches/trace/?item={r0['item']}&batch={r0['batch']}",
                       payload={"item": r0["item"], "batch": r0["batch"], "expiry": r0["expiry"], "state": state})
        counts[state] += 1
    return {"sent": len(new), **counts}


def _stock_keepers():
    from django.contrib.auth.models import User
    from django.db.models import Q

    return list(User.objects.filter(Q(is_superuser=True) | Q(groups__permissions__codename="doc_stock",
                                                             groups__permissions__content_type__app_label="access"),
                                    is_active=True).distinct())
