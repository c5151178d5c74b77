"""``make bench``: external reconciliation (外部对账) of a 100,000-row WMS stock file, target < 10 s.

    python -m bench.external_wms                 # 100,000 rows, csv; SQLite in a temporary directory
    python -m bench.external_wms --rows 20000 --xlsx   # also time the same rows as an xlsx file
    python -m bench.external_wms --pg            # PostgreSQL (a throwaway database at $PG_URL_BASE)

The books: one company, 50 warehouses × 2,000 items = 100,000 (warehouse, item) stock balances, written
in bulk as StockPeriod rows (the read model that stock balances and the reconciliation read; posting
100,000 receipts through post() would time the posting core, measured elsewhere). The file: one row per
balance, Chinese headers, 1% of rows off by a few units, 0.1% in 吨 written as 公斤, 0.1% unknown items,
and 100 balances left out. Timed: stockbook.external.service.run_wms on the file's bytes — read, parse,
one grouped query for the book quantities, compare — without saving (the CLI default), and with ``save``
(the run and its 100,000 ExternalStockRow rows, as the web and REST do).
"""
import argparse
import csv
import io
import os
import sys
import tempfile
import time

TARGET = 10.0


def _setup(url):
    os.environ["STOCKBOOK_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockbook.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build_books(n_wh: int, n_items: int):
    from stockbook.ledger.models import Account
    from stockbook.masterdata.models import Item, ItemUnit, Warehouse
    from stockbook.posting.service import post
    from stockbook.stock.models import StockPeriod

    post({"type": "company", "code": "B", "name": "基准公司", "chart": "small_enterprise", "costing_method": "moving_average",
          "start_period": "2026-01", "currency": "CNY"})
    acc = Account.objects.get(code="1405")
    Warehouse.objects.bulk_create([Warehouse(code=f"W{w:03d}", name=f"仓库{w}") for w in range(n_wh)])
    Item.objects.bulk_create([Item(code=f"I{i:05d}", name=f"物料{i}", uom="kg", account=acc) for i in range(n_items)], batch_size=2000)
    items = list(Item.objects.order_by("code").values_list("pk", flat=True))
    ItemUnit.objects.bulk_create([ItemUnit(item_id=pk, name="t", factor=1000) for pk in items], batch_size=2000)
    whs = list(Warehouse.objects.order_by("code").values_list("pk", flat=True))
    rows = [StockPeriod(item_id=it, warehouse_id=wh, period=202601, qty=((i * 7 + w * 13) % 900 + 100) * 10000, value=0)
            for w, wh in enumerate(whs) for i, it in enumerate(items)]
    StockPeriod.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def build_file(n_wh: int, n_items: int) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["仓库", "物料编码", "数量", "单位"])
    k = 0
    for wi in range(n_wh):
        for i in range(n_items):
            k += 1
            qty = (i * 7 + wi * 13) % 900 + 100
            if k % 1000 == 0:
                continue  # left out → missing_in_external
            uom, code = "公斤", f"I{i:05d}"
            if k % 100 == 1:
                qty += 3
            elif k % 1000 == 7:
                qty = qty * 1000  # 吨 counted as 公斤 the other way round
            elif k % 1000 == 11:
                code = f"X{i:05d}"
            w.writerow([f"W{wi:03d}", code, f"{qty:,}", uom])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(data: bytes) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    for r in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def timed(fn):
    t = time.perf_counter()
    res = fn()
    return time.perf_counter() - t, res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--warehouses", type=int, default=50)
    ap.add_argument("--xlsx", action="store_true", help="also time the rows as an xlsx file")
    ap.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = ap.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from .common import drop_pg_database, machine, new_pg_database

    n_items = max(1, args.rows // args.warehouses)
    tmp = tempfile.mkdtemp(prefix="sb-ext-bench-")
    pg_url = new_pg_database("stockbook_bench_ext") if args.pg else None
    url = pg_url or f"sqlite:///{tmp}/ext.db"
    try:
        _setup(url)
        t_books, n = timed(lambda: build_books(args.warehouses, n_items))
        data = build_file(args.warehouses, n_items)
        from datetime import date

        from stockbook.external.service import run_wms

        as_of = date(2026, 1, 31)
        results = []
        t, out = timed(lambda: run_wms(data, as_of=as_of, file_name="wms.csv", save=False, source="cli"))
        results.append(("csv, not saved (CLI default)", t, out))
        t, out2 = timed(lambda: run_wms(data, as_of=as_of, file_name="wms.csv", save=True, source="cli"))
        results.append(("csv, saved (web/REST)", t, out2))
        if args.xlsx:
            x = to_xlsx(data)
            t, out3 = timed(lambda: run_wms(x, as_of=as_of, file_name="wms.xlsx", save=False, source="cli"))
            results.append(("xlsx, not saved", t, out3))
        m = machine()
        db = "PostgreSQL" if pg_url else "SQLite"
        print(f"external WMS reconciliation — {db}; {m['nproc']} × {m['cpu']}, {m['memory']}, Python {m['python']}, {m['load']}")
        print(f"books: {n:,} stock balances ({args.warehouses} warehouses × {n_items:,} items), written in {t_books:.1f} s; "
              f"file {len(data) / 1e6:.1f} MB")
        print(f"{'run':<32} {'rows':>8} {'bad':>6} {'diffs':>7} {'time':>8}  target")
        for label, t, o in results:
            s = o["summary"]
            ok = "ok" if t < TARGET else "MISSED"
            print(f"{label:<32} {s['rows_read']:>8,} {s['rows_bad']:>6,} {s['differences']:>7,} {t:>7.2f}s  < {TARGET:.0f} s {ok}")
        causes = {}
        for r in out["rows"]:
            causes[r["cause"]] = causes.get(r["cause"], 0) + 1
        print("causes:", ", ".join(f"{k} {v:,}" for k, v in sorted(causes.items())))
    finally:
        if pg_url:
            from django.db import connections

            connections.close_all()
            drop_pg_database(pg_url)


if __name__ == "__main__":
    main()
