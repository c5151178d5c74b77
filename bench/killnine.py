"""kill -9 in the middle of posting, again and again (issue 5): after every kill the books must be whole
(stockbook/posting/integrity.py: no half-posted document, no gap in voucher numbers, balances equal
their lines, re-costing equals what is stored, reconcile has no unexplained difference), and importing
the same file again posts exactly the documents that were not posted yet.

    .venv/bin/python -m bench.killnine --runs 100             # SQLite (the `make bench` run)
    .venv/bin/python -m bench.killnine --runs 100 --pg        # PostgreSQL, a throwaway database

Each run starts `stockbook --db URL import FILE` as a child process and sends it SIGKILL after a random
delay (seeded), then checks the database in this process's own child (`stockbook check`). The file:
company, items, then receipts, deliveries, backdated receipts and journals — every kind of write.
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOCKBOOK = [sys.executable, "-m", "stockbook.cli"]


MASTER = [{"type": "company", "code": "K9", "name": "断电测试公司", "chart": "small_enterprise", "costing_method": "moving_average",
           "start_period": "2026-01", "currency": "CNY"},
          {"type": "warehouse", "code": "W1", "name": "一号仓"}, {"type": "supplier", "code": "S1", "name": "供应商"},
          {"type": "customer", "code": "C1", "name": "客户"}]
ITEMS = [f"I{i:03d}" for i in range(20)]


def master() -> list[dict]:
    return MASTER + [{"type": "item", "code": c, "name": f"物料{c}", "uom": "个", "account": "1405",
                      **({"costing_method": "fifo"} if c.endswith(("0", "5")) else {})} for c in ITEMS]


def chunk(run: int, n: int, seed: int = 7) -> list[dict]:
    """The documents of one run: new references, dated on the run's own day (so every run posts new
    documents, and its deliveries only take what its own receipts brought in), a backdated receipt now
    and then (re-costing later issues of earlier runs), and journals."""
    rnd = random.Random(seed * 1000 + run)
    day = (date(2026, 1, 2) + timedelta(days=run % 300)).isoformat()
    stock = {c: 0 for c in ITEMS}
    out = []
    for k in range(n):
        r = rnd.random()
        ref = f"{run}-{k}"
        if r < 0.5 or k < 10:
            lines = []
            for code in rnd.sample(ITEMS, 5):
                q = rnd.randint(5, 50)
                stock[code] += q
                lines.append({"item": code, "qty": str(q), "unit_price": f"{rnd.randint(100, 9999) / 100:.2f}"})
            back = "2026-01-01" if r < 0.03 and k >= 10 else day
            if back != day:  # a backdated receipt's quantity is not counted for this run's deliveries
                for ln in lines:
                    stock[ln["item"]] -= int(ln["qty"])
            out.append({"type": "purchase_receipt", "ref": f"R{ref}", "date": back, "supplier": "S1", "warehouse": "W1", "lines": lines})
        elif r < 0.92:
            lines = []
            for code in rnd.sample(ITEMS, 5):
                q = min(stock[code], rnd.randint(1, 10))
                if q:
                    stock[code] -= q
                    lines.append({"item": code, "qty": str(q), "unit_price": f"{rnd.randint(100, 9999) / 100:.2f}"})
            if lines:
                out.append({"type": "sales_delivery", "ref": f"D{ref}", "date": day, "customer": "C1", "warehouse": "W1", "lines": lines})
        else:
            amt = f"{rnd.randint(100, 99999) / 100:.2f}"
            out.append({"type": "journal", "ref": f"J{ref}", "date": day, "lines": [{"account": "5602", "debit": amt},
                                                                                  {"account": "1002", "credit": amt}]})
    return out


def _write(path: Path, docs: list[dict]):
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")


def _run(*args, **kw):
    return subprocess.run([*STOCKBOOK, *args], cwd=ROOT, capture_output=True, text=True, **kw)


def _documents(url: str) -> int:
    """How many documents are committed (read by another connection, as any other client would)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        con = sqlite3.connect(f"file:{url[len('sqlite:///'):]}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM posting_document").fetchone()[0]
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url) as con:
        return con.execute("SELECT COUNT(*) FROM posting_document").fetchone()[0]


def kill_runs(url: str, runs: int, docs: int = 300, seed: int = 1, log=print) -> dict:
    """``runs`` imports of ``docs`` new documents each, killed at a random moment; after each, `stockbook
    check`. Returns {"runs", "killed", "posted", "problems": [...]} (problems empty when whole)."""
    from_rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "master.jsonl"
        _write(base, master())
        r = _run("--db", url, "import", str(base))
        if r.returncode != 0:
            return {"runs": 0, "killed": 0, "problems": [f"master data: {r.stdout} {r.stderr}"]}
        killed, problems, files = 0, [], []
        for i in range(runs):
            path = Path(tmp) / f"run{i}.jsonl"
            _write(path, chunk(i, docs))
            files.append(path)
            before = _documents(url)
            proc = subprocess.Popen([*STOCKBOOK, "--db", url, "import", str(path)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            # wait until the import has posted something (start-up takes a second or two), then kill it at a
            # random moment of the next half second: every kill lands while documents are being posted
            while proc.poll() is None and _documents(url) == before:
                time.sleep(0.02)
            time.sleep(from_rnd.uniform(0.0, 0.5))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.wait()
            r = _run("--db", url, "check", "--no-recost")
            if r.returncode != 0:
                problems.append(f"run {i + 1}: {r.stderr.strip() or r.stdout.strip()}")
                break
            if (i + 1) % 10 == 0:
                log(f"  {i + 1} runs, {killed} killed mid-import, books whole")
        # the rest of the last files: what a killed import did not post is posted now, nothing twice (all the
        # files would re-post earlier days' documents as backdated ones: a benchmark of its own)
        files = files[-3:]
        for path in files:
            _run("--db", url, "import", str(path))
        r = _run("--db", url, "check")  # with re-costing every item from scratch
        if r.returncode != 0:
            problems.append(f"final check: {r.stderr.strip()}")
        again = [_run("--db", url, "import", str(p)).stdout.strip().splitlines()[-1] for p in files]
        if any(not line.startswith("posted 0,") for line in again):
            problems.append(f"a second import posted again: {again}")
        return {"runs": runs, "killed": killed, "problems": problems}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.killnine")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--docs", type=int, default=300, help="documents per run")
    ap.add_argument("--pg", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    if args.pg:
        import psycopg

        base = os.environ.get("PG_URL_BASE", "postgresql://postgres@127.0.0.1:5432")
        name = f"sb_kill_{os.getpid()}"
        with psycopg.connect(base + "/postgres", autocommit=True) as c:
            c.execute(f"CREATE DATABASE {name}")
        try:
            res = kill_runs(f"{base}/{name}", args.runs, args.docs)
        finally:
            with psycopg.connect(base + "/postgres", autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            res = kill_runs(f"sqlite:///{tmp}/kill.db", args.runs, args.docs)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(res, ensure_ascii=False))
    ok = not res["problems"]
    print(f"kill -9 during posting: {res['runs']} runs, {res['killed']} killed mid-import, books whole after every one: "
          f"{'yes' if ok else 'NO'} ({res['seconds']} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
