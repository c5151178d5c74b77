"""Inventory-control reports (库存控制): safety stock, dead stock, ABC classification, turnover days.

Each builder returns a ``stockbook.reports.base.Report`` (json data, columns, rows) so the CLI, the REST API,
the pages and the csv/xlsx exports show the same figures. ``user`` None is the operator (everything);
otherwise the warehouse scope narrows the rows and, without ``view_cost``, money columns are removed.
Formulas and choices: docs/inventory-control.md.
"""
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, Sum

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_qty, from_fen
from stockbook.reports.base import Column, Report

ISSUE_TYPES = ("sales_delivery", "scrap")  # consumption: what ABC and turnover count
DEAD_ISSUE_TYPES = ("sales_delivery", "scrap", "transfer")  # any stock leaving a warehouse (transfer: out side)
COUNTER_SUB = 10000


def _q(n):
    return fmt_qty(int(n or 0))


def _m(fen):
    return str(from_fen(int(fen or 0)))


def _period(d: date) -> int:
    return d.year * 100 + d.month


def _scope(user, warehouse=None):
    """Warehouse ids to read (None = all) after the user's scope and an optional warehouse code filter."""
    from stockbook.access import policy
    from stockbook.masterdata.models import Warehouse

    policy.require(user, "view_stock_reports")
    ids = policy.warehouse_ids(user)
    if warehouse:
        wh = Warehouse.objects.filter(code=warehouse).first()
        if wh is None:
            raise DocError("unknown_warehouse", f"仓库 {warehouse} 不存在", field="warehouse")
        if ids is not None and wh.pk not in ids:
            raise DocError("not_allowed", "该仓库不在您的数据范围内", field="warehouse")
        return {wh.pk}
    return ids


def _flt(qs, wh_ids, key="warehouse_id"):
    return qs if wh_ids is None else qs.filter(**{f"{key}__in": list(wh_ids)})


def _strip(rep: Report, user) -> Report:
    from stockbook.access import policy

    extra = rep.data.pop("cost_keys", [])
    if policy.sees_cost(user):
        return rep
    money = {c.key for c in rep.columns if c.kind == "money"} | set(extra)
    rep.columns = [c for c in rep.columns if c.key not in money]
    for r in rep.rows:
        for k in money:
            r.pop(k, None)
    if rep.totals:
        for k in money:
            rep.totals.pop(k, None)
    for k in money:
        rep.data.pop(k, None)
    return rep


def _names():
    from stockbook.masterdata.models import Category, Item, Warehouse

    items = {i["pk"]: i for i in Item.objects.values("pk", "code", "name", "uom", "category_id", "safety_min", "safety_max")}
    whs = dict(Warehouse.objects.values_list("pk", "code"))
    cats = dict(Category.objects.values_list("pk", "code"))
    return items, whs, cats


def stock_at(as_of: date | None, wh_ids=None) -> dict:
    """{(item_id, warehouse_id): [qty, value]} at the end of ``as_of`` (None: every posted move)."""
    from stockbook.stock.models import StockMove, StockPeriod

    out = defaultdict(lambda: [0, 0])
    qs = StockPeriod.objects.all()
    if as_of is not None:
        qs = qs.filter(period__lt=_period(as_of))
    for i, w, q, v in _flt(qs, wh_ids).values_list("item_id", "warehouse_id").annotate(q=Sum("qty"), v=Sum("value")).order_by():
        out[(i, w)][0] += q or 0
        out[(i, w)][1] += v or 0
    if as_of is not None:
        first = as_of.replace(day=1)
        mv = StockMove.objects.filter(date__gte=first, date__lte=as_of)
        for i, w, q, v in _flt(mv, wh_ids).values_list("item_id", "warehouse_id").annotate(q=Sum("qty"), v=Sum("value")).order_by():
            out[(i, w)][0] += q or 0
            out[(i, w)][1] += v or 0
    return out


# ------------------------------------------------------------------ safety stock
def safety(user=None, warehouse=None) -> Report:
    """Items with safety_min/max whose available qty (on hand − reserved) is below the minimum or above
    the maximum, per warehouse and for the item over all (visible) warehouses."""
    wh_ids = _scope(user, warehouse)
    items, whs, _ = _names()
    watched = {pk for pk, i in items.items() if i["safety_min"] is not None or i["safety_max"] is not None}
    oh = {k: v[0] for k, v in stock_at(None, wh_ids).items() if k[0] in watched}
    rs = reserved_map(watched, wh_ids)
    keys = set(oh) | set(rs)
    rows, totals = [], defaultdict(lambda: [0, 0])
    for (i, w) in sorted(keys, key=lambda k: (items[k[0]]["code"], whs.get(k[1], ""))):
        totals[i][0] += oh.get((i, w), 0)
        totals[i][1] += rs.get((i, w), 0)
        r = _safety_row(items[i], whs.get(w, ""), oh.get((i, w), 0), rs.get((i, w), 0))
        if r:
            rows.append(r)
    for i in sorted(watched, key=lambda pk: items[pk]["code"]):
        o, r_ = totals.get(i, (0, 0))
        r = _safety_row(items[i], "（合计）", o, r_)
        if r:
            r["level"] = "total"
            rows.append(r)
    cols = [Column("item", "存货编码"), Column("name", "存货名称"), Column("warehouse", "仓库"), Column("on_hand", "现存量", "qty"),
            Column("reserved", "已预留", "qty"), Column("available", "可用量", "qty"), Column("safety_min", "安全库存下限", "qty"),
            Column("safety_max", "安全库存上限", "qty"), Column("status", "状态"), Column("gap", "差额", "qty")]
    return Report("invctl-safety", "安全库存预警", {"report": "invctl-safety", "rows": rows}, cols, rows)


def _safety_row(it, wh, on_hand, reserved):
    avail = on_hand - reserved
    lo, hi = it["safety_min"], it["safety_max"]
    if lo is not None and avail < lo:
        status, gap = "below", lo - avail
    elif hi is not None and avail > hi:
        status, gap = "above", avail - hi
    else:
        return None
    return {"item": it["code"], "name": it["name"], "warehouse": wh, "on_hand": _q(on_hand), "reserved": _q(reserved),
            "available": _q(avail), "safety_min": None if lo is None else _q(lo), "safety_max": None if hi is None else _q(hi),
            "status": status, "status_text": {"below": "低于下限", "above": "高于上限"}[status], "gap": _q(gap), "level": "warehouse"}


def reserved_map(item_ids=None, wh_ids=None) -> dict:
    """Open sales reservations, {(item_id, warehouse_id): qty}; zero when the sales app is not there."""
    try:
        from stockbook.sales.availability import reserved
    except ImportError:
        return {}
    try:
        return reserved(item_ids=None if item_ids is None else list(item_ids), warehouse_ids=None if wh_ids is None else list(wh_ids))
    except Exception:  # noqa: BLE001 — e.g. the sales tables not migrated yet: no reservations
        return {}


# ------------------------------------------------------------------ dead stock
def dead(user=None, warehouse=None, months: int | None = None, as_of: date | None = None) -> Report:
    """(item, warehouse) with stock at ``as_of`` and no issue (delivery, transfer out, scrap) in the
    ``months`` before it (after as_of − months, through as_of)."""
    from stockbook.stock.models import StockMove

    if months is None:
        from stockbook.backup.conf import setting

        try:
            months = int(setting("STOCKBOOK_DEAD_STOCK_MONTHS", 6))
        except (TypeError, ValueError):
            months = 6
    months = int(months)
    if months < 1 or months > 120:
        raise DocError("invalid_value", "呆滞月数必须在 1 至 120 之间", field="months")
    as_of = as_of or date.today()
    since = _months_back(as_of, months)
    wh_ids = _scope(user, warehouse)
    items, whs, _ = _names()
    stock = {k: v for k, v in stock_at(as_of, wh_ids).items() if v[0] > 0}
    last = {}
    qs = StockMove.objects.filter(qty__lt=0, sub__lt=COUNTER_SUB, date__lte=as_of, document__type__in=DEAD_ISSUE_TYPES,
                                  document__status="posted")
    for i, w, d in _flt(qs, wh_ids).values_list("item_id", "warehouse_id").annotate(d=Max("date")).order_by():
        last[(i, w)] = d
    rows = []
    total = 0
    for (i, w), (q, v) in sorted(stock.items(), key=lambda kv: (items[kv[0][0]]["code"], whs.get(kv[0][1], ""))):
        d = last.get((i, w))
        if d is not None and d > since:
            continue
        total += v
        rows.append({"item": items[i]["code"], "name": items[i]["name"], "warehouse": whs.get(w, ""), "qty": _q(q), "value": _m(v),
                     "last_issue": d.isoformat() if d else None,
                     "idle_days": (as_of - d).days if d else None})
    cols = [Column("item", "存货编码"), Column("name", "存货名称"), Column("warehouse", "仓库"), Column("qty", "结存数量", "qty"),
            Column("value", "结存金额", "money"), Column("last_issue", "最后出库日"), Column("idle_days", "呆滞天数")]
    data = {"report": "invctl-dead", "as_of": as_of.isoformat(), "months": months, "since": since.isoformat(), "rows": rows,
            "total_value": _m(total), "cost_keys": ["value", "total_value"]}
    rep = Report("invctl-dead", "呆滞库存", data, cols, rows, subtitle=f"截至 {as_of}，{months} 个月无出库",
                 totals={"item": "合计", "value": _m(total)})
    return _strip(rep, user)


def _months_back(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    import calendar

    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


# ------------------------------------------------------------------ issues over a period
def _issues(start, end, wh_ids) -> dict:
    """{(item_id, warehouse_id): [qty issued, cost of issues in 分, pending moves]} of deliveries and scrap."""
    from stockbook.stock.models import StockMove

    out = defaultdict(lambda: [0, 0, 0])
    qs = StockMove.objects.filter(date__gte=start, date__lte=end, document__type__in=ISSUE_TYPES, document__status="posted",
                                  sub__lt=COUNTER_SUB)
    for i, w, q, v, n in (_flt(qs, wh_ids).values_list("item_id", "warehouse_id")
                          .annotate(q=Sum("qty"), v=Sum("value"), n=Sum(_null_count())).order_by()):
        out[(i, w)][0] -= q or 0
        out[(i, w)][1] -= v or 0
        out[(i, w)][2] += n or 0
    return out


def _null_count():
    from django.db.models import Case, IntegerField, Value, When

    return Case(When(value__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField())


def _range(start, end):
    if not start or not end:
        raise DocError("invalid_value", "需要开始与结束日期（--from/--to）", field="start")
    if start > end:
        raise DocError("invalid_value", "开始日期不能晚于结束日期", field="start")


def abc(user=None, start=None, end=None, warehouse=None, a: Decimal | int = 80, b: Decimal | int = 15) -> Report:
    """ABC by cost of issues: items sorted by issue value, class A while the cumulative share *before* the
    item is below ``a`` %, B below ``a + b`` %, C after (and items without issues)."""
    _range(start, end)
    a, b = Decimal(str(a)), Decimal(str(b))
    if not (0 < a <= 100 and 0 <= b and a + b <= 100):
        raise DocError("invalid_value", "ABC 阈值须满足 0 < A ≤ 100、B ≥ 0、A + B ≤ 100", field="a")
    wh_ids = _scope(user, warehouse)
    items, _, _ = _names()
    per = defaultdict(lambda: [0, 0])
    for (i, w), (q, v, n) in _issues(start, end, wh_ids).items():
        per[i][0] += q
        per[i][1] += v
    total = sum(max(v, 0) for q, v in per.values())
    ranked = sorted(per.items(), key=lambda kv: (-kv[1][1], items[kv[0]]["code"]))
    rows, cum = [], Decimal(0)
    for i, (q, v) in ranked:
        share = (Decimal(v) * 100 / total) if total and v > 0 else Decimal(0)
        cls = "C"
        if v > 0:
            cls = "A" if cum < a else ("B" if cum < a + b else "C")
        cum += share
        rows.append({"item": items[i]["code"], "name": items[i]["name"], "issue_qty": _q(q), "issue_value": _m(v),
                     "share": _pct(share), "cumulative": _pct(cum), "class": cls})
    counts = {k: sum(1 for r in rows if r["class"] == k) for k in "ABC"}
    cols = [Column("item", "存货编码"), Column("name", "存货名称"), Column("issue_qty", "出库数量", "qty"),
            Column("issue_value", "出库成本", "money"), Column("share", "占比%"), Column("cumulative", "累计占比%"), Column("class", "ABC 类")]
    data = {"report": "invctl-abc", "start": start.isoformat(), "end": end.isoformat(), "a": str(a), "b": str(b),
            "total_value": _m(total), "counts": counts, "rows": rows, "cost_keys": ["issue_value", "total_value", "share", "cumulative"]}
    rep = Report("invctl-abc", "ABC 分类", data, cols, rows, subtitle=f"{start} 至 {end}，A {a}% / B {b}% / C 其余")
    return _strip(rep, user)


def _pct(d: Decimal) -> str:
    return str(d.quantize(Decimal("0.01"), ROUND_HALF_UP))


# ------------------------------------------------------------------ turnover
GROUPS = ("item", "category", "warehouse")


def turnover(user=None, start=None, end=None, group="item", warehouse=None) -> Report:
    """Turnover days = average stock value / (cost of issues / days), days = end − start + 1.

    Average stock value = the mean of the stock value at the opening of the first month of the range and
    at the close of each of its months (StockPeriod): (V0 + V1 + … + Vn) / (n + 1)."""
    _range(start, end)
    if group not in GROUPS:
        raise DocError("invalid_value", f"group 只能是 {'/'.join(GROUPS)}", field="group")
    from stockbook.stock.models import StockPeriod

    wh_ids = _scope(user, warehouse)
    items, whs, cats = _names()
    p0, p1 = _period(start), _period(end)
    months = []
    y, m = divmod(p0, 100)
    while y * 100 + m <= p1:
        months.append(y * 100 + m)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)

    def key(i, w):
        if group == "item":
            return items[i]["code"]
        if group == "warehouse":
            return whs.get(w, "")
        c = items[i]["category_id"]
        return cats.get(c, "（未分类）") if c else "（未分类）"

    opening = defaultdict(int)
    for i, w, v in _flt(StockPeriod.objects.filter(period__lt=p0), wh_ids).values_list("item_id", "warehouse_id").annotate(v=Sum("value")).order_by():
        opening[key(i, w)] += v or 0
    monthly = defaultdict(lambda: defaultdict(int))
    for i, w, p, v in _flt(StockPeriod.objects.filter(period__gte=p0, period__lte=p1), wh_ids).values_list("item_id", "warehouse_id", "period").annotate(v=Sum("value")).order_by():
        monthly[key(i, w)][p] += v or 0
    issues = defaultdict(lambda: [0, 0])
    for (i, w), (q, v, n) in _issues(start, end, wh_ids).items():
        issues[key(i, w)][0] += q
        issues[key(i, w)][1] += v
    days = (end - start).days + 1
    names = {}
    if group == "item":
        names = {it["code"]: it["name"] for it in items.values()}
    rows = []
    for k in sorted(set(opening) | set(monthly) | set(issues)):
        vals, run = [opening[k]], opening[k]
        for p in months:
            run += monthly[k][p]
            vals.append(run)
        avg = Decimal(sum(vals)) / len(vals)
        cost = issues[k][1]
        tdays = (avg * days / cost).quantize(Decimal("0.1"), ROUND_HALF_UP) if cost > 0 else None
        rows.append({group: k, "name": names.get(k, ""), "opening_value": _m(vals[0]), "closing_value": _m(vals[-1]),
                     "avg_value": _m(int(avg.quantize(Decimal(1), ROUND_HALF_UP))), "issue_cost": _m(cost),
                     "turnover_days": None if tdays is None else str(tdays),
                     "turnover_times": None if tdays is None or tdays == 0 else str((Decimal(days) / tdays).quantize(Decimal("0.01"), ROUND_HALF_UP))})
    cols = [Column(group, {"item": "存货", "category": "分类", "warehouse": "仓库"}[group])]
    if group == "item":
        cols.append(Column("name", "名称"))
    cols += [Column("opening_value", "期初金额", "money"), Column("closing_value", "期末金额", "money"), Column("avg_value", "平均库存金额", "money"),
             Column("issue_cost", "出库成本", "money"), Column("turnover_days", "周转天数"), Column("turnover_times", "周转次数")]
    data = {"report": "invctl-turnover", "start": start.isoformat(), "end": end.isoformat(), "group": group, "days": days,
            "months": [f"{p // 100}-{p % 100:02d}" for p in months], "rows": rows}
    rep = Report("invctl-turnover", "库存周转", data, cols, rows, subtitle=f"{start} 至 {end}，{days} 天，按{cols[0].title}")
    return _strip(rep, user)


REPORTS = {"safety": safety, "dead": dead, "abc": abc, "turnover": turnover}
