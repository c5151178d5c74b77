"""Stock reports beyond the contract: 存货明细账 (item detail ledger), 收发存汇总表 (receipts, issues and
balances per item × warehouse for a range) and the move log (每笔出入库 with before/after).

Quantities and values come from the stock moves; a monthly-average issue has no value until its month
is closed, and is shown as pending (待结转).
"""
from datetime import date

from django.db.models import Q, Sum
from django.utils import timezone

from stockbook.core.errors import DocError
from stockbook.core.money import fmt_money, fmt_qty
from stockbook.masterdata.models import Item, Warehouse
from stockbook.posting.service import TYPE_NAMES
from stockbook.stock.engine.base import MOVE_CODES
from stockbook.stock.models import StockMove

from .base import Column, Report

CODE_NAMES = {
    101: "采购入库", 102: "销售退货", 103: "调拨入库", 104: "盘盈", 105: "期初", 106: "生产入库",
    201: "采购退货", 202: "销售出库", 203: "调拨出库", 204: "盘亏", 205: "报废", 206: "生产领料",
    301: "发票价差", 302: "成本调整",
}
assert set(CODE_NAMES) >= set(MOVE_CODES.values())


def _item(code):
    if not code:
        raise DocError("invalid_value", "请指定存货 --item")
    it = Item.objects.filter(code=code).first()
    if it is None:
        raise DocError("unknown_item", f"存货 {code} 不存在")
    return it


def _warehouse(code):
    if not code:
        return None
    wh = Warehouse.objects.filter(code=code).first()
    if wh is None:
        raise DocError("unknown_warehouse", f"仓库 {code} 不存在")
    return wh


def _range(start, end):
    if not start or not end:
        raise DocError("invalid_value", "需要 --from 与 --to 日期")
    if start > end:
        raise DocError("invalid_value", "开始日期不能晚于结束日期")


def _v(value):
    return "" if value is None else fmt_money(value)


def _sum(qs):
    a = qs.aggregate(q=Sum("qty"), v=Sum("value"))
    return a["q"] or 0, a["v"] or 0


def item_ledger(item_code, start: date, end: date, warehouse_code=None, warehouse_ids=None) -> Report:
    _range(start, end)
    item = _item(item_code)
    wh = _warehouse(warehouse_code)
    base = StockMove.objects.filter(item=item)
    if wh:
        base = base.filter(warehouse=wh)
    if warehouse_ids is not None:
        base = base.filter(warehouse_id__in=warehouse_ids)
    oq, ov = _sum(base.filter(date__lt=start))
    rows = [{"date": start.isoformat(), "doc": "", "summary": "期初结存", "in_qty": "", "in_value": "", "out_qty": "",
             "out_value": "", "qty": fmt_qty(oq), "value": fmt_money(ov), "document_id": None}]
    q, v, pending = oq, ov, False
    for m in base.filter(date__gte=start, date__lte=end).select_related("document", "warehouse").order_by(
            "date", "time", "document_id", "line", "sub"):
        q += m.qty
        if m.value is None:
            pending = True
        else:
            v += m.value
        inbound = m.qty > 0 or m.code >= 300  # value changes (价差, 成本调整) count as receipts, red when negative
        rows.append({
            "date": m.date.isoformat(), "doc": m.document.ref, "document_id": m.document_id,
            "summary": f"{CODE_NAMES[m.code]} {m.warehouse.code}" + ("" if wh else ""),
            "in_qty": fmt_qty(m.qty) if inbound and m.qty else "", "in_value": _v(m.value) if inbound else "",
            "out_qty": fmt_qty(-m.qty) if not inbound else "", "out_value": _v(-m.value if m.value is not None else None) if not inbound else "",
            "qty": fmt_qty(q), "value": fmt_money(v) + (" (待结转)" if pending else ""),
        })
    data = {"report": "item-ledger", "item": item.code, "warehouse": wh.code if wh else None, "from": start.isoformat(),
            "to": end.isoformat(), "rows": rows}
    cols = [Column("date", "日期"), Column("doc", "单据号"), Column("summary", "摘要"), Column("in_qty", "收入数量", "qty"),
            Column("in_value", "收入金额", "money"), Column("out_qty", "发出数量", "qty"), Column("out_value", "发出金额", "money"),
            Column("qty", "结存数量", "qty"), Column("value", "结存金额", "money")]
    title = f"存货明细账 {item.code} {item.name}" + (f" / {wh.name}" if wh else "")
    return Report("item-ledger", title, data, cols, rows, subtitle=f"{start.isoformat()} 至 {end.isoformat()}，单位：{item.uom}")


def stock_summary(start: date, end: date, warehouse_code=None, warehouse_ids=None) -> Report:
    """收发存汇总表: per (item, warehouse) opening, receipts (1xx and value changes 3xx), issues (2xx), closing."""
    _range(start, end)
    wh = _warehouse(warehouse_code)
    qs = StockMove.objects.all()
    if wh:
        qs = qs.filter(warehouse=wh)
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=warehouse_ids)
    inbound = Q(code__lt=200) | Q(code__gte=300)
    opening = {(r["item_id"], r["warehouse_id"]): r for r in qs.filter(date__lt=start).values("item_id", "warehouse_id")
               .annotate(q=Sum("qty"), v=Sum("value"))}
    period = qs.filter(date__gte=start, date__lte=end)
    ins = {(r["item_id"], r["warehouse_id"]): r for r in period.filter(inbound).values("item_id", "warehouse_id")
           .annotate(q=Sum("qty"), v=Sum("value"))}
    outs = {(r["item_id"], r["warehouse_id"]): r for r in period.exclude(inbound).values("item_id", "warehouse_id")
            .annotate(q=Sum("qty"), v=Sum("value"))}
    pending = set(period.filter(value__isnull=True).values_list("item_id", "warehouse_id"))
    keys = set(opening) | set(ins) | set(outs)
    items = {i.pk: i for i in Item.objects.filter(pk__in={k[0] for k in keys})}
    whs = {w.pk: w for w in Warehouse.objects.all()}
    rows, data_rows = [], []
    tot = [0, 0, 0, 0]
    for key in sorted(keys, key=lambda k: (items[k[0]].code, whs[k[1]].code)):
        o, i, x = opening.get(key, {}), ins.get(key, {}), outs.get(key, {})
        oq, ov = o.get("q") or 0, o.get("v") or 0
        iq, iv = i.get("q") or 0, i.get("v") or 0
        xq, xv = -(x.get("q") or 0), -(x.get("v") or 0)
        cq, cv = oq + iq - xq, ov + iv - xv
        if not any((oq, ov, iq, iv, xq, xv)):
            continue
        it, w = items[key[0]], whs[key[1]]
        flag = key in pending
        data_rows.append({"item": it.code, "warehouse": w.code, "opening_qty": fmt_qty(oq), "opening_value": fmt_money(ov),
                          "in_qty": fmt_qty(iq), "in_value": fmt_money(iv), "out_qty": fmt_qty(xq), "out_value": fmt_money(xv),
                          "closing_qty": fmt_qty(cq), "closing_value": fmt_money(cv), "pending": flag})
        rows.append({**data_rows[-1], "name": it.name, "uom": it.uom, "warehouse_name": w.name, "pending": "待结转" if flag else ""})
        tot[0] += ov
        tot[1] += iv
        tot[2] += xv
        tot[3] += cv
    data = {"report": "stock-summary", "from": start.isoformat(), "to": end.isoformat(), "rows": data_rows}
    cols = [Column("item", "存货编码"), Column("name", "存货名称"), Column("uom", "单位"), Column("warehouse_name", "仓库"),
            Column("opening_qty", "期初数量", "qty"), Column("opening_value", "期初金额", "money"),
            Column("in_qty", "收入数量", "qty"), Column("in_value", "收入金额", "money"),
            Column("out_qty", "发出数量", "qty"), Column("out_value", "发出金额", "money"),
            Column("closing_qty", "结存数量", "qty"), Column("closing_value", "结存金额", "money"), Column("pending", "成本状态")]
    totals = {"item": "合计", "opening_value": fmt_money(tot[0]), "in_value": fmt_money(tot[1]),
              "out_value": fmt_money(tot[2]), "closing_value": fmt_money(tot[3])}
    return Report("stock-summary", "收发存汇总表", data, cols, rows, subtitle=f"{start.isoformat()} 至 {end.isoformat()}", totals=totals)


def move_log(start: date, end: date, item_code=None, warehouse_code=None, limit=5000, warehouse_ids=None) -> Report:
    """The move log: each move with the (item, warehouse) quantity and value before and after it."""
    _range(start, end)
    qs = StockMove.objects.all()
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=warehouse_ids)
    item = _item(item_code) if item_code else None
    wh = _warehouse(warehouse_code)
    if item:
        qs = qs.filter(item=item)
    if wh:
        qs = qs.filter(warehouse=wh)
    running = {(r["item_id"], r["warehouse_id"]): [r["q"] or 0, r["v"] or 0]
               for r in qs.filter(date__lt=start).values("item_id", "warehouse_id").annotate(q=Sum("qty"), v=Sum("value"))}
    rows = []
    moves = (qs.filter(date__gte=start, date__lte=end).select_related("document", "item", "warehouse", "created_by")
             .order_by("date", "time", "document_id", "line", "sub")[:limit])
    for m in moves:
        cur = running.setdefault((m.item_id, m.warehouse_id), [0, 0])
        before = list(cur)
        cur[0] += m.qty
        cur[1] += m.value or 0
        rows.append({
            "date": m.date.isoformat(), "time": m.time.isoformat() if m.time else "", "code": m.code,
            "code_name": CODE_NAMES[m.code], "document": m.document.ref, "type": TYPE_NAMES.get(m.document.type, m.document.type),
            "document_id": m.document_id, "line": m.line, "item": m.item.code, "warehouse": m.warehouse.code,
            "qty": fmt_qty(m.qty), "value": _v(m.value), "qty_before": fmt_qty(before[0]), "value_before": fmt_money(before[1]),
            "qty_after": fmt_qty(cur[0]), "value_after": fmt_money(cur[1]),
            "operator": m.created_by.username if m.created_by else "", "posted_at": timezone.localtime(m.created_at).isoformat(timespec="seconds"),
        })
    data = {"report": "moves", "from": start.isoformat(), "to": end.isoformat(), "rows": rows}
    cols = [Column("date", "日期"), Column("code", "代码"), Column("code_name", "业务"), Column("document", "单据号"),
            Column("line", "行"), Column("item", "存货"), Column("warehouse", "仓库"), Column("qty", "数量", "qty"),
            Column("value", "金额", "money"), Column("qty_before", "变动前数量", "qty"), Column("value_before", "变动前金额", "money"),
            Column("qty_after", "变动后数量", "qty"), Column("value_after", "变动后金额", "money"), Column("operator", "操作员"),
            Column("posted_at", "过账时间")]
    return Report("moves", "出入库流水", data, cols, rows, subtitle=f"{start.isoformat()} 至 {end.isoformat()}")


