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


def documents(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    out = [{"type": "company", "code": "K9", "name": "断电测试公司", "chart": "small_enterprise", "costing_method": "moving_average",
            "start_period": "2026-01", "currency": "CNY"},
           {"type": "warehouse", "code": "W1", "name": "一号仓"}, {"type": "supplier", "code": "S1", "name": "供应商"},
           {"type": "customer", "code": "C1", "name": "客户"}]
    items = [f"I{i:03d}" for i in range(20)]
    for code in items:
        out.append({"type": "item", "code": code, "name": f"物料{code}", "uom": "个", "account": "1405",
                    **({"costing_method": "fifo"} if code.endswith(("0", "5")) else {})})
    stock = {c: 0 for c in items}
    for k in range(n):
        day = (date(2026, 1, 2) + timedelta(days=k * 85 // n)).isoformat()  # in file order: stock never goes negative
        r = rnd.random()
        lines = []
        if r < 0.45 or k < 20:
            for code in rnd.sample(items, 5):
                q = rnd.randint(5, 50)
                stock[code] += q
                lines.append({"item": code, "qty": str(q), "unit_price": f"{rnd.randint(100, 9999) / 100:.2f}"})
            kind = "purchase_receipt"
            if r < 0.05 and k > 20:  # backdated: dated on the 1st of January, re-costs later issues
                day = "2026-01-01"
            out.append({"type": kind, "ref": f"R{k}", "date": day, "supplier": "S1", "warehouse": "W1", "lines": lines})
        elif r < 0.9:
            for code in rnd.sample(items, 5):
                q = min(stock[code], rnd.randint(1, 10))
                if q:
                    stock[code] -= q
                    lines.append({"item": code, "qty": str(q), "unit_price": f"{rnd.randint(100, 9999) / 100:.2f}"})
            if lines:
                out.append({"type": "sales_delivery", "ref": f"D{k}", "date": day, "customer": "C1", "warehouse": "W1", "lines": lines})
        else:
            amt = f"{rnd.randint(100, 99999) / 100:.2f}"
            out.append({"type": "journal", "ref": f"J{k}", "date": day, "lines": [{"account": "5602", "debit": amt},
                                                                                {"account": "1002", "credit": amt}]})
    return out


def _run(*args, **kw):
    return subprocess.run([*STOCKBOOK, *args], cwd=ROOT, capture_output=True, text=True, **kw)


def kill_runs(url: str, runs: int, docs: int = 400, seed: int = 1, log=print) -> dict:
    """``runs`` kills; returns {"runs", "killed", "posted", "problems": [...]} (problems empty when whole)."""
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.jsonl"
        all_docs = documents(docs)
        path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in all_docs), encoding="utf-8")
        r = _run("--db", url, "import", str(Path(tmp) / "none.jsonl"))  # migrate the database once, untimed
        killed, problems = 0, []
        for i in range(runs):
            proc = subprocess.Popen([*STOCKBOOK, "--db", url, "import", str(path)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(1.0, 4.0))  # start-up takes about a second: most kills land mid-import
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
            proc.wait()
            r = _run("--db", url, "check")
            if r.returncode != 0:
                problems.append(f"run {i + 1}: {r.stderr.strip() or r.stdout.strip()}")
                break
            if (i + 1) % 10 == 0:
                log(f"  {i + 1} runs, {killed} killed, books whole")
        # finally import to the end: every document posted exactly once
        r = _run("--db", url, "import", str(path))
        if r.returncode != 0:
            problems.append(f"final import: {r.stdout} {r.stderr}")
        r = _run("--db", url, "check")
        if r.returncode != 0:
            problems.append(f"final check: {r.stderr.strip()}")
        counts = _run("--db", url, "report", "trial-balance", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "json")
        if counts.returncode != 0:
            problems.append(f"trial balance: {counts.stderr}")
        return {"runs": runs, "killed": killed, "documents": len(all_docs), "problems": problems}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.killnine")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--docs", type=int, default=400)
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
