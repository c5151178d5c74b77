"""Stock benchmarks (issue 4), each run by ``bench.worker`` in its own process on one database.

    post        10-line receipts/deliveries through post() on top of N moves already in the database
    concurrent  PostgreSQL, K client processes (own connection each) posting at the same time
    backdate    a backdated receipt into a costing unit with N later moves (re-costing + adjustment vouchers)
    revalue     stockbook.stock.revalue.recompute(): every item re-costed from scratch
    balance     stock_balance(as_of) for several dates, time and peak RSS of the process
    reconcile   reconcile(as_of) for several dates

History comes from bench/stockgen.py (the bulk writer, or INSERT … SELECT for the moves-only database).
"""
import json
import time
from datetime import date, timedelta

from .stockgen import HOT, Stream

NEW_DAY = date(2026, 1, 1)  # new documents come after the history (2024-01 … 2025-12)
AS_OF = [date(2024, 1, 31), date(2024, 9, 15), date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30)]


def vm_hwm_kib() -> int:
    """Peak resident set size of this process so far (VmHWM), KiB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def _state_sizes(item_codes) -> dict:
    from stockbook.stock.models import ItemState

    sizes = [len(json.dumps(s)) for s in ItemState.objects.filter(item__code__in=list(item_codes)).values_list("state", flat=True)]
    return {"state_bytes_mean": sum(sizes) / max(len(sizes), 1), "state_bytes_max": max(sizes or [0])}


# -- posting ---------------------------------------------------------------------------------------
def post_rate(history_docs: int, items: int, warehouses: int, post_docs: int, warmup: int = 100, profile: str | None = None) -> dict:
    """Continue the history's document stream: ``warmup`` untimed documents, then ``post_docs`` timed."""
    from stockbook.posting.books import Books
    from stockbook.posting.service import post
    from stockbook.stock.models import StockMove

    stream = Stream(items, warehouses)
    for _ in stream.history(history_docs):
        pass
    n = warmup + post_docs
    docs = [stream.doc(NEW_DAY + timedelta(days=k * 28 // n)) for k in range(n)]
    before = StockMove.objects.count()
    books = Books()
    for d in docs[:warmup]:
        post(d, books=books)
    lat = []
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    for d in docs[warmup:]:
        s = time.perf_counter()
        post(d, books=books)
        lat.append(time.perf_counter() - s)
    elapsed = time.perf_counter() - t0
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    lines = sum(len(d["lines"]) for d in docs[warmup:])
    touched = {ln["item"] for d in docs[warmup:] for ln in d["lines"]}
    return {"moves_before": before, "docs": post_docs, "lines": lines, "seconds": elapsed, "rate": lines / elapsed,
            "p50_ms": _pct(lat, 50) * 1000, "p99_ms": _pct(lat, 99) * 1000, **_state_sizes(touched)}


def _client(url: str, idx: int, n_docs: int, warmup: int, items: int, clients: int, barrier, queue):
    from .common import django_setup

    django_setup(url)
    from django.db import connection

    from stockbook.posting.books import Books
    from stockbook.posting.service import post

    day = date(2024, 1, 15)  # one day for all: every document comes after the item's last move (no replay)
    stream = Stream(items, clients, seed=100 + idx, prefix=f"K{idx}", only_whs=[f"W{idx + 1:02d}"])
    docs = [stream.doc(day) for _ in range(warmup + n_docs)]
    books = Books()
    for d in docs[:warmup]:
        post(d, books=books)
    barrier.wait()
    start = time.time()
    lat = []
    for d in docs[warmup:]:
        s = time.perf_counter()
        post(d, books=books)
        lat.append(time.perf_counter() - s)
    connection.close()
    queue.put({"idx": idx, "start": start, "end": time.time(), "lat": lat, "lines": sum(len(d["lines"]) for d in docs[warmup:])})


def concurrent(url: str, clients: int, docs_per_client: int, items: int, warmup: int = 5) -> dict:
    """``clients`` processes, each with its own connection and warehouse, the items shared, one date."""
    import multiprocessing as mp

    from django.db import connection

    from .stockgen import master_docs, post_master

    post_master(master_docs(items, clients))
    connection.close()
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(clients)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(url, i, docs_per_client, warmup, items, clients, barrier, queue)) for i in range(clients)]
    for p in procs:
        p.start()
    res = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    bad = [p.exitcode for p in procs if p.exitcode]
    if bad:
        raise SystemExit(f"client(s) failed: {bad}")
    wall = max(r["end"] for r in res) - min(r["start"] for r in res)
    lat = [x for r in res for x in r["lat"]]
    lines = sum(r["lines"] for r in res)
    return {"clients": clients, "docs": len(lat), "lines": lines, "seconds": wall, "rate": lines / wall,
            "p50_ms": _pct(lat, 50) * 1000, "p99_ms": _pct(lat, 99) * 1000, "max_ms": max(lat) * 1000}


# -- backdating ---------------------------------------------------------------------------------------
def backdate(profile: str | None = None) -> dict:
    """A receipt of the hot item dated on the first day of the history: every later move of the unit
    (H0001, W01) is re-costed, and every delivery whose cost changed is corrected (one re-costing voucher per date)."""
    from stockbook.ledger.models import Voucher
    from stockbook.masterdata.models import Item, Warehouse
    from stockbook.posting.service import post
    from stockbook.stock.models import StockMove

    item = Item.objects.get(code=HOT)
    wh = Warehouse.objects.get(code="W01")
    first = StockMove.objects.filter(item=item).order_by("date").values_list("date", flat=True).first()
    later = StockMove.objects.filter(item=item, warehouse=wh, date__gte=first).count()
    obj = {"type": "purchase_receipt", "ref": "BACKDATED-1", "date": first.isoformat(), "supplier": "S001", "warehouse": "W01",
           "lines": [{"item": HOT, "qty": "100", "unit_price": "99.99"}]}
    v_before = Voucher.objects.count()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    res = post(obj)
    elapsed = time.perf_counter() - t0
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    from stockbook.ledger.models import VoucherLine

    recost = Voucher.objects.filter(kind=Voucher.RECOST)
    lines = VoucherLine.objects.filter(voucher__kind=Voucher.RECOST)
    return {"later_moves": later, "seconds": elapsed, "posted": res.posted, "vouchers": Voucher.objects.count() - v_before,
            "recost_vouchers": recost.count(), "correction_lines": lines.count(),
            "corrected_documents": lines.values("document_id").distinct().count()}


# -- full revaluation ------------------------------------------------------------------------------------
def revalue(profile: str | None = None) -> dict:
    from stockbook.stock.models import ItemState, StockMove
    from stockbook.stock.revalue import recompute

    moves = StockMove.objects.count()
    items = ItemState.objects.count()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    diffs = recompute()
    elapsed = time.perf_counter() - t0
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    return {"moves": moves, "items": items, "seconds": elapsed, "diffs": len(diffs), "first_diffs": diffs[:3],
            "peak_rss_mib": vm_hwm_kib() / 1024}


# -- reports ----------------------------------------------------------------------------------------------
def _time_report(fn, dates, repeat: int, profile: str | None):
    cold, warm = {}, {}
    for d in dates:
        t = time.perf_counter()
        rep = fn(d)
        cold[d.isoformat()] = time.perf_counter() - t
        xs = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn(d)
            xs.append(time.perf_counter() - t)
        warm[d.isoformat()] = sorted(xs)[len(xs) // 2] if xs else cold[d.isoformat()]
    if profile:
        import cProfile

        cProfile.runctx("fn(dates[-2])", {"fn": fn, "dates": dates}, {}, profile)
    return cold, warm, rep


def report(name: str, repeat: int = 3, profile: str | None = None) -> dict:
    from stockbook.reports.reconcile import reconcile
    from stockbook.reports.stock_balance import stock_balance
    from stockbook.stock.models import StockMove

    moves = StockMove.objects.count()
    fn = stock_balance if name == "stock-balance" else reconcile
    base = vm_hwm_kib()
    cold, warm, rep = _time_report(fn, AS_OF, repeat, profile)
    out = {"moves": moves, "cold": cold, "warm": warm, "max_cold": max(cold.values()), "max_warm": max(warm.values()),
           "rss_before_mib": base / 1024, "peak_rss_mib": vm_hwm_kib() / 1024, "rows": len(rep.data["rows"])}
    if name == "reconcile":
        out["unexplained"] = [r["unexplained"] for r in rep.data["rows"]]
    return out
