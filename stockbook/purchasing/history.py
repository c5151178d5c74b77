"""Supplier price history, last/best price, supplier scoring and replenishment suggestions."""
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from stockbook.core.money import fmt_qty, round2
from stockbook.masterdata.models import Item
from stockbook.posting.models import Document, DocumentLine

from .models import InspectionLine, PurchaseOrder, PurchaseOrderLine, ReceiptLink

PO = PurchaseOrder


def _f(item, uom) -> Decimal:
    from .services import factor

    try:
        return factor(item, uom)
    except Exception:  # noqa: BLE001 — a unit removed since: treat as base
        return Decimal(1)


def price_history(item_id: int, supplier_id: int | None = None, since: date | None = None, limit: int | None = None) -> list[dict]:
    """Newest first: {date, supplier, source ("order"/"receipt"), ref, price (per the line's unit), uom, price_base}."""
    rows = []
    pol = PurchaseOrderLine.objects.filter(item_id=item_id).exclude(order__status__in=[PO.CANCELLED, PO.REJECTED, PO.DRAFT])
    rl = DocumentLine.objects.filter(item_id=item_id, document__type="purchase_receipt", document__status=Document.POSTED)
    if supplier_id:
        pol = pol.filter(order__supplier_id=supplier_id)
        rl = rl.filter(document__supplier_id=supplier_id)
    if since:
        pol = pol.filter(order__order_date__gte=since)
        rl = rl.filter(document__date__gte=since)
    if limit:
        pol = pol.order_by("-order__order_date", "-id")[:limit]
        rl = rl.order_by("-document__date", "-id")[:limit]
    for ln in pol.select_related("order__supplier", "item"):
        rows.append({"date": ln.order.order_date, "supplier": ln.order.supplier.code, "supplier_name": ln.order.supplier.name,
                     "source": "order", "ref": ln.order.number, "price": ln.unit_price, "uom": ln.uom,
                     "price_base": str(Decimal(ln.unit_price) / _f(ln.item, ln.uom))})
    for ln in rl.select_related("document__supplier", "item"):
        if not ln.unit_price:
            continue
        rows.append({"date": ln.document.date, "supplier": ln.document.supplier.code, "supplier_name": ln.document.supplier.name,
                     "source": "receipt", "ref": ln.document.ref, "price": ln.unit_price, "uom": ln.uom or ln.item.uom,
                     "price_base": str(Decimal(ln.unit_price) / _f(ln.item, ln.uom))})
    rows.sort(key=lambda r: (r["date"], r["source"] == "receipt"), reverse=True)
    return rows[:limit] if limit else rows


def price_hint(item: Item, today: date | None = None) -> dict:
    """What the PO form shows when an item is chosen: last price and best (lowest) of the last 12 months."""
    today = today or date.today()
    rows = price_history(item.pk, since=today - timedelta(days=365))
    last = price_history(item.pk, limit=1)
    best = min(rows, key=lambda r: Decimal(r["price_base"])) if rows else None

    def cut(r):
        if r is None:
            return None
        return {"date": r["date"].isoformat(), "supplier": r["supplier"], "supplier_name": r["supplier_name"],
                "price": _p(Decimal(r["price_base"])), "uom": item.uom, "ref": r["ref"]}

    return {"item": item.code, "name": item.name, "uom": item.uom, "tax_rate": str(item.tax_rate.normalize()) if item.tax_rate is not None else None,
            "last": cut(last[0] if last else None), "best": cut(best)}


def _p(d: Decimal) -> str:
    d = Decimal(d)
    q = d.quantize(Decimal("0.01")) if d == round2(d) else d.quantize(Decimal("0.000001")).normalize()
    return format(q, "f")


def supplier_scores(start: date, end: date, supplier_ids=None) -> list[dict]:
    """Per supplier over receipts dated in [start, end] against PO lines: on-time rate (receipt on or before the
    line's expected date), QC reject rate by qty, price trend (last price vs 12-month average, per item, averaged)."""
    links = (ReceiptLink.objects.filter(date__gte=start, date__lte=end)
             .select_related("po_line__order__supplier", "po_line__item", "document"))
    if supplier_ids is not None:
        links = links.filter(po_line__order__supplier_id__in=supplier_ids)
    per: dict[int, dict] = {}
    for lk in links:
        sup = lk.po_line.order.supplier
        s = per.setdefault(sup.pk, {"supplier": sup, "receipts": 0, "on_time": 0, "qty": 0, "rejected": 0, "items": set()})
        s["receipts"] += 1
        exp = lk.po_line.expected_date or lk.po_line.order.expected_date
        if exp is None or lk.date <= exp:
            s["on_time"] += 1
        s["qty"] += lk.qty_base
        s["items"].add(lk.po_line.item_id)
    rej = (InspectionLine.objects.filter(inspection__receipt__date__gte=start, inspection__receipt__date__lte=end)
           .values("inspection__receipt__supplier_id").annotate(q=Sum("rejected_base")))
    for r in rej:
        if r["inspection__receipt__supplier_id"] in per:
            per[r["inspection__receipt__supplier_id"]]["rejected"] += r["q"] or 0
    out = []
    for s in per.values():
        trends = []
        for item_id in s["items"]:
            hist = price_history(item_id, supplier_id=s["supplier"].pk, since=end - timedelta(days=365))
            hist = [h for h in hist if h["date"] <= end]
            if len(hist) >= 1:
                avg = sum(Decimal(h["price_base"]) for h in hist) / len(hist)
                if avg:
                    trends.append((Decimal(hist[0]["price_base"]) - avg) / avg * 100)
        trend = sum(trends) / len(trends) if trends else None
        out.append({"supplier": s["supplier"].code, "name": s["supplier"].name, "receipts": s["receipts"],
                    "on_time_rate": _pct(Decimal(s["on_time"]), Decimal(s["receipts"])),
                    "received_qty": fmt_qty(s["qty"]), "rejected_qty": fmt_qty(s["rejected"]),
                    "reject_rate": _pct(Decimal(s["rejected"]), Decimal(s["qty"])),
                    "price_trend": f"{trend.quantize(Decimal('0.01'))}" if trend is not None else None})
    out.sort(key=lambda r: r["supplier"])
    return out


def _pct(a: Decimal, b: Decimal) -> str | None:
    if not b:
        return None
    return str((a / b * 100).quantize(Decimal("0.01")))


# -- replenishment --------------------------------------------------------------------------------------------------------

def _reserved(item_ids=None, warehouse_ids=None) -> dict:
    try:
        from stockbook.sales.availability import reserved
    except ImportError:
        return {}
    try:
        return reserved(item_ids=item_ids, warehouse_ids=warehouse_ids) or {}
    except Exception:  # noqa: BLE001 — the sales side unfinished: no reservations
        return {}


def suggestions(warehouse_id: int | None = None, as_of: date | None = None) -> list[dict]:
    """Items whose on hand + open PO qty − reserved < safety_min: suggested qty = safety_max − that (or safety_min)."""
    from stockbook.reports.stock_balance import balances

    as_of = as_of or date.today()
    items = list(Item.objects.filter(active=True, safety_min__isnull=False, safety_min__gt=0))
    if not items:
        return []
    ids = [i.pk for i in items]
    wh_ids = {warehouse_id} if warehouse_id else None
    hand: dict[int, int] = {}
    for r in balances(as_of, item_ids=ids, warehouse_ids=wh_ids):
        hand[r["item"].pk] = hand.get(r["item"].pk, 0) + r["qty"]
    from .services import received_by_line

    open_lines = PurchaseOrderLine.objects.filter(item_id__in=ids, order__status__in=[PO.DRAFT, PO.PENDING, PO.APPROVED, PO.PARTIAL])
    if warehouse_id:
        open_lines = open_lines.filter(order__warehouse_id=warehouse_id)
    got = received_by_line(line_ids=[ln.pk for ln in open_lines])
    on_order: dict[int, int] = {}
    for ln in open_lines:
        on_order[ln.item_id] = on_order.get(ln.item_id, 0) + max(ln.qty_base - got.get(ln.pk, 0), 0)
    res: dict[int, int] = {}
    for (item_id, _wh), q in _reserved(item_ids=ids, warehouse_ids=list(wh_ids) if wh_ids else None).items():
        res[item_id] = res.get(item_id, 0) + int(q)
    from .services import last_supplier

    out = []
    for it in sorted(items, key=lambda i: i.code):
        level = hand.get(it.pk, 0) + on_order.get(it.pk, 0) - res.get(it.pk, 0)
        if level >= it.safety_min:
            continue
        target = it.safety_max if it.safety_max else it.safety_min
        qty = target - level if it.safety_max else it.safety_min
        if qty <= 0:
            continue
        hint = price_hint(it, as_of)
        sup = (hint["best"] or hint["last"] or {}).get("supplier")
        if sup is None:
            s = last_supplier(it.pk)
            sup = s.code if s else None
        out.append({"item": it.code, "name": it.name, "uom": it.uom, "on_hand": fmt_qty(hand.get(it.pk, 0)),
                    "on_order": fmt_qty(on_order.get(it.pk, 0)), "reserved": fmt_qty(res.get(it.pk, 0)),
                    "safety_min": fmt_qty(it.safety_min), "safety_max": fmt_qty(it.safety_max) if it.safety_max else None,
                    "suggested_qty": fmt_qty(qty), "supplier": sup,
                    "price": (hint["last"] or hint["best"] or {}).get("price")})
    return out


def create_from_suggestions(rows: list[dict], *, warehouse: str, user=None, day=None) -> list[PurchaseOrder]:
    """Selected suggestion rows ({item, qty, supplier, price?}) → draft POs grouped by supplier."""
    from stockbook.core.errors import DocError

    from .services import create_order

    groups: dict[str, list] = {}
    for n, r in enumerate(rows, 1):
        if not r.get("supplier"):
            raise DocError("invalid_value", f"第 {n} 行没有供应商，请选择", field="supplier", line=n)
        groups.setdefault(r["supplier"], []).append({"item": r["item"], "qty": r.get("qty") or r.get("suggested_qty"),
                                                    "unit_price": r.get("price") or r.get("unit_price") or "0"})
    if not groups:
        raise DocError("invalid_value", "请选择补货建议行", field="lines")
    day = day or date.today()
    from django.db import transaction

    with transaction.atomic():
        return [create_order({"supplier": s, "warehouse": warehouse, "order_date": day.isoformat(), "memo": "补货建议生成",
                              "lines": lines}, user=user) for s, lines in sorted(groups.items())]
