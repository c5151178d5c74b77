"""REST of the sales app (docs/sales.md "REST"), under /api/sales/…

- ``GET  /api/sales/quotations`` (status, customer) · ``POST /api/sales/quotations`` {customer, warehouse?, date?,
  valid_until, lines:[{item, qty, uom?, list_price?, discount_pct?, tax_rate?, gift?}]}
- ``GET  /api/sales/quotations/{no}`` · ``POST /api/sales/quotations/{no}/send|expire|convert`` ({warehouse?, date?})
- ``GET  /api/sales/orders`` (status = draft|confirmed|partial|delivered|closed|cancelled|open, customer, warehouse, q,
  limit, offset) · ``POST /api/sales/orders`` {customer, warehouse, date?, delivery_date?, order_discount?, memo?, lines}
- ``GET  /api/sales/orders/{no}`` · ``POST …/{no}/confirm|cancel|close``
- ``POST /api/sales/orders/{no}/override`` {reason?} → the approval request (201)
- ``POST /api/sales/orders/{no}/deliver`` {date?, ref?, lines?: {"<order line>": "qty"}} (all that is left when omitted)
- ``POST /api/sales/orders/{no}/invoice`` {date?, ref?} · ``POST …/{no}/receipt`` {amount, account?, date?, ref?}
- ``GET  /api/sales/availability?warehouse=WH1&items=A001,B002`` · ``GET /api/sales/price?item=&customer=&qty=&date=``
- ``GET  /api/sales/reservations`` (item, warehouse)
Refusals: 422 {"error", "message"} (403 not_allowed, 404 unknown order), nothing written."""
from datetime import date as Date

from ninja import Router

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty
from stockbook.interchange.api_common import (IDEMPOTENCY_PARAM, check_text, doc_error_response, idempotent, json_response,
                                              not_found, read_json_body, run_write)

from . import actions
from .models import Quotation

router = Router(tags=["sales"])
W = {"openapi_extra": {"parameters": [IDEMPOTENCY_PARAM]}}


def _day(v, field="date"):
    if v in (None, ""):
        return None
    if not isinstance(v, str):
        raise DocError("invalid_value", f"{field} 应为 YYYY-MM-DD", field=field)
    try:
        return Date.fromisoformat(v)
    except ValueError:
        raise DocError("invalid_value", f"{field} 应为 YYYY-MM-DD", field=field) from None


def _opt(obj, key):
    v = obj.get(key)
    if v is not None and not isinstance(v, str):
        raise DocError("invalid_value", f"{key} 应为字符串", field=key)
    return v or None


def _body(request) -> dict:
    """The JSON object of a request; an empty body is {} (actions without parameters)."""
    if not request.body.strip():
        return {}
    return read_json_body(request)


def _read(fn):
    try:
        return fn()
    except DocError as e:
        if e.code == "unknown_reference":
            return not_found(e.message)
        return doc_error_response(e)


def _write(request, fn):
    def wrapped():
        try:
            return fn()
        except DocError as e:
            if e.code == "unknown_reference" and e.field in ("sales_order", "quotation"):
                return not_found(e.message)
            raise
    return idempotent(request, lambda: run_write(wrapped))


@router.get("/sales/orders", summary="Sales orders (销售订单) visible to the caller")
def list_orders(request, status: str = "", customer: str = "", warehouse: str = "", q: str = "", limit: int = 100, offset: int = 0):
    def fn():
        check_text(status, customer, warehouse, q)
        actions.require_read(request.auth)
        if not (1 <= limit <= 1000) or offset < 0:
            raise DocError("invalid_value", "limit 应在 1–1000 之间，offset 不能为负", field="limit")
        qs = actions.filter_orders(request.auth, status, customer, q, warehouse)
        return json_response({"count": qs.count(), "results": [actions.order_json(o, request.auth, full=False)
                                                                for o in qs[offset:offset + limit]]})
    return _read(fn)


@router.post("/sales/orders", summary="Create a draft sales order", **W)
def create_order(request):
    return _write(request, lambda: json_response(actions.order_json(
        actions.create_order(request.auth, read_json_body(request)), request.auth), 201))


@router.get("/sales/orders/{no}", summary="One sales order with lines, reservations and documents")
def get_order(request, no: str):
    return _read(lambda: json_response(actions.order_json(actions.get_order(request.auth, no), request.auth)))


def _step(request, no, fn):
    return _write(request, lambda: json_response(actions.order_json(fn(request.auth, no), request.auth)))


@router.post("/sales/orders/{no}/confirm", summary="Confirm: availability, credit, reservations", **W)
def confirm(request, no: str):
    return _step(request, no, actions.confirm)


@router.post("/sales/orders/{no}/cancel", summary="Cancel (releases the reservations)", **W)
def cancel(request, no: str):
    return _step(request, no, actions.cancel)


@router.post("/sales/orders/{no}/close", summary="Close (no more deliveries; releases what is left)", **W)
def close(request, no: str):
    return _step(request, no, actions.close)


@router.post("/sales/orders/{no}/override", summary="Request a credit-limit override (approval)", **W)
def override(request, no: str):
    def fn():
        obj = _body(request)
        req = actions.request_override(request.auth, no, _opt(obj, "reason") or "")
        return json_response({"approval": req.pk, "status": req.status, "amount": f"{(req.amount or 0) / 100:.2f}",
                              "link": f"/approvals/{req.pk}/"}, 201)
    return _write(request, fn)


@router.post("/sales/orders/{no}/deliver", summary="Post a delivery (sales_delivery) of the order", **W)
def deliver(request, no: str):
    def fn():
        obj = _body(request)
        lines = obj.get("lines")
        if lines is not None and not isinstance(lines, dict):
            raise DocError("invalid_value", 'lines 应为 {"订单行号": "数量"}', field="lines")
        res = actions.deliver(request.auth, no, lines, on=_day(obj.get("date")), ref=_opt(obj, "ref"), source="api")
        return json_response(actions.post_result_json(res), 201 if res.posted else 202)
    return _write(request, fn)


@router.post("/sales/orders/{no}/invoice", summary="Post the sales invoice of the order's uninvoiced deliveries", **W)
def invoice(request, no: str):
    def fn():
        obj = _body(request)
        res = actions.invoice(request.auth, no, on=_day(obj.get("date")), ref=_opt(obj, "ref"), source="api")
        return json_response(actions.post_result_json(res), 201 if res.posted else 202)
    return _write(request, fn)


@router.post("/sales/orders/{no}/receipt", summary="Post a customer receipt allocated to the order's invoices", **W)
def receipt(request, no: str):
    def fn():
        obj = _body(request)
        res = actions.collect(request.auth, no, obj.get("amount"), account=_opt(obj, "account") or "1002",
                              on=_day(obj.get("date")), ref=_opt(obj, "ref"), source="api")
        return json_response(actions.post_result_json(res), 201 if res.posted else 202)
    return _write(request, fn)


@router.get("/sales/quotations", summary="Quotations (报价单)")
def list_quotations(request, status: str = "", customer: str = "", limit: int = 100, offset: int = 0):
    def fn():
        check_text(status, customer)
        actions.require_read(request.auth)
        from .service import expire_overdue

        expire_overdue()
        qs = Quotation.objects.select_related("customer", "warehouse")
        if status:
            qs = qs.filter(status=status)
        if customer:
            qs = qs.filter(customer__code=customer)
        if not (1 <= limit <= 1000) or offset < 0:
            raise DocError("invalid_value", "limit 应在 1–1000 之间，offset 不能为负", field="limit")
        return json_response({"count": qs.count(), "results": [actions.quotation_json(x, request.auth, full=False)
                                                                for x in qs[offset:offset + limit]]})
    return _read(fn)


@router.post("/sales/quotations", summary="Create a quotation", **W)
def create_quotation(request):
    return _write(request, lambda: json_response(actions.quotation_json(
        actions.create_quotation(request.auth, read_json_body(request)), request.auth), 201))


@router.get("/sales/quotations/{no}", summary="One quotation")
def get_quotation(request, no: str):
    return _read(lambda: json_response(actions.quotation_json(actions.get_quotation(request.auth, no), request.auth)))


@router.post("/sales/quotations/{no}/{action}", summary="send | expire | convert (to a draft sales order)", **W)
def quotation_action(request, no: str, action: str):
    def fn():
        obj = _body(request)
        out = actions.quotation_step(request.auth, no, action, warehouse=_opt(obj, "warehouse"), on=_day(obj.get("date")))
        if action == "convert":
            return json_response(actions.order_json(out, request.auth), 201)
        return json_response(actions.quotation_json(out, request.auth))
    return _write(request, fn)


@router.get("/sales/availability", summary="On hand, reserved and available per item in a warehouse")
def availability(request, warehouse: str = "", items: str = ""):
    return _read(lambda: json_response(actions.availability_json(request.auth, warehouse, items.split(","))))


@router.get("/sales/price", summary="The best price rule for an item, customer and quantity")
def price(request, item: str = "", customer: str = "", qty: str = "1", date: str = ""):
    from django.utils import timezone

    return _read(lambda: json_response(actions.price_json(request.auth, item, customer, qty,
                                                          _day(date) or timezone.localdate())))


@router.get("/sales/reservations", summary="Open reservations")
def reservations(request, item: str = "", warehouse: str = ""):
    def fn():
        check_text(item, warehouse)
        rows = actions.reservations(request.auth, item, warehouse)[:2000]
        return json_response({"results": [{"order": r.order.no, "line": r.order_line.line_no, "customer": r.order.customer.code,
                                           "item": r.item.code, "warehouse": r.warehouse.code, "qty": fmt_qty(r.qty_base)}
                                          for r in rows]})
    return _read(fn)
