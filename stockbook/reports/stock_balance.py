"""Stock balance (库存余额表) as of a date, contract section 5.

fifo and moving-average items: the sums of their moves' quantities and values dated ≤ as_of.
monthly-average items: quantities per warehouse from the moves; the item's value V is the closing value
when as_of is the last day of a closed month, otherwise pending: round(Q × last closed unit cost, 2).
V is split over the warehouses holding stock, in code order, the last taking the rest.
"""
from datetime import date
from fractions import Fraction

from django.db.models import Sum

from stockbook.core.money import fmt_money, fmt_qty
from stockbook.ledger.models import Period
from stockbook.masterdata.models import Company, Item, Warehouse
from stockbook.stock.engine.arith import part, rfrac
from stockbook.stock.events import month_end
from stockbook.stock.models import MonthlyClose, StockMove, StockPeriod

from .base import Column, Report


def last_closed_unit(item_id: int, as_of: date) -> Fraction | None:
    """The unit of the item's latest close (month end ≤ as_of) with opening + receipts qty ≠ 0, else its
    opening stock's total value / total qty."""
    for mc in MonthlyClose.objects.filter(item_id=item_id).exclude(unit_num="").order_by("-period"):
        if month_end(mc.period) <= as_of:
            return Fraction(int(mc.unit_num), int(mc.unit_den))
    start = Company.current().start_period  # opening stock is all that is dated before the start period
    agg = StockPeriod.objects.filter(item_id=item_id, period__lt=start).aggregate(q=Sum("qty"), v=Sum("value"))
    if agg["q"]:
        return Fraction(agg["v"] or 0, agg["q"])
    return None


def _sums(as_of: date, item_ids=None) -> list[dict]:
    """[{item_id, warehouse_id, q, v}] of the moves dated ≤ as_of: whole months from StockPeriod, the
    as-of month's own moves up to the date."""
    p = as_of.year * 100 + as_of.month
    whole = StockPeriod.objects.filter(period__lte=p) if as_of == month_end(p) else StockPeriod.objects.filter(period__lt=p)
    parts = [whole]
    if as_of != month_end(p):
        parts.append(StockMove.objects.filter(date__gte=date(as_of.year, as_of.month, 1), date__lte=as_of))
    out: dict[tuple, list[int]] = {}
    for qs in parts:
        if item_ids is not None:
            qs = qs.filter(item_id__in=item_ids)
        for r in qs.values("item_id", "warehouse_id").annotate(q=Sum("qty"), v=Sum("value")):
            t = out.setdefault((r["item_id"], r["warehouse_id"]), [0, 0])
            t[0] += r["q"] or 0
            t[1] += r["v"] or 0
    return [{"item_id": i, "warehouse_id": w, "q": q, "v": v} for (i, w), (q, v) in out.items()]


def monthly_pending(as_of: date) -> bool:
    """Is a monthly-average value pending at ``as_of``? Yes unless as_of is the last day of a closed month
    (or before the start period, where only opening stock counts)."""
    company = Company.current()
    p = as_of.year * 100 + as_of.month
    if company is None or p < company.start_period:
        return False
    return not (as_of == month_end(p) and Period.objects.filter(period=p, status=Period.CLOSED).exists())


def balances(as_of: date, item_ids=None, warehouse_ids=None) -> list[dict]:
    """[{item, warehouse (objects), qty, value (分), pending}] sorted by item code, warehouse code."""
    company = Company.current()
    agg = _sums(as_of, item_ids)
    items = {i.pk: i for i in Item.objects.filter(pk__in={a["item_id"] for a in agg}).select_related("account")}
    whs = {w.pk: w for w in Warehouse.objects.all()}
    per_item: dict[int, list] = {}
    for a in agg:
        per_item.setdefault(a["item_id"], []).append(a)
    closed = set(Period.objects.filter(status=Period.CLOSED).values_list("period", flat=True))
    start = company.start_period if company else 0
    as_of_period = as_of.year * 100 + as_of.month
    rows = []
    for item_id, rs in per_item.items():
        item = items[item_id]
        method = item.costing_method or company.costing_method
        rs.sort(key=lambda r: whs[r["warehouse_id"]].code)
        if method != "monthly_average" or as_of_period < start:
            for r in rs:
                rows.append({"item": item, "warehouse": whs[r["warehouse_id"]], "qty": r["q"] or 0, "value": r["v"] or 0, "pending": False})
            continue
        total_q = sum(r["q"] or 0 for r in rs)
        if as_of == month_end(as_of_period) and as_of_period in closed:
            mc = MonthlyClose.objects.filter(item_id=item_id, period=as_of_period).first()
            value, pending = (mc.closing_value if mc else 0), False
        else:
            unit = last_closed_unit(item_id, as_of)
            value, pending = (rfrac(total_q * unit) if unit is not None else 0), True
        held = [r for r in rs if r["q"]]
        given = 0
        for n, r in enumerate(held):
            v = value - given if n == len(held) - 1 else part(value, r["q"], total_q)
            given += v
            rows.append({"item": item, "warehouse": whs[r["warehouse_id"]], "qty": r["q"], "value": v, "pending": pending})
    rows = [r for r in rows if r["qty"] or r["value"]]
    if warehouse_ids is not None:
        rows = [r for r in rows if r["warehouse"].pk in warehouse_ids]
    rows.sort(key=lambda r: (r["item"].code, r["warehouse"].code))
    return rows


def stock_balance(as_of: date, warehouse_ids=None) -> Report:
    """``warehouse_ids``: only these warehouses (a user's data scope); None: all."""
    rows = balances(as_of, warehouse_ids=warehouse_ids)
    data = {"report": "stock-balance", "as_of": as_of.isoformat(), "rows": [
        {"item": r["item"].code, "warehouse": r["warehouse"].code, "qty": fmt_qty(r["qty"]), "value": fmt_money(r["value"]),
         "pending": r["pending"]} for r in rows]}
    table = [{"item": r["item"].code, "name": r["item"].name, "uom": r["item"].uom, "warehouse": r["warehouse"].code,
              "warehouse_name": r["warehouse"].name, "qty": fmt_qty(r["qty"]), "value": fmt_money(r["value"]),
              "pending": "待结转" if r["pending"] else ""} for r in rows]
    cols = [Column("item", "存货编码"), Column("name", "存货名称"), Column("uom", "单位"), Column("warehouse", "仓库编码"),
            Column("warehouse_name", "仓库"), Column("qty", "结存数量", "qty"), Column("value", "结存金额", "money"),
            Column("pending", "成本状态")]
    totals = {"item": "合计", "value": fmt_money(sum(r["value"] for r in rows))}
    return Report("stock-balance", "库存余额表", data, cols, table, subtitle=f"截至 {as_of.isoformat()}", totals=totals)
