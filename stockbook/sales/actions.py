"""One entry per user action (pages, REST and CLI share them): the capability and warehouse checks, then
the rule in service/delivery. ``user=None`` is the operator at the command line (everything allowed).

Capabilities: quotations and orders ``order_sales``; a delivery ``doc_sales``; an invoice ``doc_invoice``;
a collection ``doc_cash``; reading ``order_sales`` or ``view_documents``. Prices are left out for users
without ``view_price``."""
from decimal import Decimal

from django.db.models import Q

from stockbook.access import policy
from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money, fmt_qty
from stockbook.interchange.api_common import check_text

from . import availability, delivery, service
from .models import Quotation, Reservation, SalesOrder


def can_read(user) -> bool:
    return policy.can(user, "order_sales") or policy.can(user, "view_documents")


def require_read(user):
    if not can_read(user):
        policy.require(user, "order_sales")


def _price(p) -> str:
    return format(Decimal(p).normalize(), "f") if p is not None else None


def visible_orders(user, qs=None):
    qs = qs if qs is not None else SalesOrder.objects.all()
    ids = policy.warehouse_ids(user)
    if ids is not None:
        qs = qs.filter(warehouse_id__in=ids)
    return qs


def get_order(user, no) -> SalesOrder:
    require_read(user)
    check_text(no)
    o = visible_orders(user, SalesOrder.objects.select_related("customer", "warehouse")).filter(no=no).first()
    if o is None:
        raise DocError("unknown_reference", f"销售订单 {no} 不存在", field="sales_order")
    return o


def get_quotation(user, no) -> Quotation:
    require_read(user)
    check_text(no)
    q = Quotation.objects.select_related("customer", "warehouse").filter(no=no).first()
    if q is None:
        raise DocError("unknown_reference", f"报价单 {no} 不存在", field="quotation")
    return q


def filter_orders(user, status="", customer="", q="", warehouse=""):
    check_text(status, customer, q, warehouse)
    qs = visible_orders(user, SalesOrder.objects.select_related("customer", "warehouse"))
    if status:
        if status == "open":
            qs = qs.filter(status__in=SalesOrder.OPEN)
        elif status in dict(SalesOrder.STATUSES):
            qs = qs.filter(status=status)
        else:
            raise DocError("invalid_value", "status 不正确", field="status")
    if customer:
        qs = qs.filter(customer__code=customer)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if q:
        qs = qs.filter(Q(no__icontains=q) | Q(customer__name__icontains=q) | Q(customer__code__icontains=q) | Q(memo__icontains=q))
    return qs


def order_json(o: SalesOrder, user, full=True) -> dict:
    money = policy.sees_price(user)
    out = {"no": o.no, "status": o.status, "status_name": o.get_status_display(), "customer": o.customer.code,
           "customer_name": o.customer.name, "warehouse": o.warehouse.code, "date": o.date.isoformat(),
           "delivery_date": o.delivery_date.isoformat() if o.delivery_date else None,
           "quotation": o.quotation.no if o.quotation_id else None,
           "net_total": fmt_money(o.net_total) if money else None, "tax_total": fmt_money(o.tax_total) if money else None,
           "gross_total": fmt_money(o.gross_total) if money else None,
           "order_discount": fmt_money(o.order_discount) if money else None,
           "override_amount": fmt_money(o.override_amount) if money and o.override_amount is not None else None,
           "override_request": o.override_request_id, "link": f"/sales/orders/{o.no}/"}
    if full:
        res = {r.order_line_id: r.qty_base for r in Reservation.objects.filter(order=o)}
        out["lines"] = [{"line": ln.line_no, "item": ln.item.code, "item_name": ln.item.name, "uom": ln.uom,
                         "qty": fmt_qty(ln.qty), "qty_base": fmt_qty(ln.qty_base), "base_uom": ln.item.uom,
                         "delivered": fmt_qty(ln.delivered_base), "remaining": fmt_qty(ln.remaining_base),
                         "reserved": fmt_qty(res.get(ln.pk, 0)), "gift": ln.gift,
                         **({"list_price": _price(ln.list_price), "discount_pct": _price(ln.discount_pct),
                             "unit_price": _price(ln.unit_price), "tax_rate": _price(ln.tax_rate), "amount": fmt_money(ln.amount),
                             "discount_share": fmt_money(ln.discount_share), "net_amount": fmt_money(ln.net_amount),
                             "tax": fmt_money(ln.tax)} if money else {})}
                        for ln in o.lines.select_related("item")]
        docs = delivery.order_documents(o)
        out["documents"] = {k: [{"ref": d.ref, "type": d.type, "date": d.date.isoformat(), "status": d.status,
                                 "link": f"/documents/{d.pk}/"} for d in v] for k, v in docs.items()}
    return out


def quotation_json(q: Quotation, user, full=True) -> dict:
    money = policy.sees_price(user)
    out = {"no": q.no, "status": q.status, "status_name": q.get_status_display(), "customer": q.customer.code,
           "customer_name": q.customer.name, "warehouse": q.warehouse.code if q.warehouse_id else None,
           "date": q.date.isoformat(), "valid_until": q.valid_until.isoformat(), "memo": q.memo,
           "orders": [o.no for o in q.orders.all()], "link": f"/sales/quotations/{q.no}/"}
    if full:
        out["lines"] = [{"line": ln.line_no, "item": ln.item.code, "item_name": ln.item.name, "uom": ln.uom,
                         "qty": fmt_qty(ln.qty), "gift": ln.gift,
                         **({"list_price": _price(ln.list_price), "discount_pct": _price(ln.discount_pct),
                             "tax_rate": _price(ln.tax_rate)} if money else {})} for ln in q.lines.select_related("item")]
    return out


# -- writes ---------------------------------------------------------------------------------------------------
def create_order(user, data) -> SalesOrder:
    policy.require(user, "order_sales")
    if isinstance(data, dict) and isinstance(data.get("warehouse"), str):
        from stockbook.masterdata.models import Warehouse

        wh = Warehouse.objects.filter(code=data["warehouse"]).first()
        if wh is not None:
            policy.check_warehouse(user, wh.pk)
    return service.create_order(data, user)


def confirm(user, no) -> SalesOrder:
    policy.require(user, "order_sales")
    return service.confirm(get_order(user, no), user)


def cancel(user, no) -> SalesOrder:
    policy.require(user, "order_sales")
    return service.cancel(get_order(user, no), user)


def close(user, no) -> SalesOrder:
    policy.require(user, "order_sales")
    return service.close(get_order(user, no), user)


def request_override(user, no, reason=""):
    policy.require(user, "order_sales")
    if user is None:
        raise DocError("not_allowed", "超额度审批需要以用户身份申请（请在网页或 REST 中提交）")
    return service.request_override(get_order(user, no), user, reason)


def deliver(user, no, qtys=None, on=None, ref=None, source="web"):
    policy.require(user, "doc_sales")
    return delivery.deliver(get_order(user, no), qtys, on=on, ref=ref, user=user, source=source)


def invoice(user, no, on=None, ref=None, source="web"):
    policy.require(user, "doc_invoice")
    return delivery.invoice(get_order(user, no), on=on, ref=ref, user=user, source=source)


def collect(user, no, amount, account="1002", on=None, ref=None, source="web"):
    policy.require(user, "doc_cash")
    return delivery.collect(get_order(user, no), amount, account=account, on=on, ref=ref, user=user, source=source)


def create_quotation(user, data) -> Quotation:
    policy.require(user, "order_sales")
    return service.create_quotation(data, user)


def quotation_step(user, no, action, warehouse=None, on=None):
    policy.require(user, "order_sales")
    q = get_quotation(user, no)
    if action == "send":
        return service.send_quotation(q)
    if action == "expire":
        return service.expire_quotation(q)
    if action == "convert":
        return service.convert_quotation(q, user, warehouse=warehouse, on=on)
    raise DocError("invalid_value", f"未知操作 {action}", field="action")


def availability_json(user, warehouse: str, items: list[str]) -> dict:
    """{warehouse, items: {code: {on_hand, reserved, available, uom}}} for the order form."""
    require_read(user)
    check_text(warehouse, *items)
    from stockbook.masterdata.models import Item, Warehouse

    wh = policy.visible_warehouses(user).filter(code=warehouse).first() if user is not None else \
        Warehouse.objects.filter(code=warehouse).first()
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {warehouse} 不存在", field="warehouse")
    its = list(Item.objects.filter(code__in=[c.strip() for c in items if c.strip()][:500]))
    ids = [i.pk for i in its]
    oh, rs = availability.on_hand(ids, [wh.pk]), availability.reserved(ids, [wh.pk])
    return {"warehouse": wh.code, "items": {i.code: {
        "on_hand": fmt_qty(oh.get((i.pk, wh.pk), 0)), "reserved": fmt_qty(rs.get((i.pk, wh.pk), 0)),
        "available": fmt_qty(oh.get((i.pk, wh.pk), 0) - rs.get((i.pk, wh.pk), 0)), "uom": i.uom} for i in its}}


def price_json(user, item: str, customer: str, qty: str, on) -> dict:
    require_read(user)
    check_text(item, customer, qty)
    from stockbook.core.money import parse_qty, to_qty_units
    from stockbook.masterdata.models import Customer, Item

    it = Item.objects.filter(code=item).first()
    if it is None:
        raise DocError("unknown_item", f"存货 {item} 不存在", field="item")
    c = Customer.objects.filter(code=customer).first() if customer else None
    qb = to_qty_units(parse_qty(qty or "1", "qty"))
    p = service.best_price(it, c, qb, on)
    return {"item": it.code, "customer": c.code if c else None, "qty": fmt_qty(qb), "date": on.isoformat(),
            "unit_price": _price(p) if p is not None and policy.sees_price(user) else None, "tax_rate": _price(it.tax_rate)}


def reservations(user, item="", warehouse="", open_only=True):
    require_read(user)
    check_text(item, warehouse)
    qs = Reservation.objects.select_related("order", "order__customer", "item", "warehouse", "order_line")
    ids = policy.warehouse_ids(user)
    if ids is not None:
        qs = qs.filter(warehouse_id__in=ids)
    if open_only:
        qs = qs.filter(qty_base__gt=0)
    if item:
        qs = qs.filter(item__code=item)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    return qs.order_by("item__code", "warehouse__code", "order__no")


def post_result_json(res) -> dict:
    if res.document is None:
        return {"status": res.status, "approval": getattr(res.approval, "pk", None)}
    return {"status": res.status, "type": res.document.type, "ref": res.document.ref, "document": res.document.pk,
            "vouchers": [f"{v.word}-{v.number}" for v in res.vouchers], "link": f"/documents/{res.document.pk}/",
            "warnings": res.warnings}
