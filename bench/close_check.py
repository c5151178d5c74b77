"""Month-end close on the 1,000,000-move database (issue 6, item 7): ``stockbook close-check`` plus every
reconciliation of the month and the cases sync, target < 60 s in total.

    python -m bench.close_check                    # the cached 1M-move database of bench/stockrun.py
    python -m bench.close_check --moves 100000     # smaller
    python -m bench.close_check --period 2025-12   # the month (default: the history's last month)

The database is the one ``bench.stockrun`` caches under var/bench/ (2024-01 … 2025-12, 1,000,000 moves with
their vouchers), copied to a temporary directory because the sync and the close check write (cases,
snapshots, certifications). In a child process, cold (nothing stored yet):

1. ``recon.service.reconcile(month end)`` — every ledger pair of the books, computed;
2. ``cases.service.sync(month end)`` — the engine's maintained result (computed once more and stored) and
   the cases;
3. ``stockbook close-check --period P --format json`` as its own process (Django start-up, migrations
   check and all), which reads the maintained result;

and the total of the three against the target. Before timing, one manual journal (1,234.56 on the
inventory account, dated the month end, with a 1,000.00 threshold on that account) is posted into the copy, so that the sync opens a case and the
close check has blockers to list (the generated books are otherwise clean).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import log, machine

ROOT = Path(__file__).resolve().parents[1]
TARGET = 60.0


def child(db_url: str, period: str) -> dict:
    from .common import django_setup

    django_setup(db_url)
    from stockbook.cases.service import parse_period, period_end, sync
    from stockbook.recon.service import reconcile
    from stockbook.stock.models import StockMove

    p = parse_period(period)
    as_of = period_end(p)
    moves = StockMove.objects.count()
    # one manual journal on the inventory account in the month: a difference, a case, blockers
    from stockbook.posting.service import post
    from stockbook.recon.engine import inventory_accounts

    from stockbook.recon.models import Threshold

    acct = inventory_accounts()[0]
    Threshold.objects.update_or_create(account=acct, warehouse=None, defaults={"amount": 100000})  # 1,000.00: material
    post({"type": "journal", "ref": "BENCH-J1", "date": as_of.isoformat(), "memo": "close-check benchmark",
          "lines": [{"account": acct, "debit": "1234.56"}, {"account": "1002", "credit": "1234.56"}]})
    t = time.perf_counter()
    pairs = reconcile(as_of)
    t_rec = time.perf_counter() - t
    t = time.perf_counter()
    out = sync(as_of, auto_certify_past=False)
    t_sync = time.perf_counter() - t
    return {"moves": moves, "pairs": len(pairs), "reconcile_s": t_rec, "sync_s": t_sync,
            "differences": {x.key: x.difference for x in pairs if x.difference},
            "cases_created": len(out["created"])}


def run(moves: int, items: int, period: str) -> dict:
    from .stockrun import _remove, cached, copy_to

    notes: list = []
    t0 = time.perf_counter()
    src = cached("history", notes, docs=moves // 10, items=items, warehouses=2)
    built = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="sb-close-") as tmp:
        db = copy_to(src, Path(tmp))
        url = f"sqlite:///{db}"
        log(f"  reconcile + sync on {db.name} …")
        proc = subprocess.run([sys.executable, "-m", "bench.close_check", "--child", "--db", url, "--period", period],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise SystemExit("close-check benchmark child failed")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        log("  stockbook close-check …")
        t = time.perf_counter()
        cli = subprocess.run([sys.executable, "-c", "import sys; from stockbook.cli import main; sys.exit(main())", "--db", url,
                              "close-check", "--period", period, "--format", "json"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        res["close_check_s"] = time.perf_counter() - t
        if cli.returncode not in (0, 1):
            raise SystemExit(f"close-check exited {cli.returncode}")
        rep = json.loads(cli.stdout)
        res["close_check_exit"] = cli.returncode
        res["blockers"] = {b["kind"]: b["count"] for b in rep["blockers"]}
        _remove(db)
    res["total_s"] = res["reconcile_s"] + res["sync_s"] + res["close_check_s"]
    res["cache_s"] = built
    res["notes"] = notes
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bench.close_check")
    ap.add_argument("--moves", type=int, default=1_000_000)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--period", default="2025-12")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.db, args.period)))
        return 0
    m = machine()
    res = run(args.moves, args.items, args.period)
    ok = res["total_s"] < TARGET
    print(f"machine: {m}")
    for n in res["notes"]:
        print(f"note: {n}")
    print(f"database: {res['moves']:,} moves, {res['pairs']} ledger pairs, period {args.period}"
          f" (getting the cached database took {res['cache_s']:.0f} s)")
    print(f"{'step':<58}{'seconds':>10}")
    print(f"{'recon.service.reconcile(month end), every pair':<58}{res['reconcile_s']:>10.2f}")
    print(f"{'cases.service.sync(month end)':<58}{res['sync_s']:>10.2f}")
    print(f"{'stockbook close-check --period (own process, exit ' + str(res['close_check_exit']) + ')':<58}{res['close_check_s']:>10.2f}")
    print(f"{'total':<58}{res['total_s']:>10.2f}   target < {TARGET:g} s: {'yes' if ok else 'NO'}")
    print(f"blockers: {res['blockers']}; cases created by the sync: {res['cases_created']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
