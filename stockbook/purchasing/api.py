"""REST under /api/purchasing/… (django-ninja, token auth as the rest of /api). Refusals are 422 {"error", "message"}
(403 for not_allowed), nothing written. Writes accept an ``Idempotency-Key``.

- ``GET  /api/purchasing/orders`` (status, supplier, number, from, to, limit, offset) · ``POST /api/purchasing/orders``
- ``GET|PUT /api/purchasing/orders/{number}`` (PUT: edit a draft) · ``POST …/{number}/submit`` · ``…/cancel`` · ``…/close``
- ``POST /api/purchasing/orders/{number}/receive`` {"ref"?, "date"?, "warehouse"?, "lines": [{"order_line", "qty", "uom"?, "unit_price"?}]}
- ``POST /api/purchasing/receipts/{ref}/inspect`` {"date"?, "lines": [{"line", "accepted", "rejected", "reason"?}]}
- ``GET  /api/purchasing/orders/{number}/match`` · ``POST …/{number}/invoice`` {"ref", "date", "lines"?}
- ``GET  /api/purchasing/prices/{item}`` · ``GET /api/purchasing/suggestions`` (warehouse) · ``POST /api/purchasing/suggestions``
- ``GET  /api/purchasing/scores`` (from, to)"""
from datetime import date

from ninja import Router

from stockbook.access.policy import can, require, sees_price, visible_warehouses
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money, fmt_qty
from stockbook.interchange.api_common import (IDEMPOTENCY_PARAM, check_text, idempotent, json_response, not_found,
                                              read_json_body, run_write)
from stockbook.masterdata.models import Item, Warehouse

from . import history, match, services
from .models import PurchaseOrder

router = Router(tags=["purchasing"])
W = {"openapi_extra": {"parameters": [IDEMPOTENCY_PARAM]}}


def order_json(po: PurchaseOrder, user, full=False) -> dict:
    money = user is None or sees_price(user)
    out = {"number": po.number, "status": po.status, "status_name": po.get_status_display(), "supplier": po.supplier.code,
           "warehouse": po.warehouse.code, "order_date": po.order_date.isoformat(),
           "expected_date": po.expected_date.isoformat() if po.expected_date else None, "memo": po.memo,
           "amount": fmt_money(po.amount) if money else None, "tax": fmt_money(po.tax) if money else None,
           "total": fmt_money(po.total) if money else None, "approval": po.approval_id, "link": f"/purchasing/orders/{po.pk}/"}
    if full:
        opens = {r["line"].pk: r for r in services.open_lines(po)}
        out["lines"] = [{"line": ln.line_no, "item": ln.item.code, "qty": fmt_qty(ln.qty), "uom": ln.uom,
                         "unit_price": ln.unit_price if money else None, "tax_rate": str(ln.tax_rate.normalize()),
                         "amount": fmt_money(ln.amount) if money else None, "tax": fmt_money(ln.tax) if money else None,
                         "expected_date": ln.expected_date.isoformat() if ln.expected_date else None,
                         "received_base": fmt_qty(opens[ln.pk]["received_base"]), "open_base": fmt_qty(opens[ln.pk]["open_base"])}
                        for ln in po.lines.select_related("item")]
    return out


def visible_orders(user):
    qs = PurchaseOrder.objects.select_related("supplier", "warehouse")
    return qs.filter(warehouse__in=visible_warehouses(user, Warehouse.objects.all()))


def _order(request, number):
    check_text(number)
    po = visible_orders(request.auth).filter(number=number).first()
    if po is not None:
        services.sync_approval(po)
    return po


def _day(v, field):
    if v in (None, ""):
        return None
    if not isinstance(v, str):
        raise DocError("invalid_value", f"{field} 应为 YYYY-MM-DD", field=field)
    return services._parse_day(v, field)


@router.get("/purchasing/orders", summary="Purchase orders (filters: status, supplier, number, from, to)")
def list_orders(request, status: str = "", supplier: str = "", number: str = "", start: str = "", end: str = "",
                limit: int = 100, offset: int = 0):
    require(request.auth, "view_documents")
    check_text(status, supplier, number, start, end)
    services.sync_pending()
    qs = visible_orders(request.auth)
    if status:
        if status not in dict(PurchaseOrder.STATUSES):
            raise DocError("invalid_value", f"status 应为 {', '.join(dict(PurchaseOrder.STATUSES))} 之一", field="status")
        qs = qs.filter(status=status)
    if supplier:
        qs = qs.filter(supplier__code=supplier)
    if number:
        qs = qs.filter(number__icontains=number)
    if start:
        qs = qs.filter(order_date__gte=_day(start, "start"))
    if end:
        qs = qs.filter(order_date__lte=_day(end, "end"))
    if not (1 <= limit <= 1000) or offset < 0:
        raise DocError("invalid_value", "limit 应在 1–1000 之间，offset 不能为负", field="limit")
    return json_response({"count": qs.count(), "results": [order_json(p, request.auth) for p in qs[offset:offset + limit]]})


@router.post("/purchasing/orders", summary="Create a draft purchase order", **W)
def create_order(request):
    def fn():
        obj = read_json_body(request)
        po = services.create_order(obj, user=request.auth, source="api")
        if obj.get("submit") is True:
            po = services.submit(po, user=request.auth)
        return json_response(order_json(po, request.auth, full=True), 201)
    return idempotent(request, lambda: run_write(fn))


@router.get("/purchasing/orders/{number}", summary="One purchase order with its lines and open quantities")
def get_order(request, number: str):
    require(request.auth, "view_documents")
    po = _order(request, number)
    if po is None:
        return not_found(f"采购订单 {number} 不存在")
    return json_response(order_json(po, request.auth, full=True))


@router.put("/purchasing/orders/{number}", summary="Edit a draft order (header fields given, all lines replaced)", **W)
def edit_order(request, number: str):
    po = _order(request, number)
    if po is None:
        return not_found(f"采购订单 {number} 不存在")

    def fn():
        return json_response(order_json(services.replace_lines(po, read_json_body(request), user=request.auth), request.auth, full=True))
    return idempotent(request, lambda: run_write(fn))


def _action(request, number, fn):
    po = _order(request, number)
    if po is None:
        return not_found(f"采购订单 {number} 不存在")
    return idempotent(request, lambda: run_write(lambda: json_response(order_json(fn(po), request.auth, full=True))))


@router.post("/purchasing/orders/{number}/submit", summary="Submit for approval (approved at once when no workflow covers it)", **W)
def submit(request, number: str):
    return _action(request, number, lambda po: services.submit(po, user=request.auth))


@router.post("/purchasing/orders/{number}/cancel", summary="Cancel", **W)
def cancel(request, number: str):
    return _action(request, number, lambda po: services.cancel(po, user=request.auth))


@router.post("/purchasing/orders/{number}/close", summary="Close (no more receipts)", **W)
def close(request, number: str):
    return _action(request, number, lambda po: services.close(po, user=request.auth))


def _posted(res, user):
    out = {"status": res.status, "warnings": res.warnings}
    if res.document is not None:
        out.update({"document": res.document.ref, "type": res.document.type, "id": res.document.pk})
    if res.approval is not None:
        out["approval"] = res.approval.pk
    return out


@router.post("/purchasing/orders/{number}/receive", summary="Post a purchase receipt against the order", **W)
def receive(request, number: str):
    po = _order(request, number)
    if po is None:
        return not_found(f"采购订单 {number} 不存在")

    def fn():
        obj = read_json_body(request)
        lines = obj.get("lines")
        if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
            raise DocError("invalid_value", "lines 应为数组", field="lines")
        ref = obj.get("ref")
        if ref is not None and (not isinstance(ref, str) or not ref.strip()):
            raise DocError("invalid_value", "ref 应为非空字符串", field="ref")
        res = services.receive(po, lines, ref=ref, day=_day(obj.get("date"), "date"), warehouse=obj.get("warehouse"),
                               user=request.auth, source="api")
        po.refresh_from_db()
        return json_response({**_posted(res, request.auth), "order": order_json(po, request.auth, full=True)}, 201)
    return idempotent(request, lambda: run_write(fn))


@router.post("/purchasing/receipts/{ref}/inspect", summary="到货质检: accepted/rejected per line; rejects are returned at once", **W)
def inspect(request, ref: str):
    check_text(ref)

    def fn():
        obj = read_json_body(request)
        insp = services.inspect(ref, obj.get("lines"), user=request.auth, day=_day(obj.get("date"), "date"),
                                memo=obj.get("memo") or "", source="api")
        return json_response({"receipt": ref, "inspection": insp.pk,
                              "return": insp.return_document.ref if insp.return_document_id else None,
                              "lines": [{"line": il.line_no, "accepted": fmt_qty(il.accepted), "rejected": fmt_qty(il.rejected),
                                         "reason": il.reason} for il in insp.lines.all()]}, 201)
    return idempotent(request, lambda: run_write(fn))


@router.get("/purchasing/orders/{number}/match", summary="Three-way match of the order (PO / receipts / QC / invoices)")
def get_match(request, number: str):
    require(request.auth, "view_documents")
    po = _order(request, number)
    if po is None:
        return not_found(f"采购订单 {number} 不存在")
    data = match.match_json(po, money=sees_price(request.auth))
    data["invoice_prefill"] = match.invoice_lines(po) if sees_price(request.auth) else []
    return json_response(data)


@router.post("/purchasing/orders/{number}/invoice", summary="Post a purchase invoice from the order's receipts", **W)
def invoice(request, number: str):
    from stockbook.posting.service import post

    po = _order(request, number)
    if po is None:
        return not_found(f"采购订单 {number} 不存在")

    def fn():
        obj = read_json_body(request)
        lines = obj.get("lines") or match.invoice_lines(po)
        if not lines:
            raise DocError("invalid_value", "没有可开票的入库数量", field="lines")
        ref = obj.get("ref")
        if not isinstance(ref, str) or not ref.strip():
            raise DocError("invalid_value", "请填写发票号 ref", field="ref")
        doc = match.invoice_from(po, lines, ref=ref, day=_day(obj.get("date"), "date") or date.today())
        return json_response(_posted(post(doc, user=request.auth, source="api"), request.auth), 201)
    return idempotent(request, lambda: run_write(fn))


@router.get("/purchasing/prices/{item}", summary="Last and best (12 months) price of an item, with its history")
def prices(request, item: str):
    require(request.auth, "view_price")
    check_text(item)
    it = Item.objects.filter(code=item).first()
    if it is None:
        return not_found(f"存货 {item} 不存在")
    out = history.price_hint(it)
    out["history"] = [{**r, "date": r["date"].isoformat()} for r in history.price_history(it.pk, limit=50)]
    return json_response(out)


@router.get("/purchasing/suggestions", summary="Replenishment suggestions from safety stock")
def suggestions(request, warehouse: str = ""):
    require(request.auth, "order_purchase")
    check_text(warehouse)
    wh = None
    if warehouse:
        wh = Warehouse.objects.filter(code=warehouse).first()
        if wh is None:
            raise DocError("unknown_warehouse", f"仓库 {warehouse} 不存在", field="warehouse")
    return json_response({"rows": history.suggestions(wh.pk if wh else None)})


@router.post("/purchasing/suggestions", summary="Create draft orders from selected suggestions", **W)
def suggestions_create(request):
    def fn():
        obj = read_json_body(request)
        rows = obj.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DocError("invalid_value", "rows 应为数组", field="rows")
        wh = obj.get("warehouse")
        if not isinstance(wh, str):
            raise DocError("invalid_value", "请指定收货仓库 warehouse", field="warehouse")
        pos = history.create_from_suggestions(rows, warehouse=wh, user=request.auth)
        return json_response({"orders": [order_json(p, request.auth) for p in pos]}, 201)
    return idempotent(request, lambda: run_write(fn))


@router.get("/purchasing/scores", summary="Supplier scoring for a period")
def scores(request, start: str = "", end: str = ""):
    require(request.auth, "view_documents")
    if not can(request.auth, "view_price"):
        raise DocError("not_allowed", "需要“查看单价与金额”权限")
    check_text(start, end)
    e = _day(end, "end") or date.today()
    s = _day(start, "start") or e.replace(year=e.year - 1)
    return json_response({"from": s.isoformat(), "to": e.isoformat(), "rows": history.supplier_scores(s, e)})
