"""Posting hooks of the sales app (registered in SalesConfig.ready), run inside post()/void's transaction.

* ``after_delivery`` — a sales_delivery's lines naming ``sales_order``/``order_line``: the order exists
  (unknown_reference), is open (invalid_status), same customer, warehouse and item, qty ≤ what is left
  (invalid_value); the delivery consumes the order's reservation and is linked. Then, for every line (with an
  order or not): on hand after the delivery ≥ what *other* orders hold in that item × warehouse, else
  ``reserved_by_other``. A delivery of items nobody reserved costs one query.
* ``after_issue`` — a transfer (out of its ``from`` warehouse) or a scrap: the same ``reserved_by_other``
  check against every order's reservation (a reserved unit must not leave for another purpose). Stock counts
  are not checked: a count states what is there.
* ``void_delivery`` — gives the order its delivered qty and (when still open) its reservation back.
* ``credit_override`` — an approved override of an order the delivery names admits it over the credit limit."""
from django.db import connection
from django.db.models import F

from stockbook.masterdata.models import Item

from stockbook.core.errors import DocError

from . import availability
from .models import DeliveryLink, Reservation, SalesOrder, SalesOrderLine

SO = SalesOrder


def _so_lines(obj) -> list[tuple[int, dict]]:
    lines = obj.get("lines") if isinstance(obj, dict) else None
    if not isinstance(lines, list):
        return []
    return [(n, ln) for n, ln in enumerate(lines, 1) if isinstance(ln, dict) and ln.get("sales_order") not in (None, "")]


def after_delivery(ctx, doc, vouchers):
    named = _so_lines(ctx.obj)
    orders: dict[str, SalesOrder] = {}
    if named:
        orders = _link(ctx, doc, named)
    _check_reserved(ctx, doc, [o.pk for o in orders.values()],
                    "存货 {code} 出库后结存 {left}，低于其他销售订单的预留 {held}；请按订单出库或先释放预留")


def after_issue(ctx, doc, vouchers):
    """A transfer (out of its ``from`` warehouse) or a scrap: a reserved unit must not leave for another
    purpose — on hand after it ≥ what sales orders hold there, else ``reserved_by_other`` (Odoo: reserved
    quants cannot be moved by another picking; ERPNext: reserved stock cannot be consumed by other entries).
    A stock count is not checked: it states what is there."""
    what = "调出" if doc.type == "transfer" else "报废"
    _check_reserved(ctx, doc, [], "存货 {code} " + what + "后结存 {left}，低于销售订单的预留 {held}；请先释放或调整预留")


def _check_reserved(ctx, doc, own_orders, message):
    """reserved_by_other: one grouped query over the document's items in its warehouse (usually nothing
    reserved → done); the stock on hand is read only for items that some other order holds."""
    raw = ctx.obj.get("lines") or []
    item_ids = {}
    for n, ln in enumerate(raw, 1):
        it = ctx.books.item(ln.get("item")) if isinstance(ln, dict) else None
        if it is not None and it.pk not in item_ids:
            item_ids[it.pk] = n
    if not item_ids:
        return
    if connection.vendor == "postgresql":  # a confirmation reserving these items waits for this document (and v.v.)
        ids = sorted(item_ids)
        with connection.cursor() as cur:
            cur.execute(f"SELECT id FROM {Item._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id FOR UPDATE", ids)
    wh = doc.warehouse_id
    held = {item_id: q for (item_id, _), q in availability.reserved(item_ids, [wh], exclude_orders=own_orders).items()}
    if not held:
        return
    oh = availability.on_hand(held, [wh])
    for item_id, q in held.items():
        left = oh.get((item_id, wh), 0)
        if left < q:
            code = ctx.books.item(raw[item_ids[item_id] - 1].get("item")).code
            raise DocError("reserved_by_other", message.format(code=code, left=f"{left / 10000:g}", held=f"{q / 10000:g}"),
                           field="qty", line=item_ids[item_id])


def _link(ctx, doc, named) -> dict[str, SalesOrder]:
    nos = {ln["sales_order"] for _, ln in named if isinstance(ln["sales_order"], str)}
    orders = {o.no: o for o in SalesOrder.objects.select_for_update().filter(no__in=nos)}
    for n, ln in named:
        no = ln["sales_order"]
        o = orders.get(no) if isinstance(no, str) else None
        if o is None:
            raise DocError("unknown_reference", f"销售订单 {no} 不存在", field="sales_order", line=n)
        if o.status not in SO.OPEN:
            raise DocError("invalid_status", f"销售订单 {no} 状态为{o.get_status_display()}，不能发货", field="sales_order", line=n)
        if o.customer_id != doc.customer_id:
            raise DocError("invalid_value", f"销售订单 {no} 不属于该客户", field="sales_order", line=n)
        if o.warehouse_id != doc.warehouse_id:
            raise DocError("invalid_value", f"销售订单 {no} 的发货仓库不是本单仓库", field="sales_order", line=n)
    olines = {(x.order_id, x.line_no): x for x in SalesOrderLine.objects.select_for_update().filter(order__in=orders.values())}
    dlines = {x["line_no"]: x for x in doc.lines.values("line_no", "item_id", "qty_base", "amount")}
    res = {r.order_line_id: r for r in Reservation.objects.select_for_update().filter(order__in=orders.values())}
    taken: dict[int, int] = {}
    links = []
    for n, ln in named:
        o = orders[ln["sales_order"]]
        k = ln.get("order_line")
        if isinstance(k, bool) or not isinstance(k, int):
            raise DocError("invalid_value", "order_line 必须是整数行号", field="order_line", line=n)
        ol = olines.get((o.pk, k))
        if ol is None:
            raise DocError("unknown_reference", f"销售订单 {o.no} 没有第 {k} 行", field="order_line", line=n)
        dl = dlines[n]
        if dl["item_id"] != ol.item_id:
            raise DocError("invalid_value", f"本行存货与销售订单 {o.no} 第 {k} 行不同", field="item", line=n)
        q = dl["qty_base"]
        left = ol.qty_base - ol.delivered_base - taken.get(ol.pk, 0)
        if q > left:
            raise DocError("invalid_value", f"销售订单 {o.no} 第 {k} 行未发货 {max(left, 0) / 10000:g}，本次发货 {q / 10000:g} 超出",
                           field="qty", line=n)
        taken[ol.pk] = taken.get(ol.pk, 0) + q
        r = res.get(ol.pk)
        t = min(r.qty_base, q) if r is not None else 0
        if r is not None:
            r.qty_base -= t
        links.append(DeliveryLink(document=doc, line_no=n, order=o, order_line=ol, qty_base=q, amount=dl["amount"] or 0,
                                  reserved_taken=t))
    DeliveryLink.objects.bulk_create(links)
    # one executemany each (Django's bulk_update builds a CASE per row: 10× slower for 200 lines)
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {SalesOrderLine._meta.db_table} SET delivered_base = delivered_base + %s WHERE id = %s",
                        [(q, pk) for pk, q in taken.items()])
        cons = {}
        for lk in links:
            if lk.reserved_taken:
                cons[lk.order_line_id] = cons.get(lk.order_line_id, 0) + lk.reserved_taken
        if cons:
            cur.executemany(f"UPDATE {Reservation._meta.db_table} SET qty_base = qty_base - %s WHERE order_line_id = %s",
                            [(q, pk) for pk, q in cons.items()])
    from .service import refresh_status

    for o in orders.values():
        refresh_status(o)
    return orders


def void_delivery(doc, user):
    links = list(DeliveryLink.objects.filter(document=doc).select_related("order"))
    if not links:
        return
    from .service import refresh_status

    orders = {}
    for lk in links:
        SalesOrderLine.objects.filter(pk=lk.order_line_id).update(delivered_base=F("delivered_base") - lk.qty_base)
        if lk.order.status in (SO.CONFIRMED, SO.PARTIAL, SO.DELIVERED) and lk.reserved_taken:
            Reservation.objects.filter(order_line_id=lk.order_line_id).update(qty_base=F("qty_base") + lk.reserved_taken)
        orders[lk.order_id] = lk.order
    DeliveryLink.objects.filter(document=doc).delete()
    for o in orders.values():
        o.refresh_from_db()
        refresh_status(o)


def credit_override(ctx, customer, total) -> bool:
    named = _so_lines(ctx.obj)
    if not named:
        return False
    nos = {ln["sales_order"] for _, ln in named if isinstance(ln["sales_order"], str)}
    return SalesOrder.objects.filter(no__in=nos, customer=customer, status__in=SO.OPEN, override_amount__gte=total).exists()
