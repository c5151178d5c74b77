"""What a posted document does to the books: cost its stock events, post its voucher, and correct the
vouchers of documents whose cost the re-costing changed."""
from django.db import connection

from stockbook.core.runtime import gc_paused
from stockbook.core.sql import drain, insert_rows, write_behind
from stockbook.ledger.models import Voucher
from stockbook.ledger.posting import VoucherSpec, add_turnovers, reserve_ids, write_vouchers
from stockbook.masterdata.models import Item
from stockbook.stock.events import STOCK_TYPES, close_event, events_of, month_end
from stockbook.stock.models import ItemState
from stockbook.stock.service import Costing

from . import grni
from .models import Document, DocumentLine
from .rules import RED_INK, close_entries, entries_for, line_amounts, line_dims, settlement_entries
from .sync import LineChanges, corrections, pairs, post_entries, posted, posted_lines, resync

PARTY = {"supplier_id", "customer_id"}
RECOST_BATCH = 5000  # correction lines per write_vouchers call: written behind while the next batch is computed


def _party(doc) -> dict:
    return {k: getattr(doc, k) for k in PARTY if getattr(doc, k)}


def _items(ids, company_method: str) -> dict:
    """item id → (inventory account id, costing method)."""
    ids = {i for i in ids if i}
    return {i.pk: (i.account_id, i.costing_method or company_method)
            for i in Item.objects.filter(pk__in=ids).only("id", "account_id", "costing_method")}


def _line_items(lines, company_method: str) -> dict:
    return {ln.item_id: (ln.item.account_id, ln.item.costing_method or company_method) for ln in lines if ln.item_id}


def apply(doc, lines: list[DocumentLine], books, user=None, period: int | None = None) -> list:
    """Post ``doc``: costing (if it moves stock), its lines with their results, its voucher, and
    corrections of affected documents. ``lines`` are not saved yet: they are inserted with their results.
    A re-costing's big writes run behind the corrections being computed (core/sql.write_behind). The collector
    is paused until the run's objects are gone: re-enabled between the replay and the corrections, its first
    collection walked the hundreds of thousands of results and lines still alive (≈ 0.1 s, core/runtime.py)."""
    with gc_paused(), write_behind():
        vouchers = _apply(doc, lines, books, user, period)
    if doc.type == "period_close" and grni.is_reversal(books.company):
        vouchers += grni.close(doc, period, books, user)
    return vouchers


def _apply(doc, lines: list[DocumentLine], books, user, period: int | None) -> list:
    acc = books.accounts
    method = books.company.costing_method
    costing = None
    if doc.type in STOCK_TYPES:
        costing = Costing(doc, user)
        if doc.type == "period_close":
            evs = {item_id: [close_event(doc, period)] for item_id in ItemState.objects.values_list("item_id", flat=True)}
        else:
            evs = events_of(doc, lines)
        costing.run(evs)
        for ln in lines:
            ln.result = costing.results.get((doc.id, ln.line_no), ln.result)
    insert_lines(lines)
    vouchers = []
    if doc.type == "period_close":
        drain()  # the close's entries read the lines whose results the close gave
        entries = _close_entries(costing, acc, method) if costing else []
        when = month_end(period)
    elif doc.type == "count_settlement":
        count = doc.ref_document
        entries = settlement_entries(count, _checked_count_lines(count), acc)
        when = doc.date
    else:
        rr = frozenset()
        if doc.type in grni.P_TYPES and grni.is_reversal(books.company):  # 月初回冲: one cached company flag
            drain()  # it reads the referenced lines
            rr = grni.reroute(doc.type, doc.date, {ln.line_no: (ln.ref_document_id, ln.ref_line) for ln in lines})
        entries = entries_for(doc, lines, _party(doc), acc, _line_items(lines, method), rr)
        when = doc.date
    kind = Voucher.CLOSE if doc.type == "period_close" else Voucher.NORMAL
    v = post_entries(doc, entries, when=when, user=user, memo=_memo(doc), kind=kind, red=doc.type in RED_INK)
    if v:
        vouchers.append(v)
    if costing and costing.changed_docs:
        vouchers += correct(costing, doc, acc, user, method, grni.is_reversal(books.company))
    return vouchers


def insert_lines(lines: list[DocumentLine]):
    """One statement for a document's lines (plain SQL: the ORM's bulk_create costs more than costing)."""
    if not lines:
        return
    fields = [f for f in DocumentLine._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cur:
        insert_rows(cur, f"INSERT INTO {DocumentLine._meta.db_table} ({', '.join(f.column for f in fields)})",
                    [[f.get_db_prep_save(getattr(ln, f.attname), connection) for f in fields] for ln in lines])


def _memo(doc) -> str:
    from .service import TYPE_NAMES

    return f"{TYPE_NAMES.get(doc.type, doc.type)} {doc.ref}".strip()


def _close_entries(costing, acc, method):
    doc_ids = {d for _, d, _, _ in costing.close_lines if d}
    docs = {d.id: d for d in Document.objects.filter(pk__in=doc_ids)}
    lines = {(ln.document_id, ln.line_no): ln for ln in DocumentLine.objects.filter(document_id__in=doc_ids)}
    items = _items((i for i, _, _, _ in costing.close_lines), method)
    return close_entries(costing.close_lines, docs, lines, items, acc)


def _checked_count_lines(count):
    from stockbook.core.errors import DocError

    drain()  # a re-costing may still be writing the count's results (core/sql.write_behind)
    lines = list(DocumentLine.objects.filter(document=count).order_by("line_no"))
    for ln in lines:
        r = ln.result or {}
        if r.get("diff", 0) < 0 and r.get("value") is None:
            raise DocError("pending_cost", f"盘点单 {count.ref} 第 {ln.line_no} 行的盘亏成本要到月末结账后才能确定", line=ln.line_no)
    return lines


class _Doc:
    """The header fields of a corrected document that its line rules read."""
    __slots__ = ("id", "type", "date", "supplier_id", "customer_id")

    def __init__(self, *row):
        self.id, self.type, self.date, self.supplier_id, self.customer_id = row


class _Line:
    """The fields of a corrected document line that its rules read."""
    __slots__ = ("document_id", "line_no", "item_id", "warehouse_id", "amount", "tax", "result")

    def __init__(self, *row):
        self.document_id, self.line_no, self.item_id, self.warehouse_id, self.amount, self.tax, self.result = row


def _docs(ids) -> dict[int, _Doc]:
    out = {}
    for i in range(0, len(ids), 500):
        for row in Document.objects.filter(pk__in=ids[i:i + 500]).values_list("id", "type", "date", "supplier_id", "customer_id"):
            out[row[0]] = _Doc(*row)
    return out


def _lines(keys) -> dict[int, list[_Line]]:
    """The document lines ``keys`` ((document id, line no)) as plain rows, by document, in line order."""
    keys = sorted(keys)
    out: dict[int, list[_Line]] = {}
    result = DocumentLine._meta.get_field("result")
    for i in range(0, len(keys), 400):
        chunk = keys[i:i + 400]
        values, params = pairs(chunk)
        sql = (f"SELECT document_id, line_no, item_id, warehouse_id, amount, tax, result FROM {values} "
               f"JOIN {DocumentLine._meta.db_table} ON document_id = k.column1 AND line_no = k.column2")
        with connection.cursor() as cur:
            cur.execute(sql, params)
            for *row, res in cur.fetchall():
                out.setdefault(row[0], []).append(_Line(*row, result.from_db_value(res, None, connection)))
    for ls in out.values():
        ls.sort(key=lambda ln: ln.line_no)
    return out


def correct(costing, cause, acc, user, method, reversal: bool) -> list:
    """Correct the vouchers of the documents whose costing results ``costing`` changed (other than ``cause``,
    the document being posted, voided or reopened), and the settlements of counts.

    Only the lines the re-costing gave results to can have changed entries (every stock entry belongs to one
    document line). What a line's vouchers say now is what the posting rules gave for its result before the
    re-costing (a replay read it: ``costing.changed_lines``) — the vouchers are kept equal to that, and the property
    tests check it — or, for a line no replay read, what its vouchers' lines add up to. The corrections go
    into one voucher per date (kind ``recost``, owned by ``cause``), dated like the documents they correct;
    each line links back to the document line it corrects (sync.py)."""
    with gc_paused():
        return _correct(costing, cause, acc, user, method, reversal)


def _correct(costing, cause, acc, user, method, reversal: bool) -> list:
    """``correct``, the collector paused (core/runtime.gc_paused)."""
    doc_ids = costing.changed_docs - {cause.pk}
    if not doc_ids:
        return []
    known, unknown = costing.changed_lines(doc_ids)
    unknown_keys = {k for k in costing.results if k[0] in unknown} if unknown else set()
    if unknown:
        drain()  # their lines' new results are read back
    docs = _docs(sorted(unknown))
    lines = _lines(unknown_keys)
    results = costing.results
    for i, changed in known.items():
        if changed:
            typ, day, supplier, customer = changed[0][2].doc_facts()
            docs[i] = _Doc(i, typ, day, supplier, customer)
    items = _items([ln.item_id for ls in lines.values() for ln in ls] + [item_id for ch in known.values() for _, item_id, _ in ch], method)
    have = posted_lines(unknown_keys)
    rr = {}
    if reversal and any(d.type in grni.P_TYPES for d in docs.values()):  # 月初回冲: the company's cached flag
        drain()
        rr = grni.reroute_of_docs(docs)
    memo = f"成本调整：{cause.ref} 引起的重新计价"
    ids = iter(reserve_ids(Voucher, len({d.date for d in docs.values()})))  # one voucher per date at most
    out, batch, size, turnover = [], [], 0, {}  # the period balances written once, at the end
    day, vlines = None, []
    parties: dict[tuple, dict] = {}  # one party dict per supplier/customer (read only)
    changes = LineChanges(acc.resolve)
    # date by date, the documents of a date in id order: each batch of vouchers is written (its lines behind,
    # core/sql.write_behind) while the next is computed
    for i in sorted(docs, key=lambda i: (docs[i].date, i)):
        d = docs[i]
        if d.date != day:
            if vlines:
                batch.append(VoucherSpec(day, vlines, cause.pk, memo))
                size += len(vlines)
            if size >= RECOST_BATCH:
                out += write_vouchers(batch, kind=Voucher.RECOST, user=user, turnover=turnover, ids=ids)
                batch, size = [], 0
            day, vlines = d.date, []
        red = d.type in RED_INK
        party = parties.get((d.supplier_id, d.customer_id))
        if party is None:
            party = parties[(d.supplier_id, d.customer_id)] = _party(d)
        reroute = rr.get(i, frozenset())
        if i in known:  # each changed line's entries with its old result and with its new one
            t = d.type
            for k, item_id, b in known[i]:
                wh, amount, tax = b.line_facts()
                inv, m = items[item_id]
                monthly = m == "monthly_average"
                grni_to = inv if reroute and k[1] in reroute else "grni"
                new = line_amounts(t, amount, tax, results[k] or {}, inv, monthly, grni_to)
                old = line_amounts(t, amount, tax, b.result or {}, inv, monthly, grni_to)
                if new != old:
                    vlines += changes(i, k[1], new, old, line_dims(party, item_id, wh), red)
        else:
            vlines += corrections(i, entries_for(d, lines.get(i, []), party, acc, items, reroute), have.get(i, {}), red=red)
    if vlines:
        batch.append(VoucherSpec(day, vlines, cause.pk, memo))
    out += write_vouchers(batch, kind=Voucher.RECOST, user=user, turnover=turnover, ids=ids)
    add_turnovers(turnover, later=True)
    counts = sorted(i for i, d in docs.items() if d.type == "stock_count")  # a count with no changed line: nothing to settle again
    settlements = list(Document.objects.filter(type="count_settlement", ref_document_id__in=counts).order_by("id"))
    if settlements:
        drain()  # what their vouchers say now includes the correction lines just handed over
    have = posted([s.id for s in settlements])
    for s in settlements:
        count = s.ref_document
        v = resync(s, settlement_entries(count, _checked_count_lines(count), acc), when=s.date, user=user, memo=memo, have=have[s.id])
        if v:
            out.append(v)
    return out
