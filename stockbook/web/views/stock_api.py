"""Small JSON endpoints behind the document forms: item search, barcode lookup, availability, the lines of a
referenced receipt/delivery with what is left of them, open documents and open invoices, a suggested ref.

They only read. Quantities and money travel as contract strings ("95", "1234.50").
"""
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.http import JsonResponse

from stockbook.core.money import fmt_money, fmt_qty, from_qty_units
from stockbook.masterdata.models import Barcode, Customer, Item, Supplier, Warehouse
from stockbook.posting.models import Document, DocumentLine
from stockbook.stock.models import StockMove

from ..doctypes import DOC_TYPES
from .common import parse_day

# what takes a receipt's / delivery's line quantity (contract section 3, quantity limits)
USED_BY = {"purchase_receipt": ("purchase_invoice", "purchase_return"), "sales_delivery": ("sales_invoice", "sales_return"),
           "purchase_invoice": ("purchase_red_invoice",), "sales_invoice": ("sales_red_invoice",)}
RED_OF = {"purchase_receipt": ("purchase_invoice", "purchase_red_invoice"), "sales_delivery": ("sales_invoice", "sales_red_invoice")}
REF_TYPES = ("purchase_receipt", "sales_delivery", "stock_count", "purchase_invoice", "sales_invoice")


def _err(message, status=404):
    return JsonResponse({"error": message}, status=status)


def item_info(item: Item) -> dict:
    units = [{"name": item.uom, "factor": "1"}]
    units += [{"name": u.name, "factor": format(u.factor.normalize(), "f")} for u in item.units.all().order_by("factor", "name")]
    return {"code": item.code, "name": item.name, "spec": item.spec, "uom": item.uom, "units": units,
            "tax_rate": None if item.tax_rate is None else format(item.tax_rate.normalize(), "f")}


# -- items ----------------------------------------------------------------------------------------------
def item_search(request):
    """?q= code, name or barcode (contains) → {"items": [...]}, exact code / barcode matches first."""
    q = request.GET.get("q", "").strip()
    try:
        limit = max(1, min(int(request.GET.get("limit", 20)), 100))
    except ValueError:
        limit = 20
    qs = Item.objects.filter(active=True).prefetch_related("units")
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(spec__icontains=q) | Q(barcodes__code__icontains=q)).distinct()
    found = list(qs.order_by("code")[:limit])
    exact = [i for i in found if i.code.lower() == q.lower()]
    if q and not exact:
        bc = Barcode.objects.filter(code=q, item__active=True).select_related("item").first()
        exact = [bc.item] if bc else []
    ordered = exact + [i for i in found if i not in exact]
    return JsonResponse({"items": [item_info(i) for i in ordered[:limit]]})


def item_barcode(request):
    """?code= what a scanner typed → {"item": {...}, "unit": unit name}; a barcode, else an item code."""
    code = request.GET.get("code", "").strip()
    if not code:
        return _err("empty code", 400)
    bc = Barcode.objects.filter(code=code).select_related("item").first()
    if bc and bc.item.active:
        unit = bc.unit if bc.unit and (bc.unit == bc.item.uom or bc.item.units.filter(name=bc.unit).exists()) else bc.item.uom
        return JsonResponse({"item": item_info(bc.item), "unit": unit, "barcode": bc.code})
    item = Item.objects.filter(code=code, active=True).first()
    if item:
        return JsonResponse({"item": item_info(item), "unit": item.uom, "barcode": None})
    return _err(f"未知条码 {code}")


# -- availability -----------------------------------------------------------------------------------------
def on_hand(as_of: date, items: list[Item], wh: Warehouse) -> dict:
    """{item id: (qty at the end of as_of, lowest qty at any later day end)} for one warehouse, in 1/10000."""
    from stockbook.reports.stock_balance import balances

    rows = balances(as_of, item_ids=[i.pk for i in items], warehouse_ids=[wh.pk])
    now = {r["item"].pk: r["qty"] for r in rows}
    out = {}
    later = (StockMove.objects.filter(item__in=items, warehouse=wh, date__gt=as_of).values("item_id", "date")
             .annotate(q=Sum("qty")).order_by("item_id", "date"))
    low = {i.pk: now.get(i.pk, 0) for i in items}
    run = dict(low)
    for r in later:
        run[r["item_id"]] += r["q"]
        low[r["item_id"]] = min(low[r["item_id"]], run[r["item_id"]])
    for i in items:
        out[i.pk] = (now.get(i.pk, 0), low[i.pk])
    return out


def availability(request):
    """?warehouse=WH1&date=2026-01-31&items=A001,B002 → {"warehouse", "date", "items": {code: {qty, available, uom}}}.

    ``qty`` is the stock-balance quantity at the end of the date; ``available`` the most an issue dated
    then can take without any later point going negative (≤ qty); ``reserved`` the open sales-order
    reservations (now) and ``free`` = qty − reserved (库存控制, stockbook/invctl/stock_columns.py)."""
    from stockbook.access.policy import visible_warehouses

    wh = visible_warehouses(request.user).filter(code=request.GET.get("warehouse", "").strip()).first()
    if wh is None:
        return _err("unknown warehouse")
    d = parse_day(request.GET.get("date")) or date.today()
    codes = [c for c in (request.GET.get("items", "").split(",")) if c.strip()][:200]
    items = list(Item.objects.filter(code__in=[c.strip() for c in codes]))
    data = on_hand(d, items, wh)
    from stockbook.invctl.stock_columns import reserved_for  # sales-order reservations (live): reserved, free = qty − reserved

    res = reserved_for([i.pk for i in items], wh.pk)
    return JsonResponse({"warehouse": wh.code, "date": d.isoformat(), "items": {
        i.code: {"qty": fmt_qty(data[i.pk][0]), "available": fmt_qty(max(0, data[i.pk][1])), "uom": i.uom,
                 "reserved": fmt_qty(res.get(i.pk, 0)), "free": fmt_qty(data[i.pk][0] - res.get(i.pk, 0))} for i in items}})


# -- referenced documents ------------------------------------------------------------------------------------
def used_qty(doc: Document) -> dict[int, int]:
    """{line no: base qty taken by invoices and returns} of a receipt or delivery."""
    types = USED_BY.get(doc.type, ())
    out = {r["ref_line"]: r["s"] or 0 for r in DocumentLine.objects.filter(ref_document=doc, document__type__in=types)
           .values("ref_line").annotate(s=Sum("qty_base"))}
    if doc.type in RED_OF:  # red invoices (docs/contract-extensions.md) give invoiced qty back
        inv_type, red_type = RED_OF[doc.type]
        blue = {(d, n): r for d, n, r in DocumentLine.objects.filter(ref_document=doc, document__type=inv_type)
                .values_list("document_id", "line_no", "ref_line")}
        if blue:
            for d, n, q in DocumentLine.objects.filter(document__type=red_type, document__status=Document.POSTED,
                                                       ref_document_id__in={d for d, _ in blue}).values_list("ref_document_id", "ref_line", "qty_base"):
                if (d, n) in blue:
                    out[blue[(d, n)]] = out.get(blue[(d, n)], 0) - (q or 0)
    return out


def _in_unit(base: int, factor) -> str | None:
    """Base 1/10000 units → the quantity in a unit of ``factor`` base units, if it has ≤ 4 decimals."""
    q = from_qty_units(base) / factor
    if q * 10000 != (q * 10000).to_integral_value():
        return None
    return fmt_qty(q)


def ref_lines(request):
    """?type=purchase_receipt&ref=CGRK-… → the document and its lines with the qty not yet invoiced or returned."""
    typ = request.GET.get("type", "")
    if typ not in REF_TYPES:
        return _err("unsupported type", 400)
    doc = Document.objects.filter(type=typ, ref=request.GET.get("ref", "").strip(), status=Document.POSTED).select_related(
        "supplier", "customer", "warehouse").first()
    if doc is None:
        return _err(f"单据 {request.GET.get('ref', '')} 不存在")
    from stockbook.access import policy

    if not policy.can_see_document(request.user, doc):
        return _err("该单据不在您的数据范围内", 403)
    show_price = policy.sees_price(request.user)
    used = used_qty(doc)
    lines = []
    for ln in doc.lines.select_related("item").prefetch_related("item__units").order_by("line_no"):
        info = item_info(ln.item)
        factor = next((u["factor"] for u in info["units"] if u["name"] == ln.uom), "1")
        left = ln.qty_base - used.get(ln.line_no, 0)
        left_in_unit = _in_unit(left, Decimal(factor))
        lines.append({
            "line": ln.line_no, "item": info, "uom": ln.uom if left_in_unit is not None else ln.item.uom,
            "qty": fmt_qty(ln.qty), "line_uom": ln.uom, "qty_base": fmt_qty(ln.qty_base),
            "unit_price": ln.unit_price if show_price else None,
            "remaining_base": fmt_qty(left), "remaining": left_in_unit if left_in_unit is not None else fmt_qty(left),
            "warehouse": ln.warehouse.code if ln.warehouse_id else None,
        })
    party = doc.supplier or doc.customer
    return JsonResponse({"document": {"type": doc.type, "ref": doc.ref, "date": doc.date.isoformat() if doc.date else None,
                                      "party": party.code if party else None, "party_name": party.name if party else None,
                                      "warehouse": doc.warehouse.code if doc.warehouse_id else None}, "lines": lines})


def open_documents(request):
    """?type=purchase_receipt|sales_delivery|stock_count&party=CODE → receipts/deliveries with qty left
    to invoice or return, or counts not yet settled; newest first."""
    typ = request.GET.get("type", "")
    if typ not in REF_TYPES:
        return _err("unsupported type", 400)
    from stockbook.access import policy

    qs = Document.objects.filter(type=typ, status=Document.POSTED).select_related("supplier", "customer", "warehouse")
    qs = policy.filter_documents(request.user, qs)
    party = request.GET.get("party", "").strip()
    if party:
        qs = qs.filter(Q(supplier__code=party) | Q(customer__code=party))
    out = []
    if typ == "stock_count":
        settled = set(Document.objects.filter(type="count_settlement").values_list("ref_document_id", flat=True))
        docs = [d for d in qs.order_by("-date", "-id")[:500] if d.pk not in settled]
    else:
        docs = list(qs.order_by("-date", "-id")[:500])
        ids = [d.pk for d in docs]
        total = {r["document_id"]: r["s"] or 0 for r in DocumentLine.objects.filter(document_id__in=ids)
                 .values("document_id").annotate(s=Sum("qty_base"))}
        taken = {r["ref_document_id"]: r["s"] or 0 for r in DocumentLine.objects.filter(
            ref_document_id__in=ids, document__type__in=USED_BY[typ]).values("ref_document_id").annotate(s=Sum("qty_base"))}
        docs = [d for d in docs if total.get(d.pk, 0) > taken.get(d.pk, 0)]
    for d in docs[:200]:
        p = d.supplier or d.customer
        out.append({"ref": d.ref, "date": d.date.isoformat() if d.date else None, "party": p.code if p else None,
                    "party_name": p.name if p else "", "warehouse": d.warehouse.code if d.warehouse_id else None})
    return JsonResponse({"documents": out})


def open_invoices(request):
    """?type=sales_invoice|purchase_invoice&party=CODE → the party's invoices with an open amount (gross − allocations)."""
    from stockbook.access import policy

    typ = request.GET.get("type", "")
    if typ not in ("sales_invoice", "purchase_invoice"):
        return _err("unsupported type", 400)
    if not policy.sees_price(request.user):
        return _err("没有查看单价与金额的权限", 403)
    model = Customer if typ == "sales_invoice" else Supplier
    party = model.objects.filter(code=request.GET.get("party", "").strip()).first()
    if party is None:
        return _err("unknown party")
    key = "customer" if typ == "sales_invoice" else "supplier"
    docs = list(Document.objects.filter(type=typ, status=Document.POSTED, **{key: party}).order_by("date", "id"))
    gross = {r["document_id"]: (r["a"] or 0) + (r["t"] or 0) for r in DocumentLine.objects.filter(document__in=docs)
             .values("document_id").annotate(a=Sum("amount"), t=Sum("tax"))}
    alloc = {r["ref_document_id"]: r["a"] or 0 for r in DocumentLine.objects.filter(
        ref_document__in=docs, document__type__in=("customer_receipt", "supplier_payment", "advance_application"),
        document__status=Document.POSTED)
        .values("ref_document_id").annotate(a=Sum("amount"))}
    # red invoices (docs/contract-extensions.md) reduce what is open
    for r in DocumentLine.objects.filter(ref_document__in=docs, document__type__in=("sales_red_invoice", "purchase_red_invoice"),
                                         document__status=Document.POSTED).values("ref_document_id").annotate(a=Sum("amount"), t=Sum("tax")):
        alloc[r["ref_document_id"]] = alloc.get(r["ref_document_id"], 0) + (r["a"] or 0) + (r["t"] or 0)
    out = []
    for d in docs:
        g, a = gross.get(d.pk, 0), alloc.get(d.pk, 0)
        if g - a > 0:
            out.append({"ref": d.ref, "date": d.date.isoformat(), "gross": fmt_money(g), "allocated": fmt_money(a),
                        "open": fmt_money(g - a)})
    return JsonResponse({"party": party.code, "invoices": out})


def next_ref_view(request):
    from .documents import next_ref

    typ = request.GET.get("type", "")
    if typ not in DOC_TYPES:
        return _err("unknown type", 400)
    d = parse_day(request.GET.get("date")) or date.today()
    return JsonResponse({"ref": next_ref(typ, d)})
