"""The demo's sales: historical deliveries get their sales orders back (补录), and the open month shows the live
flows. ``load(out) -> list[str]`` is idempotent (a second run writes nothing new) and returns summary lines.

- Back-fill: about one of every three historical sales deliveries (by a hash of the ref, stable across runs) gets a
  sales order of the same customer, warehouse, items, quantities and prices, dated three days before the delivery,
  linked directly (DeliveryLink rows: no document is posted), status 已关闭 when older than 60 days, else 已发货.
- Live, in the first open month (memo "[演示]"): a tiered price rule (阶梯价); a quotation sent to a customer; a
  confirmed order holding reservations with a gift line (赠品); an order partly delivered (its delivery posted with
  post(..., source="demo")); an order over the customer's credit limit with a pending override request
  (超信用额度审批, by the seller ``seller``, to the finance chief)."""
import zlib
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from stockbook.core.errors import DocError
from stockbook.demo import days
from stockbook.demo.days import live_day
from stockbook.core.money import fmt_qty
from stockbook.posting.models import Document, DocumentLine

from . import availability, service
from .models import DeliveryLink, PriceRule, Quotation, SalesOrder, SalesOrderLine

SO = SalesOrder
LIVE = "[演示]"
BACKFILL = "历史补录"


@transaction.atomic
def backfill(today: date | None = None) -> int:
    """Orders for historical deliveries not linked yet; returns the number of orders written."""
    today = today or days.today()
    linked = set(DeliveryLink.objects.values_list("document_id", flat=True))
    deliveries = list(Document.objects.filter(type="sales_delivery", status=Document.POSTED, source__in=["demo", "import"])
                      .select_related("customer", "warehouse").order_by("date", "ref"))
    todo = [d for d in deliveries if zlib.crc32(d.ref.encode()) % 3 == 0 and d.pk not in linked and d.customer_id and d.warehouse_id]
    lines_of: dict[int, list] = {}
    for dl in DocumentLine.objects.filter(document__in=todo).select_related("item").order_by("document_id", "line_no"):
        lines_of.setdefault(dl.document_id, []).append(dl)
    made = 0
    counters: dict[str, int] = {}
    for doc in todo:
        lines = lines_of.get(doc.pk, [])
        if not lines or any(dl.item_id is None or dl.unit_price in (None, "") or not dl.qty for dl in lines):
            continue
        day = doc.date - timedelta(days=3)
        head = f"XSDD-{day:%Y%m}-"
        if head not in counters:
            last = SalesOrder.objects.filter(no__startswith=head).order_by("-no").values_list("no", flat=True).first()
            counters[head] = int(last[len(head):]) if last and last[len(head):].isdigit() else 0
        counters[head] += 1
        net = sum(dl.amount or 0 for dl in lines)
        taxes = [int((Decimal(dl.amount or 0) * Decimal(dl.item.tax_rate or 0)).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for dl in lines]
        o = SalesOrder.objects.create(no=f"{head}{counters[head]:04d}", customer_id=doc.customer_id, warehouse_id=doc.warehouse_id, date=day,
                                      delivery_date=doc.date, status=SO.CLOSED if (today - doc.date).days > 60 else SO.DELIVERED,
                                      net_total=net, tax_total=sum(taxes), memo=f"{BACKFILL}（出库单 {doc.ref}）")
        ols = SalesOrderLine.objects.bulk_create([SalesOrderLine(
            order=o, line_no=i, item_id=dl.item_id, uom=dl.uom or dl.item.uom, qty=dl.qty, qty_base=dl.qty_base,
            list_price=Decimal(dl.unit_price), unit_price=Decimal(dl.unit_price).quantize(Decimal("0.000001")),
            tax_rate=Decimal(dl.item.tax_rate or 0), gift=not (dl.amount or 0), amount=dl.amount or 0, net_amount=dl.amount or 0,
            tax=t, delivered_base=dl.qty_base) for i, (dl, t) in enumerate(zip(lines, taxes), 1)])
        ols = list(SalesOrderLine.objects.filter(order=o).order_by("line_no"))
        DeliveryLink.objects.bulk_create([DeliveryLink(document=doc, line_no=dl.line_no, order=o, order_line=ol, qty_base=dl.qty_base,
                                                       amount=dl.amount or 0) for dl, ol in zip(lines, ols)])
        made += 1
    return made


def _stocked(limit=6):
    """[(item, warehouse, available)] with the most available stock (distinct items)."""
    from stockbook.masterdata.models import Item, Warehouse

    av = sorted(((q, k) for k, q in availability.available().items() if q > 0), reverse=True)
    seen, out = set(), []
    for q, (item_id, wh_id) in av:
        if item_id in seen:
            continue
        seen.add(item_id)
        out.append((Item.objects.get(pk=item_id), Warehouse.objects.get(pk=wh_id), q))
        if len(out) == limit:
            break
    return out


def _last_price(item) -> Decimal:
    """The item's last sales price per base unit (net ÷ base qty of its latest priced delivery line)."""
    r = (DocumentLine.objects.filter(document__type="sales_delivery", document__status=Document.POSTED, item=item, amount__gt=0,
                                     qty_base__gt=0).order_by("-document__date", "-id").values_list("amount", "qty_base").first())
    if r:
        return (Decimal(r[0]) / 100 / (Decimal(r[1]) / 10000)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) or Decimal("0.0001")
    return Decimal("100")


def live(out_lines: list[str]):
    from django.contrib.auth.models import User

    from stockbook.masterdata.models import Customer
    from stockbook.posting.books import Books

    from . import delivery

    if SalesOrder.objects.filter(memo__startswith=LIVE).exists():
        out_lines.append("销售演示流程已存在（未重复生成）")
        return
    books = Books()
    if books.company is None:
        return
    day = live_day(books)
    first = day.replace(day=1)
    stock = _stocked()
    if not stock:
        return
    stock = [stock[i % len(stock)] for i in range(5)]
    seller = User.objects.filter(username="seller").first()
    tight = Customer.objects.filter(active=True, credit_limit__isnull=False).order_by("credit_limit", "code").first()
    if tight is None:
        return
    def headroom(c):
        return 10 ** 15 if c.credit_limit is None else c.credit_limit - service.ar_balance(c) - service.open_orders_amount(c)

    others = sorted(Customer.objects.filter(active=True).exclude(pk=tight.pk), key=lambda c: (-headroom(c), c.code))
    customers = [c for c in others if headroom(c) > 50_000_00][:3]
    if not customers:
        return
    customers = [customers[i % len(customers)] for i in range(3)]

    def qty(q_avail, share, item=None):  # whole base units: a share of what is available, about 8,000.00 at most
        n = max(int(q_avail * share) // 10000, 1)
        if item is not None:
            n = max(min(n, int(Decimal(8000) / _last_price(item))), 1)
        return fmt_qty(n * 10000)

    # 1. a tiered price rule: 5 % off from 100 units (the dearest of the stocked items)
    item, wh, q = max(stock, key=lambda x: (_last_price(x[0]), x[0].code))
    base = _last_price(item)
    tier = (base * Decimal("0.95")).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    PriceRule.objects.get_or_create(item=item, customer=None, min_qty=100 * 10000, defaults={
        "unit_price": tier, "valid_from": first, "memo": f"{LIVE} 阶梯价：100 {item.uom} 起 95 折"})
    PriceRule.objects.get_or_create(item=item, customer=None, min_qty=0, defaults={"unit_price": base, "valid_from": first,
                                                                                   "memo": f"{LIVE} 标准价"})
    out_lines.append(f"价格政策：{item.code} 标准价 {base}，100 {item.uom} 起 {tier}")

    # 2. a quotation sent (priced by the rule)
    qt = service.create_quotation({"customer": customers[0].code, "warehouse": wh.code, "date": day.isoformat(),
                                   "valid_until": (day + timedelta(days=30)).isoformat(), "memo": f"{LIVE} 年底备货报价",
                                   "lines": [{"item": item.code, "qty": "120"}, {"item": stock[1][0].code, "qty": "10",
                                                                                   "list_price": str(_last_price(stock[1][0]))}]}, seller)
    service.send_quotation(qt)
    out_lines.append(f"报价单 {qt.no} 已发送给 {customers[0].name}（有效期至 {qt.valid_until}）")

    # 3. a confirmed order holding reservations, with a gift line
    it2, wh2, q2 = stock[2]
    o = service.create_order({"customer": customers[1].code, "warehouse": wh2.code, "date": day.isoformat(),
                              "delivery_date": (day + timedelta(days=5)).isoformat(), "memo": f"{LIVE} 已确认待发货（含赠品）",
                              "lines": [{"item": it2.code, "qty": qty(q2, 0.2, it2), "list_price": str(_last_price(it2)), "discount_pct": "3"},
                                        {"item": it2.code, "qty": "1", "gift": True}]}, seller)
    service.confirm(o, seller)
    out_lines.append(f"销售订单 {o.no} 已确认，预留 {it2.code} {fmt_qty(sum(x.qty_base for x in o.lines.all()))} {it2.uom}（含赠品 1）")

    # 4. an order partly delivered (a second item of the same warehouse when there is one; 50.00 off the order)
    it3, wh3, q3 = stock[3]
    lines = [{"item": it3.code, "qty": qty(q3, 0.2, it3), "list_price": str(_last_price(it3))}]
    other = next((s for s in stock if s[1].pk == wh3.pk and s[0].pk != it3.pk), None)
    if other is not None:
        lines.append({"item": other[0].code, "qty": "2", "list_price": str(_last_price(other[0]))})
    o = service.create_order({"customer": customers[2].code, "warehouse": wh3.code, "date": day.isoformat(), "memo": f"{LIVE} 部分发货",
                              "order_discount": "50.00", "lines": lines}, seller)
    service.confirm(o, seller)
    ln = o.lines.get(line_no=1)
    res = delivery.deliver(o, {1: fmt_qty(max(ln.qty_base // 20000, 1) * 10000)}, on=day, user=None, source="demo")
    o.refresh_from_db()
    out_lines.append(f"销售订单 {o.no} {o.get_status_display()}：出库单 {res.document.ref}")

    # 5. over the credit limit, override pending
    it4, wh4, q4 = stock[1]
    price = _last_price(it4)
    room = max(headroom(tight), 0)
    want = max(int((Decimal(room) / 100 + 1000) / (price * Decimal("1.13"))) + 1, 1)
    want = min(want * 10000, q4 // 2) // 10000 or 1
    o = service.create_order({"customer": tight.code, "warehouse": wh4.code, "date": day.isoformat(), "memo": f"{LIVE} 超信用额度",
                              "lines": [{"item": it4.code, "qty": str(want), "list_price": str(price)}]}, seller)
    try:
        service.confirm(o, seller)
        out_lines.append(f"销售订单 {o.no} 未超额度，已确认")
    except DocError as e:
        if e.code != "credit_limit_exceeded" or seller is None:
            raise
        req = service.request_override(o, seller, "年底冲量，客户承诺月底回款")
        out_lines.append(f"销售订单 {o.no} 超出 {tight.name} 信用额度，超额度审批 {req.pk} 待财务主管审批")


def load(out=None) -> list[str]:
    lines = []
    try:
        n = backfill()
        total = SalesOrder.objects.filter(memo__startswith=BACKFILL).count()
        lines.append(f"历史销售订单补录：本次 {n} 张，共 {total} 张（与历史出库单关联）")
        done: list[str] = []
        with transaction.atomic():
            live(done)
        lines += done
    except DocError as e:
        lines.append(f"销售演示未完成：{e.code} {e.message}")
    if out is not None:
        for ln in lines:
            print(f"  {ln}", file=out)
    return lines
