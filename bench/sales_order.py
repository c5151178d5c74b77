"""A 200-line sales order confirmed (availability + reservation) and delivered (issue 7): target < 1 s each.

    python -m bench.sales_order [--lines 200] [--months 12] [--pg]

The book is built through the real posting path (post()): a company, ``--lines`` + 50 items with opening
stock, ``--months`` months of history (per month 20 receipts and 40 deliveries of 10 lines each, so every
item has moves in every month), 20 other confirmed orders of 10 lines holding reservations on the same
items, and a customer with a credit limit and an open receivable. Then one order of ``--lines`` lines,
each a different item, is created (not timed), **confirmed** (availability of every line against on hand
− reserved, the credit check, one reservation per line) and **delivered** in full (the contract
sales_delivery of 200 lines built from the order and posted through post(): costing, voucher, the sales
hook linking every line, consuming its reservation and checking the other orders' reservations). ERPNext
needed 166 s for a 161-line delivery note (the issue's reference figure).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from .common import django_setup, drop_pg_database, log, machine, new_pg_database, pg_version

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.0


def build(n_lines: int, months: int, seed: int = 11) -> dict:
    import random

    from stockbook.posting.service import post
    from stockbook.sales import service

    rnd = random.Random(seed)
    start = date(2025, 1, 1)
    post({"type": "company", "code": "BENCH", "name": "销售基准公司", "chart": "small_enterprise",
          "costing_method": "moving_average", "start_period": "2025-01", "currency": "CNY"})
    post({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post({"type": "supplier", "code": "S01", "name": "供应商"})
    post({"type": "customer", "code": "C01", "name": "大客户", "credit_limit": "50000000.00"})
    for k in range(2, 12):
        post({"type": "customer", "code": f"C{k:02d}", "name": f"客户{k}"})
    n_items = n_lines + 50
    items = [f"I{i:04d}" for i in range(n_items)]
    for code in items:
        post({"type": "item", "code": code, "name": f"商品{code}", "uom": "pcs", "tax_rate": "0.13"})
    post({"type": "opening_stock", "date": "2024-12-31", "warehouse": "WH1",
          "lines": [{"item": c, "qty": "100000", "amount": f"{rnd.randint(500, 5000)}.00"} for c in items]})
    docs = 0
    for m in range(months):
        day0 = date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
        for k in range(20):
            post({"type": "purchase_receipt", "ref": f"R{m:02d}{k:03d}", "date": (day0 + timedelta(days=k)).isoformat(),
                  "supplier": "S01", "warehouse": "WH1",
                  "lines": [{"item": rnd.choice(items), "qty": str(rnd.randint(50, 200)), "unit_price": f"{rnd.randint(1, 60)}.{rnd.randint(0, 99):02d}"}
                            for _ in range(10)]})
            docs += 1
        for k in range(40):
            post({"type": "sales_delivery", "ref": f"D{m:02d}{k:03d}", "date": (day0 + timedelta(days=k % 27)).isoformat(),
                  "customer": f"C{rnd.randint(2, 11):02d}", "warehouse": "WH1",
                  "lines": [{"item": rnd.choice(items), "qty": str(rnd.randint(1, 40)), "unit_price": f"{rnd.randint(2, 90)}.00"}
                            for _ in range(10)]})
            docs += 1
    # an open receivable of the big customer and other orders holding stock
    post({"type": "sales_delivery", "ref": "D-AR", "date": "2025-12-01", "customer": "C01", "warehouse": "WH1",
          "lines": [{"item": items[0], "qty": "10", "unit_price": "100.00"}]})
    for k in range(20):
        o = service.create_order({"customer": f"C{2 + k % 10:02d}", "warehouse": "WH1", "date": "2025-12-20",
                                  "lines": [{"item": rnd.choice(items), "qty": "5", "list_price": "10"} for _ in range(10)]})
        service.confirm(o)
    return {"items": n_items, "history_documents": docs + 1, "other_orders": 20}


def child(db_url: str, n_lines: int, months: int) -> dict:
    django_setup(db_url)
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from stockbook.posting.models import Document
    from stockbook.sales import delivery, service
    from stockbook.sales.models import Reservation, SalesOrder
    from stockbook.stock.models import StockMove

    t = time.perf_counter()
    info = build(n_lines, months)
    info["build_s"] = round(time.perf_counter() - t, 1)
    info["moves"] = StockMove.objects.count()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    items = [f"I{i:04d}" for i in range(50, 50 + n_lines)]
    order = service.create_order({"customer": "C01", "warehouse": "WH1", "date": "2026-01-05", "order_discount": "123.45",
                                  "lines": [{"item": c, "qty": str(3 + i % 7), "list_price": f"{10 + i % 50}.99",
                                             "discount_pct": str(i % 3 * 5)} for i, c in enumerate(items)]})
    with CaptureQueriesContext(connection) as cq:
        t = time.perf_counter()
        service.confirm(order)
        info["confirm_s"] = round(time.perf_counter() - t, 3)
    info["confirm_queries"] = len(cq.captured_queries)
    assert Reservation.objects.filter(order=order, qty_base__gt=0).count() == n_lines
    with CaptureQueriesContext(connection) as cq:
        t = time.perf_counter()
        res = delivery.deliver(order.no, on=date(2026, 1, 6), ref="XSCK-BENCH")
        info["deliver_s"] = round(time.perf_counter() - t, 3)
    info["deliver_queries"] = len(cq.captured_queries)
    reset_queries()
    assert res.posted and res.document.lines.count() == n_lines
    order.refresh_from_db()
    assert order.status == SalesOrder.DELIVERED
    assert Reservation.objects.filter(order=order, qty_base__gt=0).count() == 0
    doc = Document.objects.get(ref="XSCK-BENCH")
    assert sum(doc.lines.values_list("amount", flat=True)) == order.net_total  # exact to the 分
    info["net_total"] = f"{order.net_total / 100:.2f}"
    # for comparison: the same 200 items in a delivery typed without an order (the posting core + the
    # reserved_by_other check only)
    from stockbook.posting.service import post

    plain = {"type": "sales_delivery", "ref": "XSCK-PLAIN", "date": "2026-01-07", "customer": "C02", "warehouse": "WH1",
             "lines": [{"item": c, "qty": "1", "unit_price": "10.00"} for c in items]}
    with CaptureQueriesContext(connection) as cq:
        t = time.perf_counter()
        post(plain)
        info["plain_s"] = round(time.perf_counter() - t, 3)
    info["plain_queries"] = len(cq.captured_queries)
    info["lines"] = n_lines
    return info


def run(n_lines: int, months: int, pg: bool) -> dict:
    if pg:
        url = new_pg_database("stockbook_bench_sales")
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="sb-sales-")
        url = f"sqlite:///{tmp.name}/sales.db"
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.sales_order", "--child", "--db", url, "--lines", str(n_lines),
                               "--months", str(months)], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if pg:
            drop_pg_database(url)
        elif tmp is not None:
            tmp.cleanup()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=200)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (127.0.0.1:5432) instead of SQLite")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.db, a.lines, a.months)))
        return 0
    m = machine()
    db = "PostgreSQL " + pg_version() if a.pg else "SQLite"
    log(f"bench.sales_order: a {a.lines}-line sales order on a book with {a.months} months of history, {db} …")
    info = run(a.lines, a.months, a.pg)
    print(f"sales order of {info['lines']} lines (each a different item; {info['items']} items, {info['history_documents']:,} "
          f"documents and {info['moves']:,} stock moves of history, {info['other_orders']} other orders holding "
          f"reservations), {db}; net {info['net_total']} delivered exact to the 分:")
    for k, name in (("confirm", "confirm (availability + credit + reservations)"), ("deliver", "deliver (sales_delivery via post())")):
        s = info[f"{k}_s"]
        print(f"  {name:<48} {s:6.3f} s  {info[f'{k}_queries']:4d} queries   target < {TARGET:.0f} s   "
              f"{'OK' if s < TARGET else 'OVER'}")
    print(f"  {'(a 200-line delivery typed without an order)':<48} {info['plain_s']:6.3f} s  {info['plain_queries']:4d} queries")
    print("  (ERPNext: 166 s for a 161-line delivery note)")
    print(f"  (book built in {info['build_s']} s, not timed; {m['nproc']} × {m['cpu']}, {m['memory']}, Python {m['python']}, "
          f"SQLite {m['sqlite']}, {m['load']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
