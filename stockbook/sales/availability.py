"""Availability of stock for sales: on hand (live, every posted move), reserved (open sales-order
reservations) and available = on hand − reserved. All in 1/10000 base units, keyed by (item_id, warehouse_id).

On hand reads ``stock.StockPeriod`` (Σ qty per item × warehouse × month, kept in the posting transaction),
so it costs one grouped query whatever the history length. Other apps import these three functions."""
from django.db import connection
from django.db.models import Sum

from stockbook.stock.models import StockPeriod

from .models import Reservation

Key = tuple[int, int]


def _filter(qs, item_ids, warehouse_ids):
    if item_ids is not None:
        qs = qs.filter(item_id__in=list(item_ids))
    if warehouse_ids is not None:
        qs = qs.filter(warehouse_id__in=list(warehouse_ids))
    return qs


def reserved(item_ids=None, warehouse_ids=None, exclude_orders=None) -> dict[Key, int]:
    """{(item_id, warehouse_id): open reserved qty} (only keys with a reservation). Plain SQL: every
    delivery, transfer and scrap asks, usually to learn that nothing is reserved."""
    where, params = ["qty_base > 0"], []
    for col, ids in (("item_id", item_ids), ("warehouse_id", warehouse_ids)):
        if ids is not None:
            ids = sorted(ids)
            if not ids:
                return {}
            where.append(f"{col} IN ({', '.join(['%s'] * len(ids))})")
            params += ids
    if exclude_orders:
        where.append(f"order_id NOT IN ({', '.join(['%s'] * len(exclude_orders))})")
        params += sorted(exclude_orders)
    with connection.cursor() as cur:
        cur.execute(f"SELECT item_id, warehouse_id, SUM(qty_base) FROM {Reservation._meta.db_table} "
                    f"WHERE {' AND '.join(where)} GROUP BY item_id, warehouse_id", params)
        return {(i, w): int(q) for i, w, q in cur.fetchall() if q}


def on_hand(item_ids=None, warehouse_ids=None) -> dict[Key, int]:
    """{(item_id, warehouse_id): qty on hand over every posted move} (keys with any stock history)."""
    qs = _filter(StockPeriod.objects.all(), item_ids, warehouse_ids)
    return {(r["item_id"], r["warehouse_id"]): int(r["q"] or 0)
            for r in qs.values("item_id", "warehouse_id").annotate(q=Sum("qty")).order_by()}


def available(item_ids=None, warehouse_ids=None) -> dict[Key, int]:
    """{(item_id, warehouse_id): on hand − reserved} (may be negative when stock left after reserving)."""
    oh = on_hand(item_ids, warehouse_ids)
    rs = reserved(item_ids, warehouse_ids)
    return {k: oh.get(k, 0) - rs.get(k, 0) for k in set(oh) | set(rs)}
