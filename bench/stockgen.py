"""Stock history for the stock benchmarks.

``master_docs()`` — the company (moving average; every 5th item FIFO), warehouses, items, suppliers and
customers, posted through ``post()``.

``Stream`` — a deterministic stream of 10-line ``purchase_receipt`` and ``sales_delivery`` documents (about
half each) that never drives a unit negative, dated in order. With ``hot`` every document is at warehouse
W01 and its line 1 is the item H0001, so that costing unit receives one move per document (the backdate
benchmark's "unit with 100,000 later moves").

``BulkWriter`` — stores the rows posting those documents through ``post()`` would write (Document,
DocumentLine with its result, StockMove, Voucher, VoucherLine, PeriodBalance, VoucherSequence, ItemState),
100× faster: the costing is the product's pure engine (``stockbook.stock.engine``) and the voucher lines the
product's posting rules (``stockbook.posting.rules.entries_for`` and ``sync._net``), so only the ORM round
trips are skipped; rows go in with ``executemany`` (SQLite only), secondary indexes dropped and rebuilt for
big loads. ``tests/bench/test_stockgen.py`` proves the rows equal those of ``post()`` on a small case.

``build_moves_only()`` — the 10,000,000-move database of the stock-balance memory benchmark: StockMove rows
(and the documents they hang on) written by one ``INSERT … SELECT`` over a recursive CTE; no vouchers.
"""
import hashlib
import json
import random
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

START = date(2024, 1, 1)
START_PERIOD = "2024-01"
SPAN_DAYS = 730  # history dated 2024-01-01 … 2025-12-30; new documents from 2026-01-01
LINES = 10
HOT = "H0001"
GENERATOR_VERSION = 3  # bump when Stream or the bulk writer change what they write (invalidates var/bench/)
ROOT = Path(__file__).resolve().parents[1]


def master_docs(items: int, warehouses: int = 2, suppliers: int = 10, customers: int = 20, hot: bool = False,
                fifo_every: int = 5) -> list[dict]:
    docs = [{"type": "company", "code": "BENCH", "name": "基准测试商贸有限公司", "chart": "small_enterprise",
             "costing_method": "moving_average", "start_period": START_PERIOD, "currency": "CNY"}]
    docs += [{"type": "warehouse", "code": f"W{i:02d}", "name": f"仓库{i:02d}"} for i in range(1, warehouses + 1)]
    if hot:
        docs.append({"type": "item", "code": HOT, "name": "热销铜线", "uom": "kg", "tax_rate": "0.13"})
    for i in range(1, items + 1):
        it = {"type": "item", "code": f"I{i:05d}", "name": f"商品{i:05d}", "uom": "个", "tax_rate": "0.13"}
        if fifo_every and i % fifo_every == 0:
            it["costing_method"] = "fifo"
        docs.append(it)
    docs += [{"type": "supplier", "code": f"S{i:03d}", "name": f"供应商{i:03d}"} for i in range(1, suppliers + 1)]
    docs += [{"type": "customer", "code": f"C{i:03d}", "name": f"客户{i:03d}"} for i in range(1, customers + 1)]
    return docs


def post_master(docs):
    from stockbook.posting.books import Books
    from stockbook.posting.service import post

    books = Books()
    for d in docs:
        post(d, books=books)


def _qtext(q10: int) -> str:
    return f"{q10 // 10}" if q10 % 10 == 0 else f"{q10 // 10}.{q10 % 10}"


def _ptext(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class Stream:
    """Documents in date order; quantities in tenths, prices in 分. ``doc(day)`` gives the next one."""

    def __init__(self, items: int, warehouses: int = 2, suppliers: int = 10, customers: int = 20, hot: bool = False,
                 seed: int = 1, prefix: str = "", only_whs: list[str] | None = None):
        self.r = random.Random(seed)
        self.codes = [f"I{i:05d}" for i in range(1, items + 1)]
        self.base = {c: 500 + (i * 7919) % 20000 for i, c in enumerate(self.codes)}  # 5.00 … 204.99
        self.base[HOT] = 6180
        self.whs = only_whs or [f"W{i:02d}" for i in range(1, warehouses + 1)]
        self.n_sup, self.n_cus = suppliers, customers
        self.hot = hot
        self.prefix = prefix
        self.stock: dict[tuple, int] = defaultdict(int)  # (code, wh) → tenths
        self.avail: dict[str, list] = {w: [] for w in self.whs}  # items with stock > 0 per warehouse
        self.pos: dict[tuple, int] = {}
        self.k = 0

    def _set(self, code, wh, q):
        key = (code, wh)
        self.stock[key] = q
        if code == HOT:
            return
        lst = self.avail[wh]
        if q > 0 and key not in self.pos:
            self.pos[key] = len(lst)
            lst.append(code)
        elif q <= 0 and key in self.pos:
            i = self.pos.pop(key)
            last = lst.pop()
            if i < len(lst):
                lst[i] = last
                self.pos[(last, wh)] = i

    def doc(self, day: date) -> dict:
        r = self.r
        self.k += 1
        wh = self.whs[0] if self.hot else r.choice(self.whs)
        deliver = r.random() < 0.5 and len(self.avail[wh]) >= LINES
        lines = []
        if deliver:
            hot = self.hot and self.stock[(HOT, wh)] >= 10
            picks = r.sample(self.avail[wh], LINES - hot)
            if hot:
                picks = [HOT] + picks
            for code in picks:
                have = self.stock[(code, wh)]
                q = r.randint(1, min(have, 1000))
                self._set(code, wh, have - q)
                lines.append({"item": code, "qty": _qtext(q), "unit_price": _ptext(self.base[code] * 13 // 10 + r.randint(0, 99))})
            return {"type": "sales_delivery", "ref": f"{self.prefix}D{self.k:07d}", "date": day.isoformat(),
                    "customer": f"C{r.randint(1, self.n_cus):03d}", "warehouse": wh, "lines": lines}
        picks = r.sample(self.codes, LINES - (1 if self.hot else 0))
        if self.hot:
            picks = [HOT] + picks
        for code in picks:
            q = r.randint(10, 1000)
            self._set(code, wh, self.stock[(code, wh)] + q)
            price = self.base[code] + r.randint(-self.base[code] // 10, self.base[code] // 10)
            lines.append({"item": code, "qty": _qtext(q), "unit_price": _ptext(price)})
        return {"type": "purchase_receipt", "ref": f"{self.prefix}R{self.k:07d}", "date": day.isoformat(),
                "supplier": f"S{r.randint(1, self.n_sup):03d}", "warehouse": wh, "lines": lines}

    def history(self, n: int, start: date = START, span_days: int = SPAN_DAYS):
        """n documents dated evenly over [start, start + span_days)."""
        for k in range(n):
            yield self.doc(start + timedelta(days=k * span_days // max(n, 1)))


# -- the bulk writer ---------------------------------------------------------------------------------
def _cols(model):
    return [f.column for f in model._meta.concrete_fields]


class BulkWriter:
    """Writes the rows post() would for receipts and deliveries (SQLite). Use as a context manager."""

    CHUNK = 5000  # documents per flush

    def __init__(self, drop_indexes: bool = False):
        from django.db import connection
        from django.utils import timezone

        from stockbook.ledger.models import Voucher, VoucherLine, VoucherSequence
        from stockbook.masterdata.models import Company, Customer, Item, Supplier, Warehouse
        from stockbook.posting.models import Document, DocumentLine
        from stockbook.posting.rules import Accounts
        from stockbook.stock import engine as E
        from stockbook.stock.models import ItemState, StockMove

        assert connection.vendor == "sqlite", "the bulk writer is SQLite only"
        self.E = E
        self.conn = connection
        self.acc = Accounts(Company.current().chart)
        methods = dict(ItemState.objects.values_list("item_id", "method"))
        self.items = {i.code: (i.pk, i.account_id, methods[i.pk], i.uom) for i in Item.objects.all()}
        self.item_by_id = {v[0]: v for v in self.items.values()}
        self.whs = dict(Warehouse.objects.values_list("code", "id"))
        self.sups = dict(Supplier.objects.values_list("code", "id"))
        self.cuss = dict(Customer.objects.values_list("code", "id"))
        from stockbook.stock.service import all_open_lines, open_line_loaders

        # complete books: the stored state with every open line, as posting would see them
        self.books = {st.item_id: E.book_for(st.method, {**st.state, **all_open_lines(
            st.item_id, E.book_for(st.method, st.state, loaders=open_line_loaders(st.item_id)))}) for st in ItemState.objects.all()}
        self.dirty: set[int] = set()
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())

        def next_id(model):
            return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

        self.ids = {m: next_id(m) for m in (Document, DocumentLine, StockMove, Voucher, VoucherLine)}
        self.models = dict(doc=Document, line=DocumentLine, move=StockMove, voucher=Voucher, vline=VoucherLine)
        self.seq = {(w, p): last for w, p, last in VoucherSequence.objects.values_list("word", "period", "last")}
        self.seq_touched: set = set()
        self.turnover: dict[tuple, list] = defaultdict(lambda: [0, 0])
        self.party_turnover: dict[tuple, list] = defaultdict(lambda: [0, 0])  # (account, 'c'|'s', party id)
        self.stock_periods: dict[tuple, list] = defaultdict(lambda: [0, 0])  # (item, warehouse, period) → [qty, value]
        self.rows: dict[str, list] = {k: [] for k in self.models}
        self.cols = {k: _cols(m) for k, m in self.models.items()}
        self.pending = 0
        self.drop_indexes = drop_indexes
        self.dropped: list[str] = []
        self.count = {"documents": 0, "lines": 0, "moves": 0, "vouchers": 0, "voucher_lines": 0}

    def __enter__(self):
        if self.drop_indexes:
            with self.conn.cursor() as cur:
                tables = [m._meta.db_table for m in self.models.values()]
                cur.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
                            f"({', '.join(['%s'] * len(tables))})", tables)
                for name, sql in cur.fetchall():
                    if "UNIQUE" in sql.upper():
                        continue  # keep the unique ones: they are what posting relies on
                    self.dropped.append(sql)
                    cur.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()

    def _take(self, kind, n=1):
        m = self.models[kind]
        first = self.ids[m]
        self.ids[m] = first + n
        return first

    # -- one document -------------------------------------------------------------------------------
    def add(self, obj: dict):
        from stockbook.core.jsonio import canonical
        from stockbook.posting.effects import _memo
        from stockbook.posting.rules import entries_for
        from stockbook.posting.sync import _net, _vlines

        E = self.E
        typ = obj["type"]
        day = date.fromisoformat(obj["date"])
        period = day.year * 100 + day.month
        wh = self.whs[obj["warehouse"]]
        party = {"supplier_id": self.sups[obj["supplier"]]} if typ == "purchase_receipt" else {"customer_id": self.cuss[obj["customer"]]}
        doc_id = self._take("doc")
        doc = SimpleNamespace(id=doc_id, pk=doc_id, type=typ, ref=obj["ref"], date=day, time=None, account_id=None, amount=None)
        kind = E.RECEIPT if typ == "purchase_receipt" else E.DELIV
        lines = []
        for n, ln in enumerate(obj["lines"], 1):
            item_id, _, _, uom = self.items[ln["item"]]
            q_units = _units(ln["qty"])
            price_fen = _fen(ln["unit_price"])
            amount = _rdiv(q_units * price_fen, 10000)
            lines.append(SimpleNamespace(line_no=n, item_id=item_id, warehouse_id=wh, uom=uom, qty=q_units, qty_base=q_units,
                                         unit_price=ln["unit_price"], amount=amount, tax=None, result=None))
        # costing: per item in id order, its events in move order (as stock.service.Costing.run)
        by_item = defaultdict(list)
        dkey = (day.isoformat(), "00:00:00", doc_id)
        for ln in lines:
            by_item[ln.item_id].append(E.Event(key=(*dkey, ln.line_no), kind=kind, doc=doc_id, line=ln.line_no, period=period,
                                               wh=wh, qty=ln.qty_base, amount=ln.amount))
        results = {}
        for item_id in sorted(by_item):
            book = self.books[item_id]
            for ev in sorted(by_item[item_id], key=lambda e: e.key):
                if book.last is not None and not ev.key > tuple(book.last):
                    raise ValueError("the bulk writer appends only: documents must come in move order")
                out = book.apply(ev)
                for key, res in out.results.items():
                    results.setdefault(key, {}).update(res)
                for m in out.moves:
                    self.rows["move"].append((self._take("move"), m.doc, m.line, m.sub, item_id, m.wh, day.isoformat(), None,
                                              m.code, m.qty, m.value, None, self.now))
                    sp = self.stock_periods[(item_id, m.wh, period)]
                    sp[0] += m.qty
                    sp[1] += m.value or 0
            self.dirty.add(item_id)
        for ln in lines:
            ln.result = results.get((doc_id, ln.line_no))
        self.rows["doc"].append((doc_id, typ, obj["ref"], f"{typ}:{obj['ref']}", canonical(obj), day.isoformat(), None, "posted",
                                 "api", party.get("supplier_id"), party.get("customer_id"), wh, None, None, False, None, "", None,
                                 self.now))  # … account, amount, prepayment, ref_document, memo, created_by, created_at
        for ln in lines:
            self.rows["line"].append((self._take("line"), doc_id, ln.line_no, ln.item_id, wh, None, ln.uom, ln.qty, ln.qty_base,
                                      ln.unit_price, ln.amount, None, None, "", None, None,
                                      json.dumps(ln.result) if ln.result is not None else None))
        # the voucher (posting.sync.post_entries → ledger.posting.write_voucher)
        items = {i: (self.item_by_id[i][1], self.item_by_id[i][2]) for i in by_item}
        entries = entries_for(doc, lines, party, self.acc, items)
        net = _net(doc_id, entries)
        vitems = [(k, (a if a > 0 else 0, -a if a < 0 else 0, dims)) for k, (a, dims) in net.items() if a]
        if vitems:
            vlines = _vlines(vitems)
            memo = _memo(doc)[:500]
            debit = sum(v.debit for v in vlines)
            key = ("记", period)
            self.seq[key] = self.seq.get(key, 0) + 1
            self.seq_touched.add(key)
            vid = self._take("voucher")
            self.rows["voucher"].append((vid, "记", period, self.seq[key], day.isoformat(), "normal", memo, doc_id, debit, debit,
                                         None, self.now, None, None))  # created_by, created_at, audited_by, audited_at
            for i, v in enumerate(vlines, 1):
                d = v.dims
                self.rows["vline"].append((self._take("vline"), vid, i, v.account_id, v.debit, v.credit, (v.summary or memo)[:500],
                                           day.isoformat(), period, d.get("customer_id"), d.get("supplier_id"), d.get("item_id"),
                                           d.get("warehouse_id"), d.get("department_id"), v.source or doc_id, v.doc_line, None, False))
                t = self.turnover[(v.account_id, period)]
                t[0] += v.debit
                t[1] += v.credit
                for kind, key in (("c", "customer_id"), ("s", "supplier_id")):
                    if d.get(key):
                        pt = self.party_turnover[(v.account_id, kind, d[key])]
                        pt[0] += v.debit
                        pt[1] += v.credit
        self.pending += 1
        if self.pending >= self.CHUNK:
            self.flush()

    # -- writing ---------------------------------------------------------------------------------------
    def flush(self):
        from django.db import transaction

        with transaction.atomic(), self.conn.cursor() as cur:
            for kind in ("doc", "line", "move", "voucher", "vline"):
                rows = self.rows[kind]
                if rows:
                    table = self.models[kind]._meta.db_table
                    cols = self.cols[kind]
                    cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})", rows)
            self.count["documents"] += len(self.rows["doc"])
            self.count["lines"] += len(self.rows["line"])
            self.count["moves"] += len(self.rows["move"])
            self.count["vouchers"] += len(self.rows["voucher"])
            self.count["voucher_lines"] += len(self.rows["vline"])
            self.rows = {k: [] for k in self.models}
        self.pending = 0

    def finish(self):
        from django.db import transaction

        from stockbook.stock.models import ItemState

        self.flush()
        with transaction.atomic(), self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO ledger_periodbalance (account_id, period, debit, credit) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (account_id, period) DO UPDATE SET debit = ledger_periodbalance.debit + excluded.debit, "
                "credit = ledger_periodbalance.credit + excluded.credit",
                [(a, p, d, c) for (a, p), (d, c) in sorted(self.turnover.items())])
            cur.executemany(
                "INSERT INTO ledger_partybalance (account_id, party_kind, party_id, debit, credit) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (account_id, party_kind, party_id) DO UPDATE SET debit = ledger_partybalance.debit + excluded.debit, "
                "credit = ledger_partybalance.credit + excluded.credit",
                [(a, k, p, d, c) for (a, k, p), (d, c) in sorted(self.party_turnover.items())])
            cur.executemany(
                "INSERT INTO stock_stockperiod (item_id, warehouse_id, period, qty, value) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (item_id, warehouse_id, period) DO UPDATE SET qty = stock_stockperiod.qty + excluded.qty, "
                "value = stock_stockperiod.value + excluded.value",
                [(i, w, p, q, v) for (i, w, p), (q, v) in sorted(self.stock_periods.items()) if q or v])
            cur.executemany(
                "INSERT INTO ledger_vouchersequence (word, period, last) VALUES (%s, %s, %s) "
                "ON CONFLICT (word, period) DO UPDATE SET last = excluded.last",
                [(w, p, self.seq[(w, p)]) for (w, p) in sorted(self.seq_touched)])
            table = ItemState._meta.db_table
            cur.executemany(f"UPDATE {table} SET state = %s WHERE item_id = %s",
                            [(json.dumps(self.books[i].dump()), i) for i in sorted(self.dirty)])
            from stockbook.stock.service import save_open_lines

            save_open_lines({i: self.books[i] for i in sorted(self.dirty)})  # the product's own writer of open lines
        self.turnover.clear()
        self.party_turnover.clear()
        self.stock_periods.clear()
        self.seq_touched.clear()
        self.dirty.clear()
        if self.dropped:
            with self.conn.cursor() as cur:
                for sql in self.dropped:
                    cur.execute(sql)
                cur.execute("ANALYZE")
            self.dropped = []


def _units(text: str) -> int:
    """Quantity text (≤ 4 decimals) → 1/10000 units."""
    whole, _, frac = text.partition(".")
    return int(whole) * 10000 + (int((frac + "0000")[:4]) if frac else 0)


def _fen(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + (int((frac + "00")[:2]) if frac else 0)


def _rdiv(a: int, b: int) -> int:
    return (2 * a + b) // (2 * b)


# -- cached databases --------------------------------------------------------------------------------
def schema_hash() -> str:
    """Changes when the schema, the engine, the posting rules or GENERATOR_VERSION change."""
    h = hashlib.sha256()
    pkg = ROOT / "stockbook"
    files = sorted(pkg.glob("*/migrations/*.py")) + sorted((pkg / "stock" / "engine").glob("*.py")) + [
        pkg / "stock" / "events.py", pkg / "posting" / "rules.py", pkg / "posting" / "sync.py", pkg / "ledger" / "posting.py"]
    h.update(str(GENERATOR_VERSION).encode())
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


def cache_dir() -> Path:
    d = ROOT / "var" / "bench"
    d.mkdir(parents=True, exist_ok=True)
    return d


def build_history(docs: int, items: int, warehouses: int, hot: bool, seed: int = 1, log=print) -> dict:
    """Master data through post(), then ``docs`` documents with the bulk writer, into the set-up database."""
    t0 = time.perf_counter()
    post_master(master_docs(items, warehouses, hot=hot))
    t1 = time.perf_counter()
    stream = Stream(items, warehouses, hot=hot, seed=seed)
    with BulkWriter(drop_indexes=docs >= 20_000) as w:
        for k, obj in enumerate(stream.history(docs), 1):
            w.add(obj)
            if k % 20_000 == 0:
                log(f"    {k:,} documents ({time.perf_counter() - t1:.0f} s)")
    return {"master_seconds": t1 - t0, "bulk_seconds": time.perf_counter() - t1, **w.count}


def build_moves_only(n_moves: int, log=print) -> dict:
    """StockMove rows only (plus their documents, 100 lines each) by INSERT … SELECT; no vouchers. For the
    memory benchmark of stock-balance at 10,000,000 moves. Items and warehouses: those already posted."""
    from django.db import connection

    from stockbook.masterdata.models import Item, Warehouse

    t0 = time.perf_counter()
    item_ids = sorted(Item.objects.values_list("id", flat=True))
    wh_ids = sorted(Warehouse.objects.values_list("id", flat=True))
    n_items, n_wh = len(item_ids), len(wh_ids)
    assert item_ids == list(range(item_ids[0], item_ids[0] + n_items)) and wh_ids == list(range(wh_ids[0], wh_ids[0] + n_wh))
    per_doc = 100
    n_docs = (n_moves + per_doc - 1) // per_doc
    now = connection.ops.adapt_datetimefield_value(__import__("django.utils.timezone", fromlist=["now"]).now())
    with connection.cursor() as cur:
        cur.execute("PRAGMA foreign_keys = OFF")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM posting_document")
        d0 = cur.fetchone()[0]
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = 'stock_stockmove'")
        idx = cur.fetchall()
        for name, _ in idx:
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("BEGIN")
        # documents: receipts (even) and deliveries (odd), dated evenly over the span
        cur.execute(f"""
            WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < {n_docs})
            INSERT INTO posting_document (id, type, ref, identity, canonical, date, time, status, source, memo, created_at)
            SELECT {d0} + 1 + x, CASE WHEN x % 2 = 0 THEN 'purchase_receipt' ELSE 'sales_delivery' END,
                   'M' || x, CASE WHEN x % 2 = 0 THEN 'purchase_receipt:M' ELSE 'sales_delivery:M' END || x, '{{}}',
                   date('{START.isoformat()}', '+' || (x * {SPAN_DAYS} / {n_docs}) || ' days'), NULL, 'posted', 'import', '',
                   '{now}' FROM s""")
        log(f"    {n_docs:,} documents ({time.perf_counter() - t0:.0f} s)")
        # moves: a receipt line puts in q = 20 + x % 50 units at 10.00 + item % 97; a delivery takes out a third
        cur.execute(f"""
            WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x + 1 < {n_moves})
            INSERT INTO stock_stockmove (document_id, line, sub, item_id, warehouse_id, date, time, code, qty, value, created_by_id, created_at)
            SELECT d.id, x % {per_doc} + 1, 0, {item_ids[0]} + (x * 7 + x / {per_doc}) % {n_items}, {wh_ids[0]} + (x / {per_doc}) % {n_wh},
                   d.date, NULL,
                   CASE WHEN (x / {per_doc}) % 2 = 0 THEN 101 ELSE 202 END,
                   CASE WHEN (x / {per_doc}) % 2 = 0 THEN 1 ELSE -1 END * (20 + x % 50) * 10000 / CASE WHEN (x / {per_doc}) % 2 = 0 THEN 1 ELSE 3 END,
                   CASE WHEN (x / {per_doc}) % 2 = 0 THEN 1 ELSE -1 END * (20 + x % 50) * (1000 + (x % 97) * 100) / CASE WHEN (x / {per_doc}) % 2 = 0 THEN 1 ELSE 3 END,
                   NULL, '{now}'
            FROM s JOIN posting_document d ON d.id = {d0} + 1 + x / {per_doc}""")
        # the month sums posting keeps beside the moves (stock-balance reads whole months from them)
        cur.execute(f"""
            INSERT INTO stock_stockperiod (item_id, warehouse_id, period, qty, value)
            SELECT item_id, warehouse_id, CAST(strftime('%Y%m', date) AS INTEGER), SUM(qty), SUM(COALESCE(value, 0))
            FROM stock_stockmove WHERE document_id > {d0} GROUP BY item_id, warehouse_id, strftime('%Y%m', date)
            ON CONFLICT (item_id, warehouse_id, period) DO UPDATE SET qty = stock_stockperiod.qty + excluded.qty,
                value = stock_stockperiod.value + excluded.value""")
        cur.execute("COMMIT")
        log(f"    {n_moves:,} moves ({time.perf_counter() - t0:.0f} s); rebuilding indexes …")
        for _, sql in idx:
            cur.execute(sql)
        cur.execute("ANALYZE")
        cur.execute("PRAGMA foreign_keys = ON")
    return {"moves": n_moves, "documents": n_docs, "build_seconds": time.perf_counter() - t0}
