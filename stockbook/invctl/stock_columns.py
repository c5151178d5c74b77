"""Reserved and available (= on hand − reserved) beside the stock views (issue 7, 库存控制).

Only the page rows and the availability JSON of the document forms get them: the contract's stock-balance
JSON (``rep.data``) keeps its fixed shape. Reservations come from ``stockbook.sales.availability.reserved``
(open sales-order reservations, live); without the sales app they are zero."""
from decimal import Decimal

from stockbook.core.money import fmt_qty, to_qty_units
from stockbook.reports.base import Column


def add_reserved(rep):
    """Add 已预留 and 可用量 columns after 结存数量 to a stock-balance Report's rows (in place)."""
    from stockbook.masterdata.models import Item, Warehouse

    from .reports import reserved_map

    if not rep.rows:
        return rep
    items = dict(Item.objects.filter(code__in={r["item"] for r in rep.rows}).values_list("code", "pk"))
    whs = dict(Warehouse.objects.values_list("code", "pk"))
    res = reserved_map(set(items.values()), None)
    for r in rep.rows:
        q = res.get((items.get(r["item"]), whs.get(r["warehouse"])), 0)
        on_hand = to_qty_units(Decimal(str(r["qty"]))) if r.get("qty") not in (None, "") else 0
        r["reserved"] = fmt_qty(q)
        r["available"] = fmt_qty(on_hand - q)
    at = next((i for i, c in enumerate(rep.columns) if c.key == "qty"), len(rep.columns) - 1) + 1
    rep.columns[at:at] = [Column("reserved", "已预留", "qty"), Column("available", "可用量", "qty")]
    return rep


def reserved_for(item_ids, warehouse_id) -> dict:
    """{item_id: reserved qty} in one warehouse (the availability JSON)."""
    from .reports import reserved_map

    return {i: q for (i, w), q in reserved_map(item_ids, [warehouse_id]).items() if w == warehouse_id}
