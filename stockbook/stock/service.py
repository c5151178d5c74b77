"""Running the costing engine inside the posting transaction.

For each item a document touches (locked in item order): if the document's events all come after the
item's last event (the usual case) they are applied to the stored state — O(1) in history. Otherwise
(a backdated document, 补单, or a close with later documents already posted) the item is replayed from
its last period-end snapshot, and every document line whose result changed is reported, so that the
posting layer can correct its voucher.
"""
import json
from bisect import insort
from collections import defaultdict
from functools import lru_cache
from operator import attrgetter
from datetime import date, time

from django.db import connection
from django.utils import timezone

from stockbook.core.errors import DocError
from stockbook.core.jsonio import dump_many
from stockbook.core.runtime import gc_paused
from stockbook.core.sql import drain, insert_rows, update_rows
from stockbook.core.sqlite import SideRead, side_reads_ok, wide_map
from stockbook.masterdata.models import Item
from stockbook.posting.models import Document, DocumentLine

from . import engine as E
from .events import KINDS, line_event, month_end
from .models import ItemState, MonthlyClose, OpenLine, Snapshot, StockMove, StockPeriod


SYNC_MOVES = 10000  # a replay hands its moves' new values over this many moves at a time
# events whose move and result are their line's own quantity and amount whatever came before (engine on_receipt,
# on_open): a new document's replay applies them to the book and leaves their stored rows alone (_replay_item)
FIXED_KINDS = frozenset({E.RECEIPT, E.OPEN})
FIXED_CODES = (E.MOVE_CODES["purchase_receipt"], E.MOVE_CODES["opening"])
EVENT_KEY = attrgetter("key")  # move order


class Costing:
    def __init__(self, doc, user=None):
        self.doc = doc
        self.user = user
        self.results: dict[tuple, dict] = {}  # (doc id, line) → result, for every line costed in this run
        self.changed_docs: set[int] = set()  # other documents whose line results changed
        self.close_lines: list[tuple] = []  # (item id, issue doc id, line, result) costed by a close
        self._pending_moves: list[tuple] = []  # (item id, Move) to insert, all at once
        self._changed: dict[tuple, tuple] = {}  # (doc id, line) → (item id, StoredLine): a replayed line whose result changed
        self._fresh: list[tuple] = []  # keys given a result and not yet settled by a replay's hand-over
        self._written: dict[tuple, dict] = {}  # (doc id, line) → the result handed over for it during a replay
        self._unread: set[tuple] = set()  # keys given a result that no replay read (set by _save_results)
        self.books: dict[int, E.ItemBook] = {}  # item id → its book after the run (what it wrote back)

    # -- entry -------------------------------------------------------------------------------
    def run(self, events_by_item: dict[int, list[E.Event]]):
        # one locking read, in item order (a stable lock order: no deadlock between two documents)
        states = lock_states(events_by_item)
        saved, books = [], {}
        for st in states:
            item_id = st.item_id
            evs = sorted(events_by_item[item_id], key=EVENT_KEY)
            book = E.book_for(st.method, st.state, loaders={**open_line_loaders(item_id), **red_loaders(st.method)})
            try:
                if book.last is None or evs[0].key > tuple(book.last):
                    self._append(item_id, book, evs)
                else:
                    book = self._replay(item_id, st.method, evs, trim=True)
            except E.CostError as e:
                line = e.key[1] if e.key and e.key[0] == self.doc.id else None
                msg = e.message
                if e.key and e.key[0] != self.doc.id:
                    other = Document.objects.filter(pk=e.key[0]).first()
                    msg = f"{msg}（影响后续单据 {other.ref if other else e.key[0]} 第 {e.key[1]} 行）"
                raise DocError(e.code, msg, line=line) from e
            st.state = book.dump()
            saved.append(st)
            books[item_id] = book
        self._write(saved, books)

    def _write(self, states, books):
        """What a run leaves: its new moves, the item states, their open lines, other lines' results."""
        self.books = books
        self._flush_moves()
        save_states(states)
        save_open_lines(books, new_doc=self.doc.id if self.doc is not None else None)
        self._save_results()

    def replay_all(self, item_ids=None):
        """Replay every item (or ``item_ids``) from its last snapshot with no new events (after a close or
        a document was voided)."""
        saved, books = [], {}
        states = ItemState.objects.select_for_update().order_by("item_id")
        if item_ids is not None:
            states = states.filter(item_id__in=sorted(item_ids))
        for st in states:
            book = self._replay(st.item_id, st.method, [])
            st.state = book.dump()
            saved.append(st)
            books[st.item_id] = book
        self._write(saved, books)

    # -- the usual case ----------------------------------------------------------------------
    def _append(self, item_id, book, evs):
        moves = []
        for ev in evs:
            out = book.apply(ev)
            moves.extend(out.moves)
            self._collect(item_id, ev, out)
            if ev.kind == E.CLOSE:
                self._snapshot(item_id, ev.period, book)
        new = [m for m in moves if m.doc == self.doc.id]
        self._insert_moves(item_id, new)
        others = [m for m in moves if m.doc != self.doc.id]  # a close giving costs to pending issues
        if others:
            stored = self._stored_moves(item_id, {m.doc for m in others})
            self._sync_moves(item_id, others, stored)

    # -- backdated: replay from the last snapshot ----------------------------------------------
    def _replay(self, item_id, method, new_events, trim=False):
        with gc_paused():
            return self._replay_item(item_id, method, new_events, trim)

    def _replay_item(self, item_id, method, new_events, trim=False):
        """Replay the item from its last snapshot with ``new_events``. ``trim``: the book opens only the lines
        its events refer to (engine ``ItemBook.keep``; the others stay as their document lines say) — for a new
        document's replay: the stored open lines agree with the posted documents, and a line taken by a
        document of the run is referred to. Not when a document was voided (its lines' rows must be dropped
        by a complete book) nor with a close (its snapshot holds every open line).

        With ``trim`` the other documents' receipts and openings (``FIXED_KINDS``) are applied to the book but
        their move and result are neither read nor compared: both are the line's own quantity and amount
        (engine ``on_receipt``/``on_open``, every method), so a replay cannot change them — half of a unit's
        history, usually. A replay after a void compares everything (it must also find what is gone)."""
        with wide_map(connection):  # the item's lines and moves lie all over the file
            snap = Snapshot.objects.filter(item_id=item_id).order_by("-period").first()
            after = snap.period if snap else None
            query = event_query(item_id, after=after, exclude_doc=self.doc.id)
            # a new document's replay reads the lines on a second connection while this one reads the moves
            # (core/sqlite.SideRead): the transaction has written none of them yet
            side = SideRead(connection.settings_dict["NAME"], *query) if trim and side_reads_ok(connection) else None
            # the stored moves are read first, and the moves' new values handed over part by part as the book
            # runs: their writing (core/sql.write_behind) overlaps the rest of the replay
            stored = self._stored_moves(item_id, after=month_end(snap.period) if snap else None, fixed=trim)
            loaded, stored_results = load_events(item_id, after=after, exclude_doc=self.doc.id, row=side.row() if side else None)
        book = E.book_for(method, snap.state if snap else None, loaders=red_loaders(method))
        events = loaded  # in move order already: the run's few new events are slotted in
        for ev in new_events:
            insort(events, ev, key=EVENT_KEY)
        if any(e.kind in E.RED_KINDS for e in events):
            book.track_red()
        if trim and not any(e.kind == E.CLOSE for e in new_events):  # loaded events hold no close
            book.keep = {e.ref for e in events if e.ref is not None}
        pending, deltas, moves, handed = {}, [], [], []
        fixed, doc_id = (FIXED_KINDS if trim else ()), self.doc.id
        for ev in events:
            out = book.apply(ev)
            if ev.kind in fixed and ev.doc != doc_id:  # its move and result are its own figures (see above)
                continue
            moves += out.moves
            self._collect(item_id, ev, out)
            if ev.kind == E.CLOSE:
                self._snapshot(item_id, ev.period, book)
            if len(moves) >= SYNC_MOVES:
                deltas += self._sync_values(item_id, moves, stored, pending)
                self._hand_over_results(stored_results, handed)
                moves = []
        deltas += self._sync_values(item_id, moves, stored, pending)
        self._hand_over_results(stored_results, handed)
        deltas += self._delete_gone(stored)
        add_to_periods(item_id, deltas)
        results = self.results
        for key in handed:  # every line of this item whose result differed from its stored one at some point
            b = stored_results[key]
            if b.result != results[key]:
                self.changed_docs.add(key[0])
                self._changed[key] = (item_id, b)
        return book

    def changed_lines(self, doc_ids) -> tuple[dict, set]:
        """({doc: [(key, item id, StoredLine)]}, docs): the lines of ``doc_ids`` whose result this run changed,
        as a replay read them before, in line order; and the documents with a re-costed line no replay read
        (their lines' vouchers must be read)."""
        unknown = {k[0] for k in self._unread if k[0] in doc_ids}
        known: dict[int, list] = {}
        for k in sorted(k for k in self._changed if k[0] in doc_ids and k[0] not in unknown):
            known.setdefault(k[0], []).append((k, *self._changed[k]))
        return known, unknown

    # -- bookkeeping ---------------------------------------------------------------------------
    def _collect(self, item_id, ev, out):
        for key, res in out.results.items():
            if ev.kind == E.CLOSE:
                if key == (ev.doc, 0):
                    self._save_close(item_id, ev, res)
                    continue
                self.close_lines.append((item_id, key[0], key[1], res))
                self.changed_docs.add(key[0])
            cur = self.results.get(key)
            self.results[key] = res if cur is None else {**cur, **res}  # the engine's dicts are fresh per event
            self._fresh.append(key)

    def _save_close(self, item_id, ev, res):
        unit = res["unit"]
        MonthlyClose.objects.update_or_create(
            item_id=item_id, period=ev.period,
            defaults=dict(document_id=ev.doc, open_qty=res["open_qty"], open_value=res["open_value"],
                          receipt_qty=res["receipt_qty"], receipt_value=res["receipt_value"],
                          unit_num=str(unit[0]) if unit else "", unit_den=str(unit[1]) if unit else "",
                          closing_qty=res["closing_qty"], closing_value=res["closing_value"],
                          issue_cost=res["issue_cost"], residue=res["residue"]),
        )
        if res["residue"]:
            self.close_lines.append((item_id, None, None, {"residue": res["residue"]}))

    def _snapshot(self, item_id, period, book):
        """The item's state right after a close, with every line open at that point."""
        Snapshot.objects.update_or_create(item_id=item_id, period=period, defaults={"state": {**book.dump(), **all_open_lines(item_id, book)}})

    def _hand_over_results(self, stored: dict, handed: list):
        """During a replay: write (behind, core/sql.write_behind) the results given since the last call that
        differ from the line's stored result (``stored``: the replay's StoredLines) or from the result handed
        over before, so that their writing overlaps the rest of the replay (a line's result may change again
        later in the run: a close costing a pending issue). ``handed`` gets the keys handed over for the
        first time. The keys of lines the replay did not read stay for ``_save_results``."""
        results, written, rows, unread = self.results, self._written, [], []
        for key in self._fresh:
            res = results[key]
            prev = written.get(key)
            if prev is None:
                b = stored.get(key)
                if b is None:  # the new document's lines, another item's
                    unread.append(key)
                    continue
                if b.result == res:
                    continue
                handed.append(key)
            elif prev is res:
                continue
            written[key] = res
            rows.append((key[0], key[1], res))
        self._fresh = unread
        if rows:
            rows.sort()  # by (document, line): a key is there once, so no result is compared
            update_results(rows)

    def _save_results(self):
        """Store the new results of other documents' lines that no replay read (a replay hands its own over:
        ``_hand_over_results``); the new document's lines are inserted with theirs by the caller."""
        self._unread = set(self._fresh)
        self._fresh = []
        changed = self.changed_docs - {self.doc.id}
        keys = sorted(k for k in self._unread if k[0] in changed)
        if keys:
            update_results([(k[0], k[1], self.results[k]) for k in keys])

    def _stored_moves(self, item_id, docs=None, after=None, fixed=False) -> dict:
        """(doc, line, sub) → [id, warehouse, date, code, qty, value] of the item's stored moves: of
        ``docs``, or all after the date ``after`` (all if None) — one JSON answer per query (``json_rows``), a
        replay may read many. ``fixed``: not the moves of receipts and openings (``FIXED_KINDS``)."""
        cols = ("id", "document_id", "line", "sub", "warehouse_id", "date", "code", "qty", "value")
        sql = (f"SELECT {json_agg(cols)} FROM {StockMove._meta.db_table} "
               f"WHERE item_id = %s AND document_id NOT IN (SELECT id FROM {Document._meta.db_table} WHERE status = 'void')")
        if fixed:
            sql += f" AND code NOT IN ({', '.join(str(c) for c in FIXED_CODES)})"
        out = {}
        if docs is not None:
            docs = sorted(docs)
            for i in range(0, len(docs), 500):
                chunk = docs[i:i + 500]
                self._rows(json_rows(sql + f" AND document_id IN ({', '.join(['%s'] * len(chunk))})", [item_id, *chunk]), out)
            return out
        if after is not None:
            self._rows(json_rows(sql + " AND date > %s", [item_id, connection.ops.adapt_datefield_value(after)]), out)
        else:
            self._rows(json_rows(sql, [item_id]), out)
        return out

    @staticmethod
    def _rows(rows, out: dict):
        days: dict = {}
        for pk, doc, line, sub, wh, day, code, qty, value in rows:
            d = days.get(day)
            if d is None:
                d = days[day] = _day(day)
            out[(doc, line, sub)] = [pk, wh, d, code, qty, value]

    def _insert_moves(self, item_id, moves):
        self._pending_moves += [(item_id, m) for m in moves]

    def _flush_moves(self):
        """Insert the run's new moves in one statement and add them to StockPeriod."""
        if not self._pending_moves:
            return
        docs = {m.doc: None for _, m in self._pending_moves}
        if set(docs) == {self.doc.id}:
            docs[self.doc.id] = self.doc
        else:
            for d in Document.objects.filter(pk__in=list(docs)).only("id", "date", "time"):
                docs[d.id] = d
        insert_moves([(m.doc, m.line, m.sub, item_id, m.wh, docs[m.doc].date, docs[m.doc].time, m.code, m.qty, m.value)
                      for item_id, m in self._pending_moves], self.user)
        self._pending_moves = []

    def _sync_moves(self, item_id, moves, stored: dict):
        """Make the stored moves of ``moves`` equal the costed ones (update changed values, insert new)."""
        add_to_periods(item_id, self._sync_values(item_id, moves, stored, {}))

    def _sync_values(self, item_id, moves, stored: dict, pending: dict) -> list:
        """``_sync_moves`` without the StockPeriod rows: returns their deltas (warehouse, date, qty, value). The
        rows of ``moves`` are taken out of ``stored`` (what is left there at the end of a replay is gone:
        ``_delete_gone``); a pending move (no value yet) is kept in ``pending``, for the close that gives it its
        value later in the run. The new values are written behind (core/sql.write_behind)."""
        new, changed, revalued, deltas = [], [], [], []
        for m in moves:
            key = (m.doc, m.line, m.sub)
            row = stored.pop(key, None)
            if row is None:
                row = pending.pop(key, None)
                if row is None:
                    new.append(m)
                    continue
            pk, wh, day, code, qty, value = row
            if (qty, wh, code) != (m.qty, m.wh, m.code):
                deltas.append((wh, day, -qty, -(value or 0)))
                deltas.append((m.wh, day, m.qty, m.value or 0))
                changed.append((m.value, m.qty, m.wh, m.code, pk))
            elif value != m.value:  # the usual change: only the value (no index entry to rewrite)
                deltas.append((wh, day, 0, (m.value or 0) - (value or 0)))
                revalued.append((pk, m.value))
            if m.value is None:  # a monthly-average issue: the close of its month gives it again, with its cost
                row[1], row[3:6] = m.wh, (m.code, m.qty, m.value)
                pending[key] = row
        table = StockMove._meta.db_table
        with connection.cursor() as cur:
            if changed:  # rare (a count's difference, say): after what was handed over, in order
                drain()
                cur.executemany(f"UPDATE {table} SET value = %s, qty = %s, warehouse_id = %s, code = %s WHERE id = %s", changed)
            update_rows(cur, table, ("id",), "value", revalued, pg_type="bigint", later=True)
        if new:
            self._insert_moves(item_id, new)
        return deltas

    def _delete_gone(self, stored: dict) -> list:
        """Delete the stored moves a replay no longer made (left in ``stored`` by ``_sync_values``); their
        StockPeriod deltas."""
        gone = list(stored.values())
        if not gone:
            return []
        with connection.cursor() as cur:
            cur.executemany(f"DELETE FROM {StockMove._meta.db_table} WHERE id = %s", [(row[0],) for row in gone])
        return [(wh, day, -qty, -(value or 0)) for _, wh, day, _, qty, value in gone]


def lock_states(item_ids) -> list[ItemState]:
    """The items' costing states, locked in item order (plain SQL: one per posted document)."""
    ids = sorted(item_ids)
    if not ids:
        return []
    state = ItemState._meta.get_field("state")
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT item_id, method, state FROM {ItemState._meta.db_table} WHERE item_id IN ({', '.join(['%s'] * len(ids))}) "
                    f"ORDER BY item_id{lock}", ids)
        return [ItemState(item_id=i, method=m, state=state.from_db_value(v, None, connection)) for i, m, v in cur.fetchall()]


def insert_moves(moves, user=None):
    """Insert stock moves — (document, line, sub, item, warehouse, date, time, code, qty, value) — with one
    statement, and add them to StockPeriod: the product's only writer of StockMove rows (bench/stockgen.py
    has a bulk twin, tested to write the same rows)."""
    if not moves:
        return
    ops = connection.ops
    uid = user.pk if getattr(user, "pk", None) else None
    now = ops.adapt_datetimefield_value(timezone.now())
    cols = ("document_id", "line", "sub", "item_id", "warehouse_id", "date", "time", "code", "qty", "value", "created_by_id", "created_at")
    rows, deltas = [], defaultdict(list)
    for doc, line, sub, item, wh, day, clock, code, qty, value in moves:
        rows.append((doc, line, sub, item, wh, ops.adapt_datefield_value(day), ops.adapt_timefield_value(clock), code, qty, value, uid, now))
        deltas[item].append((wh, day, qty, value or 0))
    with connection.cursor() as cur:
        insert_rows(cur, f"INSERT INTO {StockMove._meta.db_table} ({', '.join(cols)})", rows)
    add_to_periods_many(deltas)


def closed_period_events() -> list:
    """Close events of the closed periods (with their close documents), in period order."""
    from stockbook.ledger.models import Period

    from .events import close_event

    return [close_event(per.close_document, per.period) for per in
            Period.objects.filter(status=Period.CLOSED, close_document__isnull=False).select_related("close_document").order_by("period")]


_DAYS: dict[str, date] = {}  # ISO text → date: a re-costing reads the same few hundred dates 100,000s of times


def _day(v):
    if isinstance(v, str):
        d = _DAYS.get(v)
        if d is None:
            d = _DAYS[v] = date.fromisoformat(v)
        return d
    return v


def _clock(v):
    return time.fromisoformat(v) if isinstance(v, str) else v


class StoredLine:
    """A line as a replay read it: its stored ``result``, and the facts the posting rules read about it (so
    that the vouchers of a line whose result changes can be corrected without reading it again)."""
    __slots__ = ("result", "row")

    def __init__(self, result, row):
        self.result, self.row = result, row

    def doc_facts(self) -> tuple:
        """(type, date, supplier_id, customer_id) of the line's document."""
        r = self.row
        return r[0], _day(r[1]), r[14], r[15]

    def line_facts(self) -> tuple:
        """(warehouse_id, amount, tax) of the line."""
        r = self.row
        return r[5], r[8], r[13]


def json_agg(columns) -> str:
    """The select list of a query answered by one JSON value: an array of ``columns``' values per row
    (``json_rows``). One value is read in one step, the interpreter lock released (core/sqlite.SideRead), and a
    driver parses it in one call rather than building a row per line: a replay reads 100,000s of rows."""
    if connection.vendor == "sqlite":
        return f"json_group_array(json_array({', '.join(columns)}))"
    return f"json_agg(json_build_array({', '.join(columns)}))"


def json_rows(sql: str, params: list, row=None) -> list:
    """The rows of a ``json_agg`` query, run on this connection — or its answer's ``row`` read already."""
    if row is None:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
    v = row[0] if row else None
    if v is None:  # PostgreSQL's json_agg of no rows
        return []
    return json.loads(v) if isinstance(v, str) else v


_EVENT_COLUMNS = ("d.type", "d.date", "d.time", "l.document_id", "l.line_no", "l.warehouse_id", "l.to_warehouse_id",
                  "l.qty_base", "l.amount", "l.ref_document_id", "l.ref_line", "l.unit_cost", "l.result", "l.tax",
                  "d.supplier_id", "d.customer_id")


def event_query(item_id: int, after: int | None = None, exclude_doc: int | None = None) -> tuple[str, list]:
    """The query of ``load_events``: the item's posted lines of stock document types after period ``after``."""
    kinds = sorted(KINDS)
    cols = [("json(l.result)" if c == "l.result" and connection.vendor == "sqlite" else c) for c in _EVENT_COLUMNS]
    sql = (f"SELECT {json_agg(cols)} FROM {DocumentLine._meta.db_table} l "
           f"JOIN {Document._meta.db_table} d ON d.id = l.document_id "
           f"WHERE l.item_id = %s AND d.status = %s AND d.type IN ({', '.join(['%s'] * len(kinds))})")
    params = [item_id, Document.POSTED, *kinds]
    if after is not None:
        sql += " AND d.date > %s"
        params.append(connection.ops.adapt_datefield_value(month_end(after)))
    if exclude_doc is not None:
        sql += " AND l.document_id <> %s"
        params.append(exclude_doc)
    return sql, params


def load_events(item_id: int, after: int | None = None, exclude_doc: int | None = None, with_closes=False, closes=None, row=None):
    """The item's costing events after period ``after`` (all if None), in move order, and the stored
    result of each line. ``with_closes`` adds the closes of the closed periods in that window. ``row``: the
    answer of ``event_query`` read already (on a second connection: core/sqlite.SideRead)."""
    events, stored = [], {}
    iso: dict = {}  # date or time text → (ISO text, period): a replay meets each date many times
    for row in json_rows(*event_query(item_id, after, exclude_doc), row):
        typ, day, clock, doc_id, line_no, wh, to_wh, qty, amount, ref_doc, ref_line, unit_cost, res, tax, sup, cus = row
        d = iso.get(day)
        if d is None:
            dd = _day(day)
            d = iso[day] = (dd.isoformat(), dd.year * 100 + dd.month)
        c = iso.get(clock) if clock is not None else ("00:00:00", 0)
        if c is None:
            c = iso[clock] = (_clock(clock).isoformat(), 0)
        events.append(line_event(KINDS[typ], d[0], c[0], doc_id, d[1], line_no, wh, to_wh, qty, amount,
                                 ref_doc, ref_line, unit_cost))
        stored[(doc_id, line_no)] = StoredLine(res, row)
    if with_closes:
        events += [e for e in (closes if closes is not None else closed_period_events()) if after is None or e.period > after]
    events.sort(key=EVENT_KEY)
    return events, stored


def add_to_periods(item_id: int, deltas):
    """Add (warehouse, date, qty, value) deltas to the item's StockPeriod rows."""
    add_to_periods_many({item_id: deltas})


def add_to_periods_many(deltas_by_item: dict):
    per: dict[tuple, list[int]] = {}
    for item_id, deltas in deltas_by_item.items():
        for wh, day, q, v in deltas:
            t = per.setdefault((item_id, wh, day.year * 100 + day.month), [0, 0])
            t[0] += q
            t[1] += v
    rows = [(i, wh, p, q, v) for (i, wh, p), (q, v) in sorted(per.items()) if q or v]
    if not rows:
        return
    table = StockPeriod._meta.db_table
    with connection.cursor() as cur:  # behind a re-costing's writes, if they run (core/sql.write_behind)
        insert_rows(cur, f"INSERT INTO {table} (item_id, warehouse_id, period, qty, value)", rows,
                    f"ON CONFLICT (item_id, warehouse_id, period) DO UPDATE SET qty = {table}.qty + excluded.qty, "
                    f"value = {table}.value + excluded.value", later=True)


def _doc_key(day, clock, doc_id, line) -> tuple:
    day, clock = _day(day), _clock(clock)
    return (day.isoformat(), clock.isoformat() if clock else "00:00:00", doc_id, line)


def _takers(doc_id: int, line: int, types, before: tuple):
    """(qty, result, date) of the posted lines of ``types`` that refer to (doc_id, line) and come before
    ``before`` in move order."""
    rows = DocumentLine.objects.filter(ref_document_id=doc_id, ref_line=line, document__type__in=types,
                                       document__status=Document.POSTED).values_list(
        "document_id", "line_no", "qty_base", "result", "document__date", "document__time")
    return [(q, r or {}, _day(d)) for doc, ln, q, r, d, t in rows if _doc_key(d, t, doc, ln) < tuple(before)]


def _split(key: str) -> tuple[int, int]:
    d, ln = key.split(":")
    return int(d), int(ln)


@lru_cache(maxsize=None)
def red_loaders(method: str) -> dict:
    """What a red invoice needs from the stored documents (engine ``rebuild``): a receipt ("R") or delivery
    ("D") line fully taken before this run, rebuilt as it was when it was fully taken (it cannot change
    until a red invoice opens it again), and a blue invoice line ("I") with the red parts taken before."""
    def head(key):
        doc_id, line = _split(key)
        row = DocumentLine.objects.filter(document_id=doc_id, line_no=line).values_list(
            "warehouse_id", "qty_base", "amount", "result", "document__date", "ref_document_id", "ref_line").first()
        return (doc_id, line, row) if row else (doc_id, line, None)

    def receipt(key, before):
        doc_id, line, row = head(key)
        if row is None:
            return None
        wh, q, a, _res, day, _, _ = row
        ret = sum(t[0] for t in _takers(doc_id, line, ("purchase_return",), before))
        day = _day(day)
        return {"wh": wh, "q": q, "a": a, "tq": q, "ta": a, "ret": ret, "p": day.year * 100 + day.month}

    def delivery(key, before):
        doc_id, line, row = head(key)
        if row is None:
            return None
        wh, q, a, res, day, _, _ = row
        day = _day(day)
        p = day.year * 100 + day.month
        acc = {"wh": wh, "q": q, "a": a, "tq": q, "ta": a, "c": (res or {}).get("cost"), "rq": 0, "rc": 0, "p": p}
        same = 0
        for rq, r, rday in _takers(doc_id, line, ("sales_return",), before):
            if r.get("cost") is not None:
                acc["rq"] += rq
                acc["rc"] += r["cost"]
            elif rday.year * 100 + rday.month == p:
                same += rq
        if method == "monthly_average":
            acc["nq"] = q - same
        return acc

    def blue(key, before):
        doc_id, line, row = head(key)
        if row is None:
            return None
        _wh, q, _a, res, _day_, ref_doc, ref_line = row
        reds = _takers(doc_id, line, ("purchase_red_invoice", "sales_red_invoice"), before)
        return {"r": f"{ref_doc}:{ref_line}", "q": q, "P": (res or {})["P"], "rq": sum(t[0] for t in reds),
                "rp": sum(t[1]["P"] for t in reds)}

    return {"R": receipt, "D": delivery, "I": blue}


# -- open receipt/delivery lines (OpenLine) ------------------------------------------------------------------
# A receipt or delivery line that no invoice or return has taken a part of is fully described by its document
# line (the engine creates it from the line's quantity, amount, warehouse, month and — a delivery — cost), so
# it has no OpenLine row: posting a 10-line document writes none (≈ 11 fewer scattered pages on a big book).
# A row exists once the line's state differs from that ("taken"), and a fully taken line keeps a CLOSED row,
# so that a missing row always means "as its document line says".
CLOSED = {"closed": True}
_FRESH_KEYS = {"r": {"wh", "q", "a", "tq", "ta", "ret", "p"}, "d": {"wh", "q", "a", "tq", "ta", "c", "rq", "rc", "p"}}
_LINE_TYPES = {"r": "purchase_receipt", "d": "sales_delivery"}


def is_fresh(kind: str, acc: dict) -> bool:
    """The state its document line gives a line (engine ``on_receipt`` / ``on_deliv``): nothing taken yet."""
    if acc.keys() != _FRESH_KEYS[kind] or acc["tq"] or acc["ta"]:
        return False
    return not acc["ret"] if kind == "r" else not (acc["rq"] or acc["rc"])


def fresh_acc(kind: str, wh, q, a, result, day) -> dict:
    day = _day(day)
    p = day.year * 100 + day.month
    if kind == "r":
        return {"wh": wh, "q": q or 0, "a": a or 0, "tq": 0, "ta": 0, "ret": 0, "p": p}
    res = json.loads(result) if isinstance(result, str) else (result or {})
    return {"wh": wh, "q": q or 0, "a": a or 0, "tq": 0, "ta": 0, "c": res.get("cost"), "rq": 0, "rc": 0, "p": p}


def open_line_rows(book) -> dict:
    """{(kind, key): data} the OpenLine rows of a complete book (every line it knows): taken lines, and
    CLOSED for lines it saw fully taken."""
    out = {}
    for kind, store in (("r", book.rl), ("d", book.dl)):
        for key in store.deleted:
            if key not in store.data:
                out[(kind, key)] = CLOSED
        for key, acc in store.data.items():
            if not is_fresh(kind, acc):
                out[(kind, key)] = acc
    return out


def open_line_loaders(item_id: int) -> dict:
    """{"r": fn, "d": fn}: one open line by key — its row, or (no row) as its posted document line says."""
    lines, docs = DocumentLine._meta.db_table, Document._meta.db_table

    def loader(kind):
        def load(key):
            row = OpenLine.objects.filter(item_id=item_id, kind=kind, line_key=key).values_list("data", flat=True).first()
            if row is not None:
                return None if row == CLOSED else row
            doc_id, line = _split(key)
            with connection.cursor() as cur:
                cur.execute(f"SELECT l.warehouse_id, l.qty_base, l.amount, l.result, d.date FROM {lines} l "
                            f"JOIN {docs} d ON d.id = l.document_id WHERE l.document_id = %s AND l.line_no = %s "
                            f"AND l.item_id = %s AND d.status = %s AND d.type = %s",
                            [doc_id, line, item_id, Document.POSTED, _LINE_TYPES[kind]])
                found = cur.fetchone()
            return fresh_acc(kind, *found) if found else None
        return load

    return {"r": loader("r"), "d": loader("d")}


def all_open_lines(item_id: int, book) -> dict:
    """{"rl": …, "dl": …}: every line open now — the untaken ones from their document lines, the taken ones
    from their rows — overlaid with the book's changes."""
    if book.rl.complete and book.dl.complete:
        return {"rl": dict(book.rl.data), "dl": dict(book.dl.data)}
    out = {"rl": {}, "dl": {}}
    rows = {}
    for kind, key, data in OpenLine.objects.filter(item_id=item_id).values_list("kind", "line_key", "data"):
        rows[(kind, key)] = data
        if data != CLOSED:
            out["rl" if kind == "r" else "dl"][key] = data
    with connection.cursor() as cur:
        cur.execute(f"SELECT l.document_id, l.line_no, d.type, l.warehouse_id, l.qty_base, l.amount, l.result, d.date "
                    f"FROM {DocumentLine._meta.db_table} l JOIN {Document._meta.db_table} d ON d.id = l.document_id "
                    f"WHERE l.item_id = %s AND d.status = %s AND d.type IN (%s, %s)",
                    [item_id, Document.POSTED, _LINE_TYPES["r"], _LINE_TYPES["d"]])
        while found := cur.fetchmany(5000):
            for doc_id, line, typ, *rest in found:
                kind = "r" if typ == _LINE_TYPES["r"] else "d"
                key = f"{doc_id}:{line}"
                if (kind, key) not in rows:
                    out["rl" if kind == "r" else "dl"][key] = fresh_acc(kind, *rest)
    for name, store in (("rl", book.rl), ("dl", book.dl)):
        for key in store.deleted:
            out[name].pop(key, None)
        out[name].update({k: store.data[k] for k in store.changed if k in store.data})
    return out


def save_open_lines(books: dict, new_doc: int | None = None):
    """Write back what the books ({item id: book}) did to their lines: a row for each line taken or closed,
    none for a line as its document line says (one upsert and one delete for all of them). A complete book
    (a replay) is compared with the item's stored rows; an incremental one writes what it touched (the lines
    of ``new_doc``, the document being posted, have no row yet)."""
    upserts, deletes = [], []
    table = OpenLine._meta.db_table
    for item_id, book in sorted(books.items()):
        if book.rl.complete and book.dl.complete:
            with connection.cursor() as cur:
                cur.execute(f"SELECT kind, line_key, data FROM {table} WHERE item_id = %s", [item_id])
                stored = {(kind, key): data for kind, key, data in cur.fetchall()}
            want = open_line_rows(book)  # rows of lines the book has not seen (closed before its snapshot) stay
            data = {"r": book.rl.data, "d": book.dl.data}
            # a stored row of a line the book holds as its document line says (the book holds 100,000s of lines,
            # the item a few rows: look from the rows' side)
            deletes += [(item_id, kind, key) for kind, key in sorted(stored) if key in data[kind] and (kind, key) not in want]
            for k in sorted(want):
                data = json.dumps(want[k])
                if not _same_json(stored.get(k), data):
                    upserts.append((item_id, *k, data))
        else:
            closed = json.dumps(CLOSED)
            for kind, store in (("r", book.rl), ("d", book.dl)):
                for k in sorted(store.deleted):
                    if k not in store.data:
                        upserts.append((item_id, kind, k, closed))
                for k in sorted(store.changed):
                    if k not in store.data:
                        continue
                    acc = store.data[k]
                    if is_fresh(kind, acc):
                        if new_doc is None or not k.startswith(f"{new_doc}:"):
                            deletes.append((item_id, kind, k))  # a taken line untaken again (a red invoice, say)
                    else:
                        upserts.append((item_id, kind, k, json.dumps(acc)))
        for store in (book.rl, book.dl):
            store.changed.clear()
            store.deleted.clear()
    with connection.cursor() as cur:
        if deletes:
            cur.executemany(f"DELETE FROM {table} WHERE item_id = %s AND kind = %s AND line_key = %s", deletes)
        if upserts:
            insert_rows(cur, f"INSERT INTO {table} (item_id, kind, line_key, data)", upserts,
                        "ON CONFLICT (item_id, kind, line_key) DO UPDATE SET data = excluded.data")


def _same_json(stored, text: str) -> bool:
    if stored is None:
        return False
    if stored == text:
        return True
    return json.loads(stored) == json.loads(text) if isinstance(stored, str) else stored == json.loads(text)


def update_results(rows):
    """Store the results of document lines — (document id, line no, result) — with one ``UPDATE … FROM
    (VALUES …)`` per 500 lines (a replay may change tens of thousands), behind if it can (core/sql.write_behind)."""
    texts = dump_many([r for _, _, r in rows])
    with connection.cursor() as cur:
        update_rows(cur, DocumentLine._meta.db_table, ("document_id", "line_no"), "result",
                    [(d, ln, t) for (d, ln, _), t in zip(rows, texts)], pg_type="jsonb", later=True)


def save_states(states):
    """Write the item states back: one ``UPDATE … FROM (VALUES …)`` (Django's bulk_update builds a CASE per row)."""
    if not states:
        return
    with connection.cursor() as cur:
        update_rows(cur, ItemState._meta.db_table, ("item_id",), "state", [(st.item_id, json.dumps(st.state)) for st in states],
                    pg_type="jsonb")


def create_item_state(item: Item, method: str):
    ItemState.objects.create(item=item, method=method, state={})
