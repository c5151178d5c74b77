"""The dashboard's data: overview cards, differences by warehouse, warehouse × category heatmap, the
12-month trend, the detail table (drill-down) and the operation area — built from maintained results,
never recomputed from scratch per request.

Three layers keep reads cheap and postings quick to show:
- the engine's stored results (``recon.service.current``: ``Snapshot`` rows recomputed only when a document
  or voucher dated on or before the as-of date arrives) for the ledger pairs and their difference items;
- the dashboard's own maintained series, stored the same way: ``cells(as_of)`` — per inventory account ×
  warehouse × item the book value (the engine's ``stock_breakdown`` definition: the stock value plus the
  journal lines that name the cell; the rest of the account's ledger balance in its 未分配 cell), the stock
  value and the quantity — read from the maintained stock and period balances and the few journal lines,
  recomputed only when a document or voucher dated on or before the as-of date arrives;
- an in-process memo of each finished payload keyed by the filters and the books version (largest
  document, voucher and snapshot ids, the cases' last change). Unchanged books are served from memory; when
  the version moves, one process recomputes a payload while the others keep serving the previous one
  (``"stale": true``) instead of piling onto the same computation (a file lock per payload and per engine
  result, under ``VAR_DIR/locks``), so a posting does not stall 50 clients.

Field rights: without ``view_cost`` a payload carries no money at all — quantities, counts and whether a
warehouse's book and stock agree instead. The whole-company pairs (暂估 grni, ar, ap, 1901, 1402 在途) and
voucher links need ``policy.can_read_books`` (view_books + view_cost, no data scope)."""
import contextlib
import hashlib
import json
import os
import re
import threading
import time
from collections import OrderedDict, defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from stockbook.core.money import fmt_money, fmt_qty
from stockbook.recon import causes as kb
from stockbook.recon import service
from stockbook.recon.engine import inventory_accounts
from stockbook.recon.models import Snapshot
from stockbook.stock.events import month_end

from .filters import Filters

# -- versions and the memo ------------------------------------------------------------------------------
_MEMO: OrderedDict = OrderedDict()
_MEMO_MAX = 400
_LOCK = threading.Lock()


def _cases():
    """The cases app's service, when it is there (it lands separately): (module, Case) or (None, None)."""
    try:
        from stockbook.cases import service as cs
        from stockbook.cases.models import Case
    except ImportError:
        return None, None
    if not (hasattr(cs, "open_cases_for") and hasattr(cs, "case_counts")):
        return None, None
    return cs, Case


VERSION_TTL = 0.5  # seconds a process reuses the version it read (a posting still shows within a second)
RIGHTS_TTL = 5.0  # seconds a process reuses a user's rights and data scope
_VERSION = [0.0, ""]
_RIGHTS: dict = {}
_PARSED: dict = {}  # (what, as_of, warehouses) → (version, data): stored results already read from the database


def _read_version() -> str:
    from django.db import connection

    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document

    parts = [f"(SELECT MAX(id) FROM {Document._meta.db_table})", f"(SELECT MAX(id) FROM {Voucher._meta.db_table})",
             f"(SELECT MAX(id) FROM {Snapshot._meta.db_table})", f"(SELECT COUNT(*) FROM {Snapshot._meta.db_table})"]
    cs, Case = _cases()
    if Case is not None:
        parts += [f"(SELECT COUNT(*) FROM {Case._meta.db_table})", f"(SELECT MAX(updated_at) FROM {Case._meta.db_table})"]
    with connection.cursor() as cur:
        cur.execute("SELECT " + ", ".join(parts))
        row = cur.fetchone()
    out = [str(x or 0) for x in row[:5]]
    if len(row) > 5:
        m = row[5]
        out.append(str(int(m.timestamp() * 1e6)) if hasattr(m, "timestamp") else re.sub(r"\D", "", str(m or 0)))
    return "-".join(out)


def version(max_age: float | None = None) -> str:
    """Changes whenever a document, voucher, stored engine result or case changes (one query, reused by the
    process for ``VERSION_TTL`` seconds)."""
    ttl = VERSION_TTL if max_age is None else max_age
    now = time.monotonic()
    with _LOCK:
        if ttl > 0 and now - _VERSION[0] < ttl:
            return _VERSION[1]
    v = _read_version()
    with _LOCK:
        _VERSION[0], _VERSION[1] = now, v
    return v


def rights(user) -> dict:
    """What the dashboard needs to know about the user (``filters.user_rights``: capabilities, money, books,
    data scope), reused by the process for ``RIGHTS_TTL`` seconds."""
    from .filters import user_rights

    now = time.monotonic()
    key = (user.pk, user.is_active, user.is_superuser)
    with _LOCK:
        hit = _RIGHTS.get(key)
        if hit is not None and now - hit[0] < RIGHTS_TTL:
            return hit[1]
    r = user_rights(user)
    with _LOCK:
        _RIGHTS[key] = (now, r)
        if len(_RIGHTS) > 2000:
            _RIGHTS.clear()
    return r


def _parsed(what: str, as_of, w, load):
    """Stored results already parsed by this process, while the version has not moved."""
    ver = version()
    key = (what, as_of, w)
    with _LOCK:
        hit = _PARSED.get(key)
        if hit is not None and hit[0] == ver:
            return hit[1]
    data = load()
    with _LOCK:
        _PARSED[key] = (ver, data)
        if len(_PARSED) > 200:
            _PARSED.pop(next(iter(_PARSED)))
    return data


class Busy(Exception):
    """Another process is computing what this request needs, and an older payload can be served."""


_LOCAL = threading.local()


@contextlib.contextmanager
def engine_lock(name: str):
    """Around a maintained result's (re)computation: waits for another process computing the same one —
    unless the request has an older payload to serve (``memo``), then raises Busy instead of queueing a
    worker behind a computation that is already under way."""
    defer = getattr(_LOCAL, "defer", False)
    with flock(name, blocking=not defer) as held:
        if not held:
            raise Busy(name)
        yield


@contextlib.contextmanager
def flock(name: str, blocking: bool = True):
    """A lock shared by the server's processes (gunicorn workers): yields True when held, False when
    ``blocking`` is off and another process holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, everybody computes
        yield True
        return
    d = settings.VAR_DIR / "locks"
    d.mkdir(parents=True, exist_ok=True)
    path = d / ("dashboard-" + hashlib.sha1(name.encode()).hexdigest()[:20])
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def memo(name: str, f: Filters, ver: str, compute, extra=()) -> bytes:
    """The payload for these filters at this books version as JSON bytes: from memory, else computed (and
    encoded once). When an older payload is in memory and another process is already recomputing this one
    (or an engine result it needs), the older payload is returned with ``"stale": true`` — the page asks
    again a moment later — instead of queueing the request behind that computation."""
    key = (name, f.key(), tuple(extra))
    with _LOCK:
        hit = _MEMO.get(key)
        if hit is not None and hit[0] == ver:
            _MEMO.move_to_end(key)
            return hit[1]
    with flock("payload|" + repr(key), blocking=hit is None) as held:
        if not held:
            return _stale(hit[1])
        _LOCAL.defer = hit is not None
        try:
            value = compute()
        except Busy:
            return _stale(hit[1])
        finally:
            _LOCAL.defer = False
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    with _LOCK:
        _MEMO[key] = (ver, body)
        _MEMO.move_to_end(key)
        while len(_MEMO) > _MEMO_MAX:
            _MEMO.popitem(last=False)
    return body


def _stale(body: bytes) -> bytes:
    return body[:-1] + b',"stale":true}'


def clear_memo():
    with _LOCK:
        _MEMO.clear()
        _PARSED.clear()
        _RIGHTS.clear()
        _VERSION[0] = 0.0


# -- small helpers ----------------------------------------------------------------------------------------
def fen(s) -> int:
    return int(Decimal(str(s)) * 100) if s not in (None, "") else 0


def _wkey(whs) -> str:
    if whs is None:
        return "*"
    s = ",".join(map(str, sorted(whs)))
    return s if len(s) <= 80 else "h" + hashlib.sha1(s.encode()).hexdigest()[:20]


def _scope_arg(f: Filters):
    return None if f.scope is None else sorted(f.scope)


def _category_ids(f: Filters) -> set | None:
    """The filter category and its sub-categories (None: no category filter)."""
    if f.category is None:
        return None
    from stockbook.masterdata.models import Category

    parents = dict(Category.objects.values_list("id", "parent_id"))
    out = {f.category.pk}
    grew = True
    while grew:
        grew = False
        for c, p in parents.items():
            if p in out and c not in out:
                out.add(c)
                grew = True
    return out


def _item_categories() -> dict:
    from stockbook.masterdata.models import Item

    return dict(Item.objects.values_list("id", "category_id"))


def _warehouses() -> dict:
    from stockbook.masterdata.models import Warehouse

    return {w.pk: w for w in Warehouse.objects.select_related("region")}


def _wh_label(w) -> dict:
    if w is None:
        return {"id": None, "code": "", "name": "未分配仓库", "region": ""}
    return {"id": w.pk, "code": w.code, "name": w.name, "region": w.region.name if w.region else ""}


def _months(as_of: date, n: int = 12) -> list[date]:
    """The as-of date and the n−1 month ends before it, oldest first."""
    out = [as_of]
    p = as_of.year * 100 + as_of.month
    for _ in range(n - 1):
        y, m = divmod(p, 100)
        p = (y - 1) * 100 + 12 if m == 1 else p - 1
        out.append(month_end(p))
    return list(reversed(out))


# -- engine reads -----------------------------------------------------------------------------------------
def current(as_of: date, whs=None) -> list[dict]:
    """The engine's maintained reconciliation; one process computes a stale one while the others wait for
    it (then read the stored result) rather than computing the same thing side by side."""
    w = None if whs is None else sorted(whs)

    def load():
        from stockbook.recon.models import Snapshot

        snap = Snapshot.objects.filter(key=f"reconcile|internal|{service._wh_key(w)}", as_of=as_of).first()
        if snap is not None and not service.is_stale(snap):
            return snap.data  # stored and current: no lock needed
        with engine_lock(f"current|{as_of}|{_wkey(w)}"):
            return service.current(as_of, w)["data"]
    return _parsed("current", as_of, _wkey(w), load)


def pairs(f: Filters, as_of: date | None = None, whs="scope") -> list[dict]:
    """The maintained reconciliation (pair dicts) for the user's scope (or ``whs``); without the right to
    read the books, only the stock pairs."""
    data = current(as_of or f.as_of, f.scope if whs == "scope" else whs)
    if not f.books:
        data = [p for p in data if p["ledger"] == "stock"]
    return data


CELLS_KEY = "dashboard|cells"
def _compute_cells(as_of: date, prev) -> dict:
    """The engine's breakdown definition (recon.service.stock_breakdown) for every inventory account ×
    warehouse × item at once: the ledger has no warehouse of its own — per document it equals the stock it
    moved — so a cell's book value is its stock value plus the journal lines that name it, and the rest of
    the account's ledger balance (openings, pending costs, anything unexplained) sits in the account's
    未分配 cell. Reads the maintained stock and period balances and the (few) journal lines; no scan of
    the voucher lines."""
    from stockbook.recon.engine import _Books
    from stockbook.reports.stock_balance import balances

    accounts = inventory_accounts()
    version = service.version_fields()
    acc: dict = {}
    value_by_acct: dict = defaultdict(int)
    for r in balances(as_of):
        code = r["item"].account.code
        if code in accounts:
            a = acc.setdefault((code, r["warehouse"].pk, r["item"].pk), [0, 0, 0])
            a[0] += r["value"]
            a[1] += r["value"]
            a[2] += r["qty"]
            value_by_acct[code] += r["value"]
    journals_by_acct: dict = defaultdict(int)
    for code in accounts:
        for (wid, iid), v in service.journal_cells(code, as_of).items():
            acc.setdefault((code, wid, iid), [0, 0, 0])[0] += v
            journals_by_acct[code] += v
    books = _Books(as_of)
    for code in accounts:
        rest = books.balance(code) - value_by_acct[code] - journals_by_acct[code]
        if rest:
            acc.setdefault((code, None, None), [0, 0, 0])[0] += rest
    rows = [[a, w, i, g, v, q] for (a, w, i), (g, v, q) in acc.items() if g or v or q]
    return {"accounts": accounts, "rows": rows}, version


def cells(as_of: date) -> list[list]:
    """[account, warehouse id, item id, gl 分, stock value 分, qty] for every inventory account × warehouse ×
    item with a figure, as of the date; maintained (see the module docstring)."""
    return _parsed("cells", as_of, "*", lambda: _load_cells(as_of))


def _load_cells(as_of: date) -> list[list]:
    snap = Snapshot.objects.filter(key=CELLS_KEY, as_of=as_of).first()
    if snap is not None and not service.is_stale(snap):
        return snap.data["rows"]
    with engine_lock(f"cells|{as_of}"):
        snap = Snapshot.objects.filter(key=CELLS_KEY, as_of=as_of).first()  # another process may have done it
        if snap is not None and not service.is_stale(snap):
            return snap.data["rows"]
        t0 = time.perf_counter()
        data, version = _compute_cells(as_of, snap)
        ms = int((time.perf_counter() - t0) * 1000)
        try:
            with transaction.atomic():
                Snapshot.objects.update_or_create(key=CELLS_KEY, as_of=as_of, defaults={**version, "data": data, "millis": ms})
        except IntegrityError:  # another server stored it first
            pass
        return data["rows"]


def stock_cells(f: Filters, as_of: date | None = None, by: str = "warehouse,category") -> list[dict]:
    """Stock rows in the user's scope narrowed by the warehouse, region and category filters, summed by
    ``by`` ("warehouse", "warehouse,category" or "warehouse,item"): {warehouse, category, item?, account,
    gl, sub, difference, qty} (money in 分, qty in 1/10000)."""
    as_of = as_of or f.as_of
    cats = _category_ids(f)
    item_cat = _item_categories()
    dims = by.split(",")
    agg: dict = {}
    for acct, wid, iid, gl, sub, qty in cells(as_of):
        if f.scope is not None and wid not in f.scope:
            continue
        if f.whs is not None and wid not in f.whs:
            continue
        cid = item_cat.get(iid)
        if cats is not None and cid not in cats:
            continue
        k = (acct, wid, cid if "category" in dims else None, iid if "item" in dims else None)
        a = agg.setdefault(k, [0, 0, 0])
        a[0] += gl
        a[1] += sub
        a[2] += qty
    out = []
    for (acct, wid, cid, iid), (gl, sub, qty) in agg.items():
        row = {"account": acct, "warehouse": wid, "category": cid, "gl": gl, "sub": sub, "difference": gl - sub, "qty": qty}
        if "item" in dims:
            row["item"] = iid
            row["category"] = item_cat.get(iid)
        out.append(row)
    return out


def qty_cells(f: Filters, as_of: date | None = None) -> list[dict]:
    """Stock quantities per warehouse × item in the user's scope and filters (from the same cells)."""
    return [{"warehouse": r["warehouse"], "item": r["item"], "category": r["category"], "qty": r["qty"]}
            for r in stock_cells(f, as_of, by="warehouse,item") if r["qty"]]


def _party_pairs(f: Filters) -> list[dict]:
    """grni, ar, ap, count, transit (book readers only), the ar/ap/grni ones narrowed to the customer /
    supplier filter through the engine's party breakdowns."""
    if not f.books:
        return []
    out = []
    for p in pairs(f, whs=None):
        if p["ledger"] == "stock":
            continue
        row = {"key": p["key"], "ledger": p["ledger"], "ledger_name": p["ledger_name"], "account": p["account"], "name": p["name"],
               "gl": fen(p["gl"]), "sub": fen(p["subledger"]), "difference": fen(p["difference"]),
               "unexplained": fen(p["unexplained"]), "party": ""}
        party = f.customer if p["ledger"] == "ar" else (f.supplier if p["ledger"] in ("ap", "grni") else None)
        other = f.supplier if p["ledger"] == "ar" else (f.customer if p["ledger"] in ("ap", "grni") else None)
        if party is None and other is not None:
            continue  # a supplier filter leaves out the customers' ledger, and the other way round
        if party is None and (f.supplier or f.customer) and p["ledger"] in ("count", "transit"):
            continue
        if party is not None:
            dim = "customer" if p["ledger"] == "ar" else "supplier"
            rows = [r for r in service.breakdown_cached(p["key"], f.as_of, dim)["data"] if r[dim]["id"] == party.pk]
            row.update(gl=sum(fen(r["gl"]) for r in rows), sub=sum(fen(r["sub"]) for r in rows),
                       difference=sum(fen(r["difference"]) for r in rows), unexplained=None, party=f"{party.code} {party.name}")
        out.append(row)
    return out


# -- payloads ---------------------------------------------------------------------------------------------
def overview(f: Filters, user) -> dict:
    counts = case_counts(f, user)
    if not f.money:
        q = qty_cells(f)
        whs_with = {r["warehouse"] for r in q}
        m = matched(f)
        return {"as_of": f.as_of.isoformat(), "money": False, "cards": [
            {"key": "stock_qty", "label": "库存数量合计", "value": fmt_qty(sum(r["qty"] for r in q)), "kind": "qty"},
            {"key": "warehouses", "label": "有库存的仓库", "value": str(len(whs_with)), "kind": "count"},
            {"key": "items", "label": "有库存的存货", "value": str(len({r["item"] for r in q})), "kind": "count"},
            {"key": "cases_open", "label": counts["open_label"], "value": str(counts["open"]), "kind": "count", "alert": counts["open"] > 0},
            {"key": "cases_closed", "label": counts["closed_label"], "value": str(counts["closed"]), "kind": "count"},
            {"key": "matched", "label": "账实相符率", "value": m["text"], "kind": "pct", "detail": m["detail"]},
        ], "pairs": []}
    cells = stock_cells(f)
    gl, sub = sum(r["gl"] for r in cells), sum(r["sub"] for r in cells)
    parties = _party_pairs(f)
    by = {p["ledger"]: p for p in parties}
    m = matched(f)
    cards = [
        {"key": "book_value", "label": "存货账面价值", "value": fmt_money(gl), "kind": "money", "detail": f"明细账 {fmt_money(sub)}"},
        {"key": "difference", "label": "存货账实差异", "value": fmt_money(gl - sub), "kind": "money", "alert": gl != sub},
    ]
    if f.books:
        for ledger, label in (("transit", "在途物资"), ("grni", "暂估应付")):
            p = by.get(ledger)
            if p is not None:
                cards.append({"key": ledger, "label": label + (f"（{p['party']}）" if p["party"] else ""), "value": fmt_money(p["gl"]),
                              "kind": "money", "detail": f"差异 {fmt_money(p['difference'])}", "alert": p["difference"] != 0})
    cards += [
        {"key": "cases_open", "label": counts["open_label"], "value": str(counts["open"]), "kind": "count", "alert": counts["open"] > 0},
        {"key": "cases_closed", "label": counts["closed_label"], "value": str(counts["closed"]), "kind": "count"},
        {"key": "matched", "label": "账实相符率", "value": m["text"], "kind": "pct", "detail": m["detail"]},
    ]
    return {"as_of": f.as_of.isoformat(), "money": True, "cards": cards, "pairs": [
        {**{k: p[k] for k in ("key", "ledger", "ledger_name", "account", "name", "party")},
         "gl": fmt_money(p["gl"]), "sub": fmt_money(p["sub"]), "difference": fmt_money(p["difference"]),
         "unexplained": None if p["unexplained"] is None else fmt_money(p["unexplained"])} for p in parties]}


def matched(f: Filters) -> dict:
    """账实相符率: the share of checked lines that agree — each warehouse × inventory account in the filter
    (and, for book readers, each whole-company pair) with book = subledger. A count, never money."""
    agg: dict = defaultdict(int)
    for r in stock_cells(f, by="warehouse"):
        agg[(r["warehouse"], r["account"])] += r["difference"]
    results = [v == 0 for v in agg.values()]
    results += [p["difference"] == 0 for p in _party_pairs(f)]
    if not results:
        return {"text": "—", "detail": "没有需要核对的数据", "pct": None}
    ok = sum(results)
    return {"text": f"{ok * 100 // len(results)}%", "detail": f"{ok}/{len(results)} 项相符", "pct": ok * 100 // len(results)}


def by_warehouse(f: Filters) -> dict:
    whs = _warehouses()
    agg: dict = {}
    for r in stock_cells(f, by="warehouse"):
        a = agg.setdefault(r["warehouse"], [0, 0, 0, True])
        a[0] += r["gl"]
        a[1] += r["sub"]
        a[2] += r["qty"]
        a[3] = a[3] and r["difference"] == 0  # every inventory account of the warehouse agrees
    ids = sorted(agg, key=lambda i: (i is None, whs[i].code if i is not None else ""))
    if not f.money:
        return {"money": False, "measure": "库存数量", "rows": [
            {"warehouse": _wh_label(whs[i]), "qty": fmt_qty(agg[i][2]), "matched": agg[i][3]} for i in ids if i is not None]}
    rows = []
    for i in ids:
        gl, sub, qty, ok = agg[i]
        rows.append({"warehouse": _wh_label(whs.get(i) if i is not None else None), "gl": fmt_money(gl), "sub": fmt_money(sub),
                     "difference": fmt_money(gl - sub), "qty": fmt_qty(qty), "matched": ok})
    return {"money": True, "measure": "账实差异", "rows": rows}


def heatmap(f: Filters) -> dict:
    from stockbook.masterdata.models import Category

    whs = _warehouses()
    cats = {c.pk: c for c in Category.objects.all()}
    cells: dict = defaultdict(int)
    for r in stock_cells(f):
        if f.money:
            cells[(r["warehouse"], r["category"])] += r["difference"]
        elif r["warehouse"] is not None:
            cells[(r["warehouse"], r["category"])] += r["qty"]
    wids = sorted({w for w, _ in cells}, key=lambda i: (i is None, whs[i].code if i is not None else ""))
    cids = sorted({c for _, c in cells}, key=lambda i: (i is None, cats[i].code if i is not None else ""))
    return {
        "money": f.money, "measure": "账实差异" if f.money else "库存数量",
        "warehouses": [_wh_label(whs.get(i)) for i in wids],
        "categories": [{"id": i, "code": cats[i].code if i else "", "name": cats[i].name if i else "未分类"} for i in cids],
        "cells": [[wids.index(w), cids.index(c), fmt_money(v) if f.money else fmt_qty(v)] for (w, c), v in sorted(
            cells.items(), key=lambda kv: (wids.index(kv[0][0]), cids.index(kv[0][1])))],
    }


def trend(f: Filters) -> dict:
    """12 points: the as-of date and the 11 month ends before it. Money: the stock difference in the filter
    (and, for book readers, the grni/ar/ap/count/transit difference); no money: the stock quantity."""
    points = _months(f.as_of)
    labels = [d.isoformat()[:7] if d == month_end(d.year * 100 + d.month) else d.isoformat() for d in points]
    if not f.money:
        return {"money": False, "months": labels, "series": [
            {"key": "qty", "name": "库存数量", "data": [fmt_qty(sum(r["qty"] for r in qty_cells(f, d))) for d in points]}]}
    stock = [fmt_money(sum(r["difference"] for r in stock_cells(f, d, by="warehouse"))) for d in points]
    series = [{"key": "stock", "name": "存货账实差异", "data": stock}]
    if f.books and not (f.warehouse or f.region or f.category):
        other = []
        for d in points:
            other.append(fmt_money(sum(fen(p["difference"]) for p in pairs(f, d, whs=None) if p["ledger"] != "stock")))
        series.append({"key": "other", "name": "暂估、往来、在途差异", "data": other})
    return {"money": True, "months": labels, "series": series}


ITEM_ROWS = 200  # items listed in a warehouse's detail (differences first)


# -- details (drill-down) ----------------------------------------------------------------------------------
def _url(name, *args, **query):
    try:
        u = reverse(name, args=args or None)
    except NoReverseMatch:
        return None
    q = {k: v for k, v in query.items() if v not in (None, "")}
    return u + ("?" + urlencode(q) if q else "")


def _year_start(as_of: date) -> date:
    from stockbook.masterdata.models import Company

    first = date(as_of.year, 1, 1)
    c = Company.current()
    if c is not None:
        first = max(first, date(c.start_period // 100, c.start_period % 100, 1))
    return min(first, as_of)


def _party_docs(f: Filters, doc_ids: set, voucher_ids: set) -> tuple[set, set]:
    """Documents and vouchers of the supplier / customer filter among the given ones."""
    from stockbook.ledger.models import VoucherLine
    from stockbook.posting.models import Document

    docs, vouchers = set(), set()
    for fld, party in (("supplier_id", f.supplier), ("customer_id", f.customer)):
        if party is None:
            continue
        docs |= set(Document.objects.filter(pk__in=doc_ids, **{fld: party.pk}).values_list("pk", flat=True))
        vouchers |= set(VoucherLine.objects.filter(voucher_id__in=voucher_ids, **{fld: party.pk}).values_list("voucher_id", flat=True))
    return docs, vouchers


def difference_items(f: Filters, user) -> list[dict]:
    """Every difference item the engine found in the filter (per warehouse set: the engine run for those
    warehouses), with links to its documents and vouchers; without money: no amounts and no reasons."""
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document

    src = pairs(f, whs=f.whs) if f.whs is not None else pairs(f)
    raw = []
    for p in src:
        for it in p["items"]:
            if fen(it["amount"]) == 0:
                continue
            raw.append((p, it))
    if f.supplier or f.customer:
        all_docs = {d for _, it in raw for d in it["doc_ids"]}
        all_vs = {v for _, it in raw for v in it["voucher_ids"]}
        pd, pv = _party_docs(f, all_docs, all_vs)
        raw = [(p, it) for p, it in raw if set(it["doc_ids"]) & pd or set(it["voucher_ids"]) & pv]
    doc_ids = {d for _, it in raw for d in it["doc_ids"]}
    vids = {v for _, it in raw for v in it["voucher_ids"]}
    docs = {d.pk: d for d in Document.objects.filter(pk__in=doc_ids).only("id", "ref", "type", "date")}
    vouchers = {v.pk: v for v in Voucher.objects.filter(pk__in=vids)}
    see_docs = f.documents
    out = []
    for p, it in raw:
        row = {"pair": p["key"], "ledger_name": p["ledger_name"], "account": p["account"],
               "cause": it["cause"] or "", "cause_name": kb.name_of(it["cause"]) if it["cause"] else "未解释",
               "explained": bool(it["cause"]),
               "documents": [{"id": d, "ref": docs[d].ref if d in docs else str(d), "date": docs[d].date.isoformat() if d in docs else "",
                              "url": _url("web:document_detail", d) if see_docs else None} for d in it["doc_ids"]],
               "refs": [r for r in it["refs"] if r not in {docs[d].ref for d in it["doc_ids"] if d in docs}],
               "vouchers": [{"id": v, "number": vouchers[v].display_number if v in vouchers else str(v),
                             "url": _url("web:voucher_detail", v) if f.books else None} for v in it["voucher_ids"]]}
        if f.money:
            row.update(amount=it["amount"], reason=it["reason"], action=it.get("action") or "")
        out.append(row)
    out.sort(key=lambda r: (r["explained"], -abs(fen(r.get("amount", 0)))))
    return out


def details(f: Filters, user) -> dict:
    """The detail area: with a warehouse (a bar clicked) its items (qty, book vs stock) with their item
    ledger and moves, and the difference items with documents and vouchers; without, the warehouse table."""
    out = {"money": f.money, "books": f.books, "warehouse": _wh_label(f.warehouse) if f.warehouse else None,
           "warehouses": by_warehouse(f)["rows"], "differences": difference_items(f, user), "items": []}
    if f.warehouse is None:
        return out
    from stockbook.masterdata.models import Category, Item

    start = _year_start(f.as_of)
    per: dict = {}
    for r in stock_cells(f, by="warehouse,item"):
        a = per.setdefault(r["item"], [0, 0, 0])
        a[0] += r["gl"]
        a[1] += r["sub"]
        a[2] += r["qty"]
    ids = [i for i in per if i is not None]
    items = {i.pk: i for i in Item.objects.filter(pk__in=ids)}
    cats = {c.pk: c.name for c in Category.objects.all()}
    # differences first (largest first), then by code; at most ITEM_ROWS rows
    order = sorted(ids, key=lambda i: (per[i][0] == per[i][1], -abs(per[i][0] - per[i][1]), items[i].code))
    rows = []
    for iid in order[:ITEM_ROWS]:
        it = items[iid]
        gl, sub, qty = per[iid]
        row = {"item": {"id": iid, "code": it.code, "name": it.name, "uom": it.uom}, "category": cats.get(it.category_id, ""),
               "qty": fmt_qty(qty),
               "ledger_url": _url("web:stock_report", "item-ledger", item=it.code, warehouse=f.warehouse.code,
                                  **{"from": start.isoformat(), "to": f.as_of.isoformat()}),
               "moves_url": _url("web:stock_report", "moves", item=it.code, warehouse=f.warehouse.code,
                                 **{"from": start.isoformat(), "to": f.as_of.isoformat()})}
        if f.money:
            row.update(gl=fmt_money(gl), sub=fmt_money(sub), difference=fmt_money(gl - sub))
        rows.append(row)
    if f.money and None in per:
        gl, sub, _ = per[None]
        rows.append({"item": {"id": None, "code": "", "name": "未分配存货（凭证行无存货）", "uom": ""}, "category": "", "qty": "0",
                     "ledger_url": None, "moves_url": None, "gl": fmt_money(gl), "sub": fmt_money(sub), "difference": fmt_money(gl - sub)})
    out["items_total"] = len(ids)
    out["items"] = rows
    out["moves_url"] = _url("web:stock_report", "moves", warehouse=f.warehouse.code, **{"from": start.isoformat(), "to": f.as_of.isoformat()})
    return out


# -- the operation area -------------------------------------------------------------------------------------
STATUS_LABELS = {"open": "待确认", "in_progress": "处理中", "resolved": "已解决", "closed": "已关闭"}


def case_counts(f: Filters, user) -> dict:
    cs, _ = _cases()
    if cs is not None:
        c = cs.case_counts(user)
        return {"source": "cases", "open": c.get("open", 0) + c.get("in_progress", 0), "closed": c.get("resolved", 0) + c.get("closed", 0),
                "by_status": c, "open_label": "未结差异工单", "closed_label": "已结差异工单"}
    items = [it for p in pairs(f) for it in p["items"] if fen(it["amount"])]
    un = sum(1 for it in items if not it["cause"])
    return {"source": "engine", "open": un, "closed": len(items) - un, "by_status": None,
            "open_label": "未解释差异", "closed_label": "已归因差异"}


def my_cases(f: Filters, user) -> dict:
    """My open cases, 待确认 first (the cases app), or — while it is not there — the engine's unexplained
    difference items in the user's scope."""
    cs, Case = _cases()
    counts = case_counts(f, user)
    if cs is not None:
        rows = []
        for c in cs.open_cases_for(user)[:50]:
            wh = c.warehouse
            if f.scope is not None and c.warehouse_id is not None and c.warehouse_id not in f.scope:
                continue
            row = {"id": c.pk, "title": c.title, "status": c.status, "status_label": STATUS_LABELS.get(c.status, c.status),
                   "urgent": c.status == "open", "pair": c.pair_key, "account": c.account,
                   "warehouse": _wh_label(wh) if wh else None, "cause": c.cause.name if c.cause_id else "未解释",
                   "due": c.due.isoformat() if c.due else "", "overdue": bool(c.due and c.due < date.today()),
                   "url": _url("cases:detail", c.pk)}
            if f.money:
                row["amount"] = fmt_money(c.amount)
            rows.append(row)
        return {"source": "cases", "counts": counts, "rows": rows}
    rows = []
    for p in pairs(f):
        for it in p["items"]:
            if it["cause"] or not fen(it["amount"]):
                continue
            row = {"id": None, "title": f"{p['ledger_name']} {p['account']} 未解释差异", "status": "open", "status_label": "待确认",
                   "urgent": True, "pair": p["key"], "account": p["account"], "warehouse": None, "cause": "未解释",
                   "due": "", "overdue": False, "url": None, "refs": it["refs"]}
            if f.money:
                row["amount"] = it["amount"]
                row["reason"] = it["reason"]
            rows.append(row)
    return {"source": "engine", "counts": counts, "rows": rows}
