"""``make bench``: Stockbook's benchmarks, printed as a table with the machine noted.

    python -m bench.run                      # import 5,000 journals × 10 lines; trial balance on 1,000,000 lines (SQLite)
    python -m bench.run --only import        # one benchmark (repeatable): import | trial | post | concurrent |
                                             #   backdate | revalue | stock-balance | reconcile
    python -m bench.run --journals 20000 --lines-per-journal 10 --tb-lines 200000
    python -m bench.run --pg                 # PostgreSQL too (needs the server at $PG_URL_BASE)
    python -m bench.run --cli                # also time the `stockbook import` command (child process)
    python -m bench.run --profile            # cProfile the in-process import, print where the time goes
    python -m bench.run --quick              # small sizes, a smoke run of a few seconds

Each benchmark runs in a child process on a fresh database in a temporary directory (or a throwaway
PostgreSQL database), so one does not warm or bloat the other. Targets (issue): import ≥ 5,000 voucher
lines/s on SQLite, single process; trial balance of any month with 1,000,000 voucher lines < 1 s. The stock
benchmarks of issue 4 (bench/stock.py, bench/stockrun.py) cache their big databases under var/bench/.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import stockrun
from .common import drop_pg_database, log, machine, new_pg_database, pg_available, pg_version

ROOT = Path(__file__).resolve().parents[1]
IMPORT_TARGET = 5000  # voucher lines per second
TB_TARGET = 1.0  # seconds


def _worker(*args) -> dict:
    cmd = [sys.executable, "-m", "bench.worker", *map(str, args)]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=None, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark failed: {' '.join(cmd)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _databases(tmp: Path, name: str, pg: bool):
    yield "SQLite", f"sqlite:///{tmp / (name + '.db')}", None
    if pg:
        url = new_pg_database()
        yield "PostgreSQL", url, url


def bench_import(args, tmp: Path, rows: list, notes: list):
    from .imports import write_file

    path = tmp / "journals.jsonl"
    lines = write_file(str(path), args.journals, args.lines_per_journal)
    size = path.stat().st_size
    log(f"import: {args.journals:,} journals × {args.lines_per_journal} lines = {lines:,} voucher lines ({size / 1e6:.1f} MB)")
    for label, url, pg_url in _databases(tmp, "import", args.pg):
        try:
            prof = str(tmp / "import.prof") if args.profile and label == "SQLite" else None
            log(f"  {label}: importing in process{' under cProfile' if prof else ''} …")
            res = _worker("import", "--db", url, "--file", path, *(["--profile", prof] if prof else []))
            ok = res["exit"] == 0 and res["voucher_lines"] == lines
            if not ok:
                notes.append(f"import on {label}: exit {res['exit']}, {res['voucher_lines']} lines, {res['summary']} {res['errors']}")
            rate = lines / res["seconds"]
            rows.append({
                "benchmark": f"import {args.journals:,} journals ({lines:,} lines), in process" + (" [cProfile]" if prof else ""),
                "db": label, "figure": f"{rate:,.0f} lines/s ({res['seconds']:.1f} s)", "target": f"≥ {IMPORT_TARGET:,} lines/s",
                "pass": ("yes" if rate >= IMPORT_TARGET and ok else "NO") if label == "SQLite" and not prof else "—",
                "value": rate,
            })
            if prof:
                _print_profile(prof)
            if args.cli:
                bench_cli(label, url if not pg_url else _fresh_pg(url), path, lines, rows)
        finally:
            if pg_url:
                drop_pg_database(pg_url)


def _fresh_pg(old_url):
    drop_pg_database(old_url)
    return new_pg_database()


def bench_cli(label, url, path, lines, rows):
    """`stockbook import FILE` as a child process, on a fresh (already migrated) database."""
    exe = str(Path(sys.executable).with_name("stockbook"))
    if label == "SQLite":
        db = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    subprocess.run([exe, "--db", url, "period", "status"], check=True, stdout=subprocess.DEVNULL)  # create + migrate
    log(f"  {label}: `stockbook import` …")
    t = time.perf_counter()
    proc = subprocess.run([exe, "--db", url, "import", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    rate = lines / elapsed
    rows.append({
        "benchmark": f"`stockbook import` command ({lines:,} lines, incl. start-up)", "db": label,
        "figure": f"{rate:,.0f} lines/s ({elapsed:.1f} s)", "target": f"≥ {IMPORT_TARGET:,} lines/s",
        "pass": ("yes" if rate >= IMPORT_TARGET and proc.returncode == 0 else "NO") if label == "SQLite" else "—", "value": rate,
    })
    if label != "SQLite":
        drop_pg_database(url)


def _print_profile(path):
    import io
    import pstats

    for key in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(path, stream=s).strip_dirs().sort_stats(key).print_stats(22)
        text = s.getvalue()
        print(f"\n--- cProfile of the import, by {key} ---")
        print(text[text.find("   ncalls"):].rstrip())
    print()


def bench_trial(args, tmp: Path, rows: list, notes: list):
    log(f"trial balance: {args.tb_lines:,} voucher lines over {args.months} months")
    for label, url, pg_url in _databases(tmp, "trial", args.pg):
        try:
            res = _worker("trial", "--db", url, "--lines", args.tb_lines, "--months", args.months, "--repeat", args.repeat)
        finally:
            if pg_url:
                drop_pg_database(pg_url)
        if not res["consistent"]:
            notes.append(f"trial balance on {label}: PeriodBalance does not equal the sums of the voucher lines")
        t = res["timings"]
        notes.append(f"{label}: filled {res['lines']:,} lines / {res['vouchers']:,} vouchers in {res['populate_seconds']:.0f} s "
                     f"(bulk SQL; PeriodBalance = Σ lines: {'checked' if res['consistent'] else 'MISMATCH'})")
        for case, label_case in (("month", "whole month"), ("half_month", "1st–15th of a month"), ("year", "a whole year")):
            xs = t[case]
            worst = max(xs)
            rows.append({
                "benchmark": f"trial balance, {label_case} ({len(xs)} × {args.repeat} warm, {res['lines']:,} lines)",
                "db": label,
                "figure": f"max {worst * 1000:,.1f} ms, median {statistics.median(xs) * 1000:,.1f} ms",
                "target": f"< {TB_TARGET:g} s", "pass": "yes" if worst < TB_TARGET and res["consistent"] else "NO",
                "value": worst,
            })


def _w(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def print_table(rows):
    keys = ["benchmark", "db", "figure", "target", "pass"]
    widths = {k: max(_w(k), *(_w(str(r[k])) for r in rows)) for k in keys}
    fmt = lambda r: " | ".join(str(r[k]) + " " * (widths[k] - _w(str(r[k]))) for k in keys)  # noqa: E731
    print(fmt({k: k for k in keys}))
    print("-+-".join("-" * widths[k] for k in keys))
    for r in rows:
        print(fmt(r))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.run", description="Stockbook benchmarks")
    ap.add_argument("--only", choices=("import", "trial", *stockrun.STOCK_BENCHMARKS), action="append",
                    help="run only this benchmark (repeatable)")
    ap.add_argument("--journals", type=int, default=5000, help="journals in the import file (default 5000)")
    ap.add_argument("--lines-per-journal", type=int, default=10)
    ap.add_argument("--tb-lines", type=int, default=1_000_000, help="voucher lines for the trial balance (default 1,000,000)")
    ap.add_argument("--months", type=int, default=24, help="months the trial-balance lines spread over (default 24)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per trial-balance sample (default 5)")
    ap.add_argument("--pg", action="store_true", help="also PostgreSQL ($PG_URL_BASE, default postgresql://postgres@127.0.0.1:5432)")
    ap.add_argument("--cli", action="store_true", help="also time the `stockbook import` command")
    ap.add_argument("--profile", action="store_true", help="profile the import (cProfile) and print the top functions")
    ap.add_argument("--quick", action="store_true", help="small sizes: 500 journals, 100,000 trial-balance lines")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a figure misses its target")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (SQLite files, JSONL)")
    stockrun.add_arguments(ap)
    args = ap.parse_args(argv)
    stockrun.adjust_args(args)
    if args.quick:
        args.journals, args.tb_lines = min(args.journals, 500), min(args.tb_lines, 100_000)
    if args.pg and not pg_available():
        log("PostgreSQL is not reachable: running SQLite only")
        args.pg = False
    only = set(args.only or ("import", "trial", *stockrun.STOCK_BENCHMARKS))

    m = machine()
    dbs = f"SQLite {m['sqlite']}" + (f", PostgreSQL {pg_version()}" if args.pg or "concurrent" in only else "")
    header = (f"machine: {m['cpu']}, nproc {m['nproc']}, {m['memory']} RAM, {m['os']}; Python {m['python']}; {dbs}; {m['load']} at start")
    print(header, flush=True)
    rows, notes = [], []
    t0 = time.perf_counter()
    tmp_ctx = tempfile.TemporaryDirectory(prefix="stockbook-bench-")
    tmp = Path(tmp_ctx.name)
    try:
        if "import" in only:
            bench_import(args, tmp, rows, notes)
        if "trial" in only:
            bench_trial(args, tmp, rows, notes)
        for name, fn in stockrun.STOCK_BENCHMARKS.items():
            if name in only:
                log(f"{name}:")
                fn(args, tmp, rows, notes)
    finally:
        if args.keep:
            log(f"kept {tmp}")
            tmp_ctx._finalizer.detach()
        else:
            tmp_ctx.cleanup()
    print()
    print_table(rows)
    for n in notes:
        print(f"  note: {n}")
    print(f"  total {time.perf_counter() - t0:.0f} s; {machine()['load']} at the end")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"machine": m, "rows": rows, "notes": notes}, f, ensure_ascii=False, indent=2)
    missed = [r["benchmark"] for r in rows if r["pass"] == "NO"]
    if missed:
        print(f"  below target: {len(missed)} figure(s)")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
