"""FIFO booking against beancount 3: the same stream of N transactions, the same cost of goods sold.

    .venv/bin/python -m bench.beancount_cmp [--n 100000] [--bc-python /tmp/bcvenv/bin/python]

beancount is not a project dependency: it runs in a throwaway venv, in a child process
(``python3 -m venv /tmp/bcvenv && /tmp/bcvenv/bin/pip install beancount``).

The stream (seeded, deterministic): 5 items (ITEMA … ITEME), one warehouse, one supplier, one customer,
N one-line transactions dated in order over 2026 — purchases (1–100 whole units at a price of 1.00 –
299.99 with **two decimals**) and sales (1 unit up to everything on hand, whole units; never more than
on hand). About a third of the transactions are purchases (more when an item runs out).

Why two-decimal prices and whole units: the contract rounds each purchase to cents
(net = round(qty × price, 2)) and each take from a FIFO layer to round(V × q / Q, 2), whereas beancount
books cost at full precision per unit (q × unit cost). With qty × price exact to the cent, a layer's value
V = Q × price, so V × q / Q = q × price is exact too: both books must give the same cost of goods sold to
the cent, with no tolerance. (With four-decimal prices the two would differ by the contract's roundings.)

(a) Stockbook: a fresh SQLite database in a temporary directory, migrated (not timed); master data posted
(not timed); then every transaction through ``stockbook.posting.service.post()`` with one ``Books`` —
timed. COGS = Σ −value of the StockMove rows with code 202 (sales delivery), in 分, cross-checked with
the 5401 (主营业务成本) debit turnover of the vouchers.

(b) beancount: a .beancount file with ``option "booking_method" "FIFO"``, one ``Assets:Inventory`` account
holding each item as a commodity at cost; purchases ``q ITEM {price CNY, "P<n>"}`` against ``Liabilities:AP``,
sales ``-q ITEM {}`` with the ``Expenses:COGS`` leg auto-balanced. ``loader.load_file`` (parse, booking,
interpolation, validation — what ``bean-check`` does) is timed in the child process; COGS = Σ of the
``Expenses:COGS`` postings. The load must report no errors.

Each purchase carries its own lot label ("P<n>"). Without it beancount merges a purchase into an earlier lot
of the same item, price and date, which moves the later units ahead of lots bought in between: at
N=100,000 the unlabelled file gave 138,262,549.39 against 138,262,547.91 (1.48 CNY more). With labels every
purchase is its own layer, as in the contract.

(c) A plain-Python FIFO over the stream (integer 分) is the referee: all three must agree.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ITEMS = ["ITEMA", "ITEMB", "ITEMC", "ITEMD", "ITEME"]
YEAR_START = date(2026, 1, 1)


def stream(n: int, seed: int = 20260101) -> list[tuple]:
    """(kind, date, item, qty, price_fen) with kind "P" or "S"; never sells more than on hand."""
    r = random.Random(seed)
    on_hand = {c: 0 for c in ITEMS}
    base = {c: 100 + (i * 7919) % 20000 for i, c in enumerate(ITEMS)}  # 1.00 … 200.99
    out = []
    for k in range(n):
        d = YEAR_START + timedelta(days=k * 365 // n)
        item = r.choice(ITEMS)
        if on_hand[item] == 0 or r.random() < 1 / 3:
            q = r.randint(1, 100)
            fen = max(100, min(29999, base[item] + r.randint(-base[item] // 5, base[item] // 5)))
            out.append(("P", d, item, q, fen))
            on_hand[item] += q
        else:
            q = r.randint(1, min(on_hand[item], 60))
            out.append(("S", d, item, q, 0))
            on_hand[item] -= q
    return out


def _price(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def reference_fifo(txs: list[tuple]) -> int:
    """COGS in 分 by FIFO layers of (qty, price in 分); exact since quantities are whole units."""
    layers = {c: deque() for c in ITEMS}
    cogs = 0
    for kind, _d, item, q, fen in txs:
        if kind == "P":
            layers[item].append([q, fen])
            continue
        while q:
            layer = layers[item][0]
            take = min(q, layer[0])
            cogs += take * layer[1]
            layer[0] -= take
            q -= take
            if not layer[0]:
                layers[item].popleft()
    return cogs


# -- Stockbook -------------------------------------------------------------------------------------
def run_stockbook(txs: list[tuple], tmp: Path) -> dict:
    db = tmp / "x.db"
    os.environ["STOCKBOOK_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockbook.settings")
    import django

    django.setup()
    from stockbook.cli import migrate_if_needed

    migrate_if_needed()
    from django.db.models import Sum

    from stockbook.ledger.models import VoucherLine
    from stockbook.posting.books import Books
    from stockbook.posting.service import post
    from stockbook.stock.models import StockMove

    books = Books()
    master = [{"type": "company", "code": "C", "name": "比较", "chart": "small_enterprise", "costing_method": "fifo",
               "start_period": "2026-01", "currency": "CNY"},
              {"type": "warehouse", "code": "W1", "name": "仓库"}]
    master += [{"type": "item", "code": c, "name": f"商品{c}", "uom": "个", "tax_rate": "0.13"} for c in ITEMS]
    master += [{"type": "supplier", "code": "S1", "name": "供应商"}, {"type": "customer", "code": "K1", "name": "客户"}]
    for m in master:
        res = post(m, books=books)
        assert res.posted, (m, res)
    docs = []
    for i, (kind, d, item, q, fen) in enumerate(txs, 1):
        if kind == "P":
            docs.append({"type": "purchase_receipt", "ref": f"P{i}", "date": d.isoformat(), "supplier": "S1", "warehouse": "W1",
                         "lines": [{"item": item, "qty": str(q), "unit_price": _price(fen)}]})
        else:
            docs.append({"type": "sales_delivery", "ref": f"S{i}", "date": d.isoformat(), "customer": "K1", "warehouse": "W1",
                         "lines": [{"item": item, "qty": str(q), "unit_price": "1"}]})
    t0 = time.perf_counter()
    for doc in docs:
        res = post(doc, books=books)
        if not res.posted:
            raise SystemExit(f"not posted: {doc} -> {res}")
    seconds = time.perf_counter() - t0
    cogs = -(StockMove.objects.filter(code=202).aggregate(v=Sum("value"))["v"] or 0)
    pending = StockMove.objects.filter(code=202, value__isnull=True).count()
    dr = VoucherLine.objects.filter(account__code="5401").aggregate(v=Sum("debit"))["v"] or 0
    return {"seconds": seconds, "cogs_fen": cogs, "cogs_5401_fen": dr, "pending": pending}


# -- beancount -------------------------------------------------------------------------------------
BC_CHILD = r"""
import json, sys, time
from decimal import Decimal
t0 = time.perf_counter()
from beancount import loader
from beancount.core import data
entries, errors, options = loader.load_file(sys.argv[1])
seconds = time.perf_counter() - t0
import beancount
cogs = Decimal(0)
for e in entries:
    if isinstance(e, data.Transaction):
        for p in e.postings:
            if p.account == "Expenses:COGS":
                cogs += p.units.number
print(json.dumps({"seconds": seconds, "cogs": str(cogs), "errors": len(errors),
                  "first_errors": [str(x.message) for x in errors[:3]], "version": beancount.__version__}))
"""


def write_beancount(txs: list[tuple], path: Path) -> None:
    lines = ['option "operating_currency" "CNY"', 'option "booking_method" "FIFO"', ""]
    lines += [f"2026-01-01 commodity {c}" for c in ITEMS + ["CNY"]]
    lines += ["2026-01-01 open Assets:Inventory", "2026-01-01 open Liabilities:AP CNY",
              "2026-01-01 open Expenses:COGS CNY", ""]
    for i, (kind, d, item, q, fen) in enumerate(txs, 1):
        if kind == "P":
            lines += [f'{d} * "P{i}"', f'  Assets:Inventory  {q} {item} {{{_price(fen)} CNY, "P{i}"}}', "  Liabilities:AP", ""]
        else:
            lines += [f'{d} * "S{i}"', f"  Assets:Inventory  -{q} {item} {{}}", "  Expenses:COGS", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def run_beancount(txs: list[tuple], tmp: Path, bc_python: str) -> dict:
    path = tmp / "cmp.beancount"
    write_beancount(txs, path)
    out = subprocess.run([bc_python, "-c", BC_CHILD, str(path)], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["errors"]:
        raise SystemExit(f"beancount reported {res['errors']} errors: {res['first_errors']}")
    cogs = Decimal(res["cogs"])
    res["cogs_fen"] = int((cogs * 100).to_integral_value())
    res["exact_cents"] = cogs * 100 == res["cogs_fen"]
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--bc-python", default="/tmp/bcvenv/bin/python")
    ap.add_argument("--seed", type=int, default=20260101)
    a = ap.parse_args(argv)
    txs = stream(a.n, a.seed)
    with tempfile.TemporaryDirectory(prefix="stockbook_bccmp_") as d:
        tmp = Path(d)
        bc = run_beancount(txs, tmp, a.bc_python)
        sb = run_stockbook(txs, tmp)
    purchases = sum(1 for t in txs if t[0] == "P")
    ref = reference_fifo(txs)
    equal = ref == sb["cogs_fen"] == sb["cogs_5401_fen"] == bc["cogs_fen"] and bc["exact_cents"] and not sb["pending"]
    print(f"FIFO cost of goods sold, Stockbook vs beancount {bc['version']} "
          f"({len(txs):,} transactions: {purchases:,} purchases, {len(txs) - purchases:,} sales, {len(ITEMS)} items)")
    print(f"{'':28}{'Stockbook':>18}{'beancount':>18}")
    print(f"{'seconds':28}{sb['seconds']:>18.2f}{bc['seconds']:>18.2f}")
    print(f"{'transactions/s':28}{len(txs) / sb['seconds']:>18,.0f}{len(txs) / bc['seconds']:>18,.0f}")
    print(f"{'COGS (CNY)':28}{_yuan(sb['cogs_fen']):>18}{_yuan(bc['cogs_fen']):>18}")
    print(f"{'5401 debit (CNY)':28}{_yuan(sb['cogs_5401_fen']):>18}")
    print(f"{'reference FIFO (CNY)':28}{_yuan(ref):>18}")
    print(f"equal to the cent: {'yes' if equal else 'no'}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
