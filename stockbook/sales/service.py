"""The rules of quotations and sales orders (docs/sales.md).

Statuses live in one table (TRANSITIONS); every change goes through ``_move`` which refuses any other step
with ``invalid_status``. Confirming checks availability (on hand − reserved, per line × warehouse, in two
grouped queries), the customer's credit (1122 balance + open orders + this order's gross) and writes one
reservation per line. Deliveries post a contract ``sales_delivery`` whose lines name the order
(``sales_order``/``order_line``); the posting hook in ``hooks.py`` checks and links them."""
from datetime import date as Date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from stockbook.core.errors import DocError
from stockbook.core.numbering import next_monthly_number
from stockbook.core.money import (CENT, parse_money, parse_number, parse_price, parse_qty, parse_rate, round2, to_fen,
                                  to_qty_units)
from stockbook.masterdata.models import Customer, Item, Warehouse

from . import availability
from .models import DeliveryLink, PriceRule, Quotation, QuotationLine, Reservation, SalesOrder, SalesOrderLine

SO = SalesOrder
TRANSITIONS = {  # from → allowed targets
    SO.DRAFT: {SO.CONFIRMED, SO.CANCELLED},
    SO.CONFIRMED: {SO.PARTIAL, SO.DELIVERED, SO.CLOSED, SO.CANCELLED},
    SO.PARTIAL: {SO.PARTIAL, SO.DELIVERED, SO.CLOSED, SO.CONFIRMED},  # CONFIRMED: a void gave everything back
    SO.DELIVERED: {SO.CLOSED, SO.PARTIAL, SO.CONFIRMED},  # back by void of a delivery
    SO.CLOSED: set(),
    SO.CANCELLED: set(),
}
Q_TRANSITIONS = {Quotation.DRAFT: {Quotation.SENT, Quotation.CONVERTED, Quotation.EXPIRED},
                 Quotation.SENT: {Quotation.CONVERTED, Quotation.EXPIRED}, Quotation.CONVERTED: set(), Quotation.EXPIRED: set()}
HUNDRED = Decimal(100)


def status_zh(status, table=SO) -> str:
    return dict(table.STATUSES).get(status, status)


def _move(order: SalesOrder, to: str):
    if to not in TRANSITIONS.get(order.status, set()):
        raise DocError("invalid_status", f"销售订单 {order.no} 状态为{status_zh(order.status)}，不能变为{status_zh(to)}")
    order.status = to


def _q_move(q: Quotation, to: str):
    if to not in Q_TRANSITIONS.get(q.status, set()):
        raise DocError("invalid_status", f"报价单 {q.no} 状态为{status_zh(q.status, Quotation)}，不能变为{status_zh(to, Quotation)}")
    q.status = to


# -- numbering --------------------------------------------------------------------------------------------
def _create_numbered(model, prefix, d, **kw):
    for _ in range(5):
        try:
            with transaction.atomic():
                return model.objects.create(no=next_monthly_number(model, "no", prefix, d), **kw)
        except IntegrityError:
            continue
    raise DocError("duplicate_ref", "编号已被其他用户同时占用，请重试")


# -- prices -----------------------------------------------------------------------------------------------
def best_price(item, customer, qty_base: int, on: Date) -> Decimal | None:
    """The lowest unit price of the active rules for item (customer's own or general) that the quantity
    reaches and the date is within; None when no rule applies."""
    qs = PriceRule.objects.filter(item=item, active=True, min_qty__lte=qty_base).filter(
        Q(customer__isnull=True) | Q(customer=customer)).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return qs.order_by("unit_price").values_list("unit_price", flat=True).first()


def best_prices(items, customer, qty_by_item: dict, on: Date) -> dict:
    """{item_id: best price} for many items in one query."""
    ids = [i.pk if hasattr(i, "pk") else i for i in items]
    out: dict = {}
    qs = PriceRule.objects.filter(item_id__in=ids, active=True).filter(
        Q(customer__isnull=True) | Q(customer=customer)).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    for r in qs.values("item_id", "min_qty", "unit_price"):
        if r["min_qty"] <= qty_by_item.get(r["item_id"], 0) and (r["item_id"] not in out or r["unit_price"] < out[r["item_id"]]):
            out[r["item_id"]] = r["unit_price"]
    return out


# -- input ------------------------------------------------------------------------------------------------
def _str(data, key, label, required=True):
    v = data.get(key)
    if v is None or v == "":
        if required:
            raise DocError("invalid_value", f"缺少{label} {key}", field=key)
        return None
    if not isinstance(v, str):
        raise DocError("invalid_value", f"{label} {key} 必须是字符串", field=key)
    return v.strip()


def _date(data, key, label, required=True, default=None):
    v = _str(data, key, label, required=required and default is None)
    if v is None:
        return default
    try:
        return Date.fromisoformat(v)
    except ValueError:
        raise DocError("invalid_value", f"{label} {v} 不是有效日期（YYYY-MM-DD）", field=key) from None


def _customer(code):
    c = Customer.objects.filter(code=code).first()
    if c is None:
        raise DocError("unknown_party", f"客户 {code} 不存在", field="customer")
    if not c.active:
        raise DocError("invalid_value", f"客户 {code} 已停用", field="customer")
    return c


def _warehouse(code):
    w = Warehouse.objects.filter(code=code).first()
    if w is None:
        raise DocError("unknown_warehouse", f"仓库 {code} 不存在", field="warehouse")
    if not w.active:
        raise DocError("invalid_value", f"仓库 {code} 已停用", field="warehouse")
    return w


def _pct(v, field="discount_pct") -> Decimal:
    d = parse_number(v if v not in (None, "") else "0", field)
    if not (0 <= d <= 100):
        raise DocError("invalid_value", f"折扣 {field} 须在 0 与 100 之间", field=field)
    return d


def parse_lines(raw_lines, customer, on: Date, *, require_price=True) -> list[dict]:
    """Check the lines of a quotation/order: item, qty, uom?, list_price (or a price rule), discount_pct?,
    tax_rate? (item default), gift?. Returns dicts with Decimal/int values."""
    from stockbook.posting.books import Books
    from stockbook.posting.handlers.units import base_qty

    if not isinstance(raw_lines, list) or not raw_lines:
        raise DocError("invalid_value", "至少需要一行明细 lines", field="lines")
    books = Books()
    codes = [ln.get("item") for ln in raw_lines if isinstance(ln, dict)]
    items = {i.code: i for i in Item.objects.filter(code__in=[c for c in codes if isinstance(c, str)])}
    out = []
    for n, ln in enumerate(raw_lines, 1):
        try:
            if not isinstance(ln, dict):
                raise DocError("invalid_value", "明细行必须是对象", field="lines")
            code = _str(ln, "item", "存货")
            item = items.get(code)
            if item is None:
                raise DocError("unknown_item", f"存货 {code} 不存在", field="item")
            if not item.active:
                raise DocError("invalid_value", f"存货 {code} 已停用", field="item")
            q = parse_qty(ln.get("qty"), "qty")
            uom, qbase = base_qty(books, item, ln, q)
            gift = ln.get("gift") in (True, "true", "1", 1, "on")
            price = ln.get("list_price", ln.get("unit_price"))
            if price in (None, ""):
                rule = best_price(item, customer, qbase, on)
                if rule is None:
                    if gift:
                        rule = Decimal(0)
                    elif require_price:
                        raise DocError("invalid_value", f"存货 {code} 缺少单价且没有适用的价格政策", field="list_price")
                    else:
                        rule = Decimal(0)
                price = rule
            else:
                price = parse_price(price, "list_price", allow_zero=True)
            if price == 0 and not gift:
                raise DocError("invalid_value", "非赠品行单价必须大于 0", field="list_price")
            pct = _pct(ln.get("discount_pct"))
            rate = parse_rate(ln["tax_rate"]) if ln.get("tax_rate") not in (None, "") else (item.tax_rate or Decimal(0))
            out.append(dict(line_no=n, item=item, uom=uom, qty=to_qty_units(q), qty_dec=q, qty_base=qbase, list_price=price,
                            discount_pct=pct, tax_rate=rate, gift=gift))
        except DocError as e:
            if e.line is None:
                e.line = n
            raise
    return out


def line_amount(qty_dec: Decimal, price: Decimal, pct: Decimal, gift: bool) -> int:
    """Net of a line before the order discount, to the 分: qty × price × (1 − pct/100); gifts 0."""
    if gift:
        return 0
    return to_fen(round2(qty_dec * price * (HUNDRED - pct) / HUNDRED))


def spread(total_off: int, amounts: list[int]) -> list[int]:
    """An amount off spread over lines in proportion to their amounts, half-up to the 分; the last line
    with an amount takes the rest, so the shares add up exactly."""
    base = sum(amounts)
    if total_off < 0 or total_off > base:
        raise DocError("invalid_value", f"整单优惠 {total_off / 100:.2f} 不能为负或超过订单金额 {base / 100:.2f}",
                       field="order_discount")
    shares = [0] * len(amounts)
    if total_off == 0:
        return shares
    last = max(i for i, a in enumerate(amounts) if a > 0)
    for i, a in enumerate(amounts):
        if i != last:
            shares[i] = int((Decimal(total_off) * a / base).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    shares[last] = total_off - sum(shares)
    return shares


def price_lines(lines: list[dict], order_discount: int) -> list[dict]:
    """Fill amount, discount_share, net_amount, tax and the net unit price of each parsed line."""
    amounts = [line_amount(ln["qty_dec"], ln["list_price"], ln["discount_pct"], ln["gift"]) for ln in lines]
    shares = spread(order_discount, amounts)
    for ln, a, s in zip(lines, amounts, shares):
        net = a - s
        ln.update(amount=a, discount_share=s, net_amount=net,
                  tax=to_fen(round2(Decimal(net) / 100 * ln["tax_rate"])),
                  unit_price=(Decimal(net) / 100 / ln["qty_dec"]).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))
    return lines


# -- quotations -------------------------------------------------------------------------------------------
def create_quotation(data: dict, user=None) -> Quotation:
    customer = _customer(_str(data, "customer", "客户"))
    d = _date(data, "date", "报价日期", default=timezone.localdate())
    valid = _date(data, "valid_until", "有效期至")
    if valid < d:
        raise DocError("invalid_value", "有效期不能早于报价日期", field="valid_until")
    wh = _warehouse(_str(data, "warehouse", "仓库")) if data.get("warehouse") else None
    lines = parse_lines(data.get("lines"), customer, d)
    with transaction.atomic():
        q = _create_numbered(Quotation, "XSBJ", d, customer=customer, warehouse=wh, date=d, valid_until=valid,
                             memo=(data.get("memo") or "")[:500], created_by=user if getattr(user, "pk", None) else None)
        QuotationLine.objects.bulk_create([QuotationLine(
            quotation=q, line_no=ln["line_no"], item=ln["item"], uom=ln["uom"], qty=ln["qty"], list_price=ln["list_price"],
            discount_pct=ln["discount_pct"], tax_rate=ln["tax_rate"], gift=ln["gift"]) for ln in lines])
    return q


def send_quotation(q: Quotation) -> Quotation:
    _q_move(q, Quotation.SENT)
    q.save(update_fields=["status"])
    return q


def expire_quotation(q: Quotation) -> Quotation:
    _q_move(q, Quotation.EXPIRED)
    q.save(update_fields=["status"])
    return q


def expire_overdue(today: Date | None = None) -> int:
    """Quotations past their valid-until date become 已失效 (run when quotations are listed)."""
    today = today or timezone.localdate()
    return Quotation.objects.filter(status__in=(Quotation.DRAFT, Quotation.SENT), valid_until__lt=today).update(status=Quotation.EXPIRED)


def convert_quotation(q: Quotation, user=None, warehouse: str | None = None, on: Date | None = None) -> SalesOrder:
    """报价转订单: a draft order with the quotation's lines (one click)."""
    on = on or timezone.localdate()
    if q.status in Q_TRANSITIONS and q.status not in (Quotation.CONVERTED, Quotation.EXPIRED) and q.valid_until < on:
        raise DocError("invalid_status", f"报价单 {q.no} 已过有效期 {q.valid_until}")
    _q_move(q, Quotation.CONVERTED)
    wh = warehouse or (q.warehouse.code if q.warehouse else None)
    if not wh:
        raise DocError("invalid_value", "请选择发货仓库", field="warehouse")
    data = {"customer": q.customer.code, "warehouse": wh, "date": on.isoformat(), "lines": [
        {"item": ln.item.code, "qty": str(Decimal(ln.qty) / 10000), "uom": ln.uom, "list_price": str(ln.list_price),
         "discount_pct": str(ln.discount_pct), "tax_rate": str(ln.tax_rate), "gift": ln.gift}
        for ln in q.lines.select_related("item")]}
    with transaction.atomic():
        order = create_order(data, user)
        order.quotation = q
        order.save(update_fields=["quotation"])
        q.save(update_fields=["status"])
    return order


# -- orders -----------------------------------------------------------------------------------------------
def create_order(data: dict, user=None) -> SalesOrder:
    """A draft order from {customer, warehouse, date?, delivery_date?, order_discount?, memo?, lines}."""
    if not isinstance(data, dict):
        raise DocError("invalid_value", "订单必须是对象")
    customer = _customer(_str(data, "customer", "客户"))
    wh = _warehouse(_str(data, "warehouse", "仓库"))
    d = _date(data, "date", "订单日期", default=timezone.localdate())
    dd = _date(data, "delivery_date", "交货日期", required=False)
    off = data.get("order_discount")
    off = to_fen(round2(parse_money(off, "order_discount", allow_zero=True))) if off not in (None, "") else 0
    lines = price_lines(parse_lines(data.get("lines"), customer, d), off)
    with transaction.atomic():
        order = _create_numbered(SalesOrder, "XSDD", d, customer=customer, warehouse=wh, date=d, delivery_date=dd,
                                 order_discount=off, net_total=sum(x["net_amount"] for x in lines),
                                 tax_total=sum(x["tax"] for x in lines), memo=(data.get("memo") or "")[:500],
                                 created_by=user if getattr(user, "pk", None) else None)
        SalesOrderLine.objects.bulk_create([SalesOrderLine(
            order=order, line_no=ln["line_no"], item=ln["item"], uom=ln["uom"], qty=ln["qty"], qty_base=ln["qty_base"],
            list_price=ln["list_price"], discount_pct=ln["discount_pct"], unit_price=ln["unit_price"], tax_rate=ln["tax_rate"],
            gift=ln["gift"], amount=ln["amount"], discount_share=ln["discount_share"], net_amount=ln["net_amount"], tax=ln["tax"])
            for ln in lines])
    return order


def get_order(no: str, lock=False) -> SalesOrder:
    qs = SalesOrder.objects.select_related("customer", "warehouse")
    if lock:
        qs = qs.select_for_update()
    o = qs.filter(no=no).first()
    if o is None:
        raise DocError("unknown_reference", f"销售订单 {no} 不存在", field="sales_order")
    return o


def ar_balance(customer) -> int:
    from stockbook.ledger.models import PartyBalance

    return PartyBalance.receivable(customer.pk)


def open_orders_amount(customer, exclude=None) -> int:
    """Gross of what open orders of the customer have not delivered yet (分)."""
    total = 0
    qs = SalesOrderLine.objects.filter(order__customer=customer, order__status__in=SO.OPEN)
    if exclude is not None:
        qs = qs.exclude(order=exclude)
    for r in qs.values("qty_base", "delivered_base", "net_amount", "tax"):
        if r["qty_base"] > r["delivered_base"]:
            total += (r["net_amount"] + r["tax"]) * (r["qty_base"] - r["delivered_base"]) // r["qty_base"]
    return total


def credit_exposure(order: SalesOrder) -> tuple[int, int, int]:
    """(1122 balance, open orders' undelivered gross, this order's gross)."""
    return ar_balance(order.customer), open_orders_amount(order.customer, exclude=order), order.gross_total


def check_credit(order: SalesOrder):
    limit = order.customer.credit_limit
    if limit is None:
        return
    bal, open_amt, this = credit_exposure(order)
    total = bal + open_amt + this
    if total > limit and not (order.override_amount is not None and order.override_amount >= total):
        raise DocError("credit_limit_exceeded",
                       f"客户 {order.customer.code} 应收余额 {bal / 100:.2f} + 未发货订单 {open_amt / 100:.2f} + 本单 "
                       f"{this / 100:.2f} = {total / 100:.2f}，超出信用额度 {limit / 100:.2f}；可申请超额度审批")


def check_available(order: SalesOrder, lines=None):
    """Every line's base qty (summed per item) ≤ on hand − reserved in the order's warehouse."""
    lines = lines if lines is not None else list(order.lines.select_related("item"))
    want: dict[int, int] = {}
    for ln in lines:
        want[ln.item_id] = want.get(ln.item_id, 0) + ln.qty_base
    avail = availability.available(list(want), [order.warehouse_id])
    for ln in lines:
        a = avail.get((ln.item_id, order.warehouse_id), 0)
        if want[ln.item_id] > a:
            raise DocError("insufficient_available",
                           f"存货 {ln.item.code} 需要 {want[ln.item_id] / 10000:g}，仓库 {order.warehouse.code} 可用 "
                           f"{max(a, 0) / 10000:g}（现存量 − 已预留）", field="qty", line=ln.line_no)


def confirm(order: SalesOrder | str, user=None) -> SalesOrder:
    """草稿 → 已确认: availability, credit, reservations — all or nothing."""
    arg = order
    with transaction.atomic():
        order = get_order(order if isinstance(order, str) else order.no, lock=True)
        if order.status != SO.DRAFT:
            _move(order, SO.CONFIRMED)  # raises invalid_status
        if order.customer.credit_limit is not None:  # one confirmation of a customer at a time
            Customer.objects.select_for_update().filter(pk=order.customer_id).first()
        lines = list(order.lines.select_related("item"))
        # lock the rows of the items we reserve so two confirmations of one item run one after the other
        list(Item.objects.select_for_update().filter(pk__in={ln.item_id for ln in lines}).order_by("pk").values_list("pk", flat=True))
        check_available(order, lines)
        check_credit(order)
        _move(order, SO.CONFIRMED)
        order.confirmed_at = timezone.now()
        order.save(update_fields=["status", "confirmed_at"])
        Reservation.objects.bulk_create([Reservation(order=order, order_line=ln, item_id=ln.item_id,
                                                     warehouse_id=order.warehouse_id, qty_base=ln.qty_base) for ln in lines])
    return _sync(arg, order)


def _sync(arg, order):
    if isinstance(arg, SalesOrder) and arg is not order:
        arg.status, arg.confirmed_at, arg.override_amount = order.status, order.confirmed_at, order.override_amount
    return order


def release(order: SalesOrder):
    Reservation.objects.filter(order=order).update(qty_base=0, updated_at=timezone.now())


def cancel(order: SalesOrder | str, user=None) -> SalesOrder:
    arg = order
    with transaction.atomic():
        order = get_order(order if isinstance(order, str) else order.no, lock=True)
        if order.lines.filter(delivered_base__gt=0).exists():
            raise DocError("invalid_status", f"销售订单 {order.no} 已有发货，不能取消；请关闭订单")
        _move(order, SO.CANCELLED)
        order.save(update_fields=["status"])
        release(order)
    return _sync(arg, order)


def close(order: SalesOrder | str, user=None) -> SalesOrder:
    arg = order
    """已关闭: no more deliveries; what was not delivered is released."""
    with transaction.atomic():
        order = get_order(order if isinstance(order, str) else order.no, lock=True)
        _move(order, SO.CLOSED)
        order.save(update_fields=["status"])
        release(order)
    return _sync(arg, order)


def refresh_status(order: SalesOrder):
    """已确认 / 部分发货 / 已发货 from the delivered quantities (an open order only)."""
    if order.status not in (SO.CONFIRMED, SO.PARTIAL, SO.DELIVERED):
        return
    rows = list(order.lines.values_list("qty_base", "delivered_base"))
    if all(d >= q for q, d in rows):
        to = SO.DELIVERED
    elif any(d > 0 for _, d in rows):
        to = SO.PARTIAL
    else:
        to = SO.CONFIRMED
    if to != order.status:
        _move(order, to)
        order.save(update_fields=["status"])


# -- credit override (approvals) ------------------------------------------------------------------------------
DEFAULT_WORKFLOW = ("超信用额度审批（默认）", ["财务主管"])


def _workflow():
    from django.contrib.auth.models import Group

    from stockbook.approvals.models import MODE_ANY, Step, Workflow
    from stockbook.approvals.service import find_workflow

    wf = find_workflow("credit_override", None)
    if wf is not None:
        return wf
    name, roles = DEFAULT_WORKFLOW
    wf = Workflow.objects.filter(doc_type="credit_override", name=name).first()
    if wf is None:
        wf = Workflow.objects.create(doc_type="credit_override", name=name, priority=0)
        s = Step.objects.create(workflow=wf, level=1, name="审批", mode=MODE_ANY, timeout_hours=48)
        s.roles.set(Group.objects.filter(name__in=roles))
    return wf


def request_override(order: SalesOrder | str, user, reason: str = ""):
    """Ask for a credit-limit override of a draft order that the credit check refuses (only then)."""
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import submit

    order = get_order(order if isinstance(order, str) else order.no)
    if order.status != SO.DRAFT:
        raise DocError("invalid_status", f"销售订单 {order.no} 状态为{status_zh(order.status)}，只有草稿订单可申请超额度")
    if order.customer.credit_limit is None:
        raise DocError("invalid_value", f"客户 {order.customer.code} 没有信用额度，无需申请")
    bal, open_amt, this = credit_exposure(order)
    total = bal + open_amt + this
    if total <= order.customer.credit_limit:
        raise DocError("invalid_value", "未超出信用额度，直接确认订单即可")
    check_available(order)  # an override that could never confirm is refused now
    req = submit(workflow=_workflow(), doc_type="credit_override", ref=order.no,
                 obj={"sales_order": order.no, "customer": order.customer.code, "exposure": total,
                      "credit_limit": order.customer.credit_limit, "reason": (reason or "").strip()[:500]},
                 maker=user, amount=total, source="web", kind=ApprovalRequest.KIND_CREDIT)
    SalesOrder.objects.filter(pk=order.pk).update(override_request=req)
    return req


def _execute_override(req):
    """Final approval: record the approved exposure and confirm the order (as the seller who asked)."""
    p = req.document_obj
    order = get_order(p["sales_order"], lock=True)
    if order.customer.code != p.get("customer"):
        raise DocError("invalid_value", "订单客户已变更")
    order.override_amount = int(req.amount or p.get("exposure") or 0)
    order.save(update_fields=["override_amount"])
    confirm(order, req.maker)
    return None


def register_executor():
    from stockbook.approvals.models import ApprovalRequest
    from stockbook.approvals.service import register_executor as reg

    reg(ApprovalRequest.KIND_CREDIT, _execute_override)
