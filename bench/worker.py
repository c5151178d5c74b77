"""One benchmark in its own process (Django is set up once per process, on one database).

    python -m bench.worker import --db URL --file F [--profile STATS]
    python -m bench.worker trial  --db URL --lines N [--months M] [--repeat K]

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
    args = ap.parse_args(argv)

    migrate_s, _ = timed(django_setup, args.db)
    from django.db import connection

    res = {"db": connection.vendor, "migrate_seconds": migrate_s}
    if args.cmd == "import":
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


if __name__ == "__main__":
    sys.exit(main())
