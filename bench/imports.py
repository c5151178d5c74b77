"""Import benchmark: ``stockbook import`` of a JSONL file of journals into a fresh database.

The file: the company, sub-accounts, a few customers and suppliers, then N journals of L lines each
(half debit, half credit, balanced; receivable/payable lines carry a customer/supplier dimension), dated
in order over twelve months. Timed: ``import_file`` in process (parse + post every document, each in its
own transaction), and optionally the ``stockbook import`` command as a child process.
"""
import io
import json
import random
from datetime import date, timedelta

ACCOUNTS = [
    ("100201", "银行存款-工商银行", "1002"), ("100202", "银行存款-建设银行", "1002"),
    ("560101", "销售费用-运输费", "5601"), ("560102", "销售费用-仓储费", "5601"), ("560104", "销售费用-业务招待费", "5601"),
    ("560201", "管理费用-办公费", "5602"), ("560202", "管理费用-差旅费", "5602"), ("560203", "管理费用-租赁费", "5602"),
    ("560204", "管理费用-水电费", "5602"), ("560301", "财务费用-手续费", "5603"),
]
DEBIT = ["560101", "560102", "560104", "560201", "560202", "560203", "560204", "560301", "112201", "1001", "1221", "1123"]
CREDIT = ["100201", "100202", "1001", "220201", "2241", "5001", "5051", "2211"]
DIMS = {"112201": "customer", "220201": "supplier"}


def header() -> list[dict]:
    docs = [{"type": "company", "code": "BENCH", "name": "基准测试有限公司", "chart": "small_enterprise",
             "costing_method": "moving_average", "start_period": "2026-01", "currency": "CNY"}]
    docs += [{"type": "account", "code": c, "name": n, "parent": p} for c, n, p in ACCOUNTS]
    docs += [{"type": "customer", "code": f"C{i:03d}", "name": f"客户{i:03d}有限公司"} for i in range(1, 21)]
    docs += [{"type": "supplier", "code": f"S{i:03d}", "name": f"供应商{i:03d}有限公司"} for i in range(1, 11)]
    return docs


def _yuan(f: int) -> str:
    return f"{f // 100}.{f % 100:02d}"


def journals(n: int, lines: int, seed: int = 1):
    """n balanced journals of `lines` lines each (lines ≥ 2), dated in order through 2026."""
    r = random.Random(seed)
    start = date(2026, 1, 1)
    half = max(1, lines // 2)
    for k in range(n):
        day = start + timedelta(days=k * 365 // n)
        debits = [r.randint(100, 5_000_000) for _ in range(lines - half)]
        total = sum(debits)
        cuts = sorted(r.sample(range(1, total), half - 1)) if half > 1 and total > half else []
        credits = [b - a for a, b in zip([0, *cuts], [*cuts, total])]
        out = []
        for side, amounts, pool in (("debit", debits, DEBIT), ("credit", credits, CREDIT)):
            for amt in amounts:
                acc = r.choice(pool)
                ln = {"account": acc, side: _yuan(amt)}
                if acc in DIMS:
                    ln[DIMS[acc]] = f"C{r.randint(1, 20):03d}" if DIMS[acc] == "customer" else f"S{r.randint(1, 10):03d}"
                out.append(ln)
        yield {"type": "journal", "ref": f"BJ{k + 1:07d}", "date": day.isoformat(), "memo": f"基准凭证 {k + 1}", "lines": out}


def write_file(path: str, n: int, lines: int, seed: int = 1) -> int:
    """Write the benchmark JSONL file; returns the number of journal lines in it."""
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        for doc in header():
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        for doc in journals(n, lines, seed):
            count += len(doc["lines"])
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return count


def run_in_process(path: str, profile: str | None = None) -> dict:
    """Import `path` into the already set-up database and time it. With `profile`, write cProfile stats there."""
    import time

    from stockbook.interchange.importer import import_file
    from stockbook.ledger.models import VoucherLine

    out, err = io.StringIO(), io.StringIO()
    if profile:
        import cProfile

        prof = cProfile.Profile()
        t = time.perf_counter()
        code = prof.runcall(import_file, path, out=out, err=err)
        elapsed = time.perf_counter() - t
        prof.dump_stats(profile)
    else:
        t = time.perf_counter()
        code = import_file(path, out=out, err=err)
        elapsed = time.perf_counter() - t
    lines = VoucherLine.objects.count()
    return {"exit": code, "seconds": elapsed, "voucher_lines": lines, "summary": out.getvalue().strip(),
            "errors": err.getvalue().splitlines()[:5]}
