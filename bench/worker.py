"""One benchmark in its own process (Django is set up once per process, on one database).

    python -m bench.worker import --db URL --file F [--profile STATS]
    python -m bench.worker trial  --db URL --lines N [--months M] [--repeat K]
    python -m bench.worker stock-build --db URL --docs N --items I --warehouses W [--hot]
    python -m bench.worker stock-moves --db URL --moves N --items I --warehouses W
    python -m bench.worker stock-post --db URL --history-docs N --items I --warehouses W --post-docs M [--profile F]
    python -m bench.worker stock-concurrent --db URL --clients K --docs M --items I
    python -m bench.worker stock-backdate|stock-revalue --db URL [--profile F]
    python -m bench.worker stock-pgcopy --db POSTGRESQL_URL --source SQLITE_FILE   (migrates, then copies the books in)
    python -m bench.worker stock-report --db URL --name stock-balance|reconcile [--repeat K] [--profile F]

Prints progress on stderr and one JSON object, the result, as the last line of stdout.
"""
import argparse
import json
import sys

from .common import django_setup, log, timed


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bench.worker")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("import")
    p.add_argument("--db", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--profile")
    p = sub.add_parser("trial")
    p.add_argument("--db", required=True)
    p.add_argument("--lines", type=int, default=1_000_000)
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--repeat", type=int, default=5)
    p = sub.add_parser("stock-build")
    p.add_argument("--db", required=True)
    p.add_argument("--docs", type=int, required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--warehouses", type=int, default=2)
    p.add_argument("--hot", action="store_true")
    p = sub.add_parser("stock-moves")
    p.add_argument("--db", required=True)
    p.add_argument("--moves", type=int, required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--warehouses", type=int, default=2)
    p = sub.add_parser("stock-post")
    p.add_argument("--db", required=True)
    p.add_argument("--history-docs", type=int, required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--warehouses", type=int, default=2)
    p.add_argument("--post-docs", type=int, default=1500)
    p.add_argument("--profile")
    p = sub.add_parser("stock-concurrent")
    p.add_argument("--db", required=True)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--docs", type=int, default=100)
    p.add_argument("--items", type=int, default=2000)
    for name in ("stock-backdate", "stock-revalue"):
        p = sub.add_parser(name)
        p.add_argument("--db", required=True)
        p.add_argument("--profile")
    p = sub.add_parser("stock-pgcopy")
    p.add_argument("--db", required=True)
    p.add_argument("--source", required=True)
    p = sub.add_parser("stock-report")
    p.add_argument("--db", required=True)
    p.add_argument("--name", choices=("stock-balance", "reconcile"), required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--profile")
    args = ap.parse_args(argv)

    migrate_s, _ = timed(django_setup, args.db)
    from django.db import connection

    res = {"db": connection.vendor, "migrate_seconds": migrate_s}
    if args.cmd.startswith("stock-"):
        res.update(_stock(args))
    elif args.cmd == "import":
        from .imports import run_in_process

        res.update(run_in_process(args.file, profile=args.profile))
    else:
        from . import trial

        log(f"  populating {args.lines:,} voucher lines over {args.months} months ({connection.vendor}) …")
        res.update(trial.populate(args.lines, args.months))
        log(f"  populated in {res['populate_seconds']:.1f} s; checking PeriodBalance = Σ lines …")
        res["consistent"] = trial.check_consistency()
        log("  timing trial_balance() …")
        res["timings"] = trial.time_reports(args.months, args.repeat)
    print(json.dumps(res, ensure_ascii=False))
    return 0


def _stock(args) -> dict:
    from . import stock, stockgen

    if args.cmd == "stock-build":
        from django.db import connection

        res = stockgen.build_history(args.docs, args.items, args.warehouses, args.hot, log=log)
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return res
    if args.cmd == "stock-moves":
        from django.db import connection

        t = timed(stockgen.post_master, stockgen.master_docs(args.items, args.warehouses))[0]
        res = stockgen.build_moves_only(args.moves, log=log)
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return {"master_seconds": t, **res}
    if args.cmd == "stock-post":
        return stock.post_rate(args.history_docs, args.items, args.warehouses, args.post_docs, profile=args.profile)
    if args.cmd == "stock-concurrent":
        return stock.concurrent(args.db, args.clients, args.docs, args.items)
    if args.cmd == "stock-pgcopy":
        from django.db import connection

        from .pgcopy import copy_into

        connection.close()
        return copy_into(args.source, args.db)
    if args.cmd == "stock-backdate":
        return stock.backdate(profile=args.profile)
    if args.cmd == "stock-revalue":
        return stock.revalue(profile=args.profile)
    return stock.report(args.name, args.repeat, profile=args.profile)


if __name__ == "__main__":
    sys.exit(main())
