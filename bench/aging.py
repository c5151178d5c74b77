"""应收账龄 over 100,000 open sales invoices (issue 7, AR/AP): target < 2 s.

    python -m bench.aging [--invoices 100000] [--customers 2000] [--pg]

The database is built by bulk-creating ``Document``/``DocumentLine`` rows directly (posting 100,000
deliveries and invoices through ``post()`` would take far longer than the thing measured and is not what
is measured): a company, 2,000 customers, 100,000 posted sales invoices of one line each (net and tax in
分) dated over the 400 days before the as-of date, 20,000 receipts allocating part of one invoice each and
10,000 receipts without allocations (small, so they settle a few of each customer's oldest invoices and
the invoices stay open). Timed, in the process (3 runs, median and the slowest): ``build_report("ar-aging",
{"as_of": …})`` plus rendering the contract JSON; and once the whole command ``stockbook report ar-aging
--as-of … --format json`` as its own process (Django start-up included).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from .common import django_setup, drop_pg_database, log, machine, median, new_pg_database, pg_version

ROOT = Path(__file__).resolve().parents[1]
TARGET = 2.0
AS_OF = date(2026, 6, 30)


def build(n_inv: int, n_cust: int, seed: int = 7) -> dict:
    from stockbook.masterdata.models import Customer
    from stockbook.posting.models import Document, DocumentLine
    from stockbook.posting.service import post

    rnd = random.Random(seed)
    post({"type": "company", "code": "BENCH", "name": "账龄基准公司", "chart": "small_enterprise",
          "costing_method": "moving_average", "start_period": "2025-01", "currency": "CNY"})
    Customer.objects.bulk_create([Customer(code=f"C{i:05d}", name=f"客户{i}") for i in range(n_cust)], batch_size=1000)
    cust = list(Customer.objects.order_by("code").values_list("pk", flat=True))
    B = 5000

    def docs(kind, rows):
        """bulk-create documents; returns {ref: id}."""
        for i in range(0, len(rows), B):
            chunk = [Document(type=kind, ref=ref, identity=f"{kind}:{ref}", canonical="{}", date=d, customer_id=c,
                              amount=amt, source="bench") for ref, d, c, amt in rows[i:i + B]]
            Document.objects.bulk_create(chunk)
        return dict(Document.objects.filter(type=kind).values_list("ref", "id"))

    inv_rows, gross = [], {}
    for i in range(n_inv):
        ref = f"SI{i:07d}"
        net = rnd.randint(1000, 5_000_00)
        tax = (net * 13 + 50) // 100
        inv_rows.append((ref, AS_OF - timedelta(days=rnd.randint(0, 400)), cust[i % n_cust], None))
        gross[ref] = (net, tax)
    ids = docs("sales_invoice", inv_rows)
    lines = [DocumentLine(document_id=ids[ref], line_no=1, amount=net, tax=tax, qty=10000, unit_price="1")
             for ref, (net, tax) in gross.items()]
    DocumentLine.objects.bulk_create(lines, batch_size=B)

    # 20,000 receipts allocating part of one invoice each, 10,000 unallocated ones
    n_alloc, n_free = n_inv // 5, n_inv // 10
    picks = rnd.sample(range(n_inv), n_alloc)
    rc_rows, allocs = [], []
    for k, i in enumerate(picks):
        ref, d, c, _ = inv_rows[i]
        amt = sum(gross[ref]) // 2
        rc_rows.append((f"RA{k:07d}", min(AS_OF, d + timedelta(days=5)), c, amt))
        allocs.append((f"RA{k:07d}", ref, amt))
    for k in range(n_free):
        rc_rows.append((f"RF{k:07d}", AS_OF - timedelta(days=rnd.randint(0, 60)), cust[rnd.randrange(n_cust)], rnd.randint(100, 500_00)))
    rids = docs("customer_receipt", rc_rows)
    DocumentLine.objects.bulk_create([DocumentLine(document_id=rids[r], line_no=1, amount=a, ref_document_id=ids[inv])
                                      for r, inv, a in allocs], batch_size=B)
    return {"invoices": n_inv, "customers": n_cust, "receipts_allocating": n_alloc, "receipts_unallocated": n_free}


def child(db_url: str, n_inv: int, n_cust: int) -> dict:
    django_setup(db_url)
    from stockbook.reports.aging import AR, open_items
    from stockbook.reports.base import render
    from stockbook.reports.registry import build_report

    t = time.perf_counter()
    info = build(n_inv, n_cust)
    info["build_s"] = round(time.perf_counter() - t, 1)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        out = render(build_report("ar-aging", {"as_of": AS_OF}), "json")
        runs.append(time.perf_counter() - t)
    data = json.loads(out)
    per_invoice = open_items(AR, AS_OF)
    info["open_invoices"] = sum(1 for pa in per_invoice.values() for i in pa.items if not i.credit)
    # the report's figures (summed per bucket) against the invoice-by-invoice settlement
    from decimal import Decimal

    from stockbook.core.money import fmt_money

    want = fmt_money(sum(sum(pa.buckets(AS_OF).values()) for pa in per_invoice.values()))
    got = str(sum(Decimal(r["total"]) for r in data["rows"]))
    assert got == want, (got, want)
    info["total"] = got
    info["rows"] = len(data["rows"])
    info["runs_s"] = [round(x, 3) for x in runs]
    return info


def run(n_inv: int, n_cust: int, pg: bool) -> dict:
    if pg:
        url = new_pg_database("stockbook_bench_aging")
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="sb-aging-")
        url = f"sqlite:///{tmp.name}/aging.db"
    try:
        proc = subprocess.run([sys.executable, "-m", "bench.aging", "--child", "--db", url, "--invoices", str(n_inv),
                               "--customers", str(n_cust)], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        info = json.loads(proc.stdout.strip().splitlines()[-1])
        exe = str(ROOT / ".venv" / "bin" / "stockbook")
        cmd = [exe] if os.path.exists(exe) else [sys.executable, "-m", "stockbook.cli"]
        t = time.perf_counter()
        subprocess.run([*cmd, "--db", url, "report", "ar-aging", "--as-of", AS_OF.isoformat(), "--format", "json"],
                       cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
        info["cli_s"] = round(time.perf_counter() - t, 2)
    finally:
        if pg:
            drop_pg_database(url)
        elif tmp is not None:
            tmp.cleanup()
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--customers", type=int, default=2_000)
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (127.0.0.1:5432) instead of SQLite")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.db, a.invoices, a.customers)))
        return 0
    m = machine()
    log(f"bench.aging: {a.invoices:,} sales invoices, {a.customers:,} customers, {'PostgreSQL ' + pg_version() if a.pg else 'SQLite'} …")
    info = run(a.invoices, a.customers, a.pg)
    med, worst = median(info["runs_s"]), max(info["runs_s"])
    print(f"ar-aging over {info['open_invoices']:,} open invoices ({info['invoices']:,} invoices, "
          f"{info['receipts_allocating']:,} allocating + {info['receipts_unallocated']:,} unallocated receipts, "
          f"{info['rows']:,} customer rows, Σ {info['total']} = the invoice-by-invoice figure), {'PostgreSQL' if a.pg else 'SQLite'}:")
    print(f"  report in process  median {med:.2f} s  slowest {worst:.2f} s   target < {TARGET:.0f} s   "
          f"{'OK' if worst < TARGET else 'OVER'}")
    print(f"  stockbook report ar-aging --format json (whole process): {info['cli_s']:.2f} s")
    print(f"  (database built in {info['build_s']} s, not timed; {m['nproc']} × {m['cpu']}, {m['memory']}, "
          f"Python {m['python']}, SQLite {m['sqlite']}, {m['load']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
