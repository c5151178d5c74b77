"""What a posted document does to the books: cost its stock events, post its voucher, and correct the
vouchers of documents whose cost the re-costing changed."""
from django.db import connection

from stockbook.ledger.models import Voucher
from stockbook.masterdata.models import Item
from stockbook.stock.events import STOCK_TYPES, close_event, events_of, month_end
from stockbook.stock.models import ItemState
from stockbook.stock.service import Costing

from .models import Document, DocumentLine
from .rules import close_entries, entries_for, settlement_entries
from .sync import post_entries, posted, resync

PARTY = {"supplier_id", "customer_id"}


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
    corrections of affected documents. ``lines`` are not saved yet: they are inserted with their results."""
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
        entries = _close_entries(costing, acc, method) if costing else []
        when = month_end(period)
    elif doc.type == "count_settlement":
        count = doc.ref_document
        entries = settlement_entries(count, _checked_count_lines(count), acc)
        when = doc.date
    else:
        entries = entries_for(doc, lines, _party(doc), acc, _line_items(lines, method))
        when = doc.date
    kind = Voucher.CLOSE if doc.type == "period_close" else Voucher.NORMAL
    v = post_entries(doc, entries, when=when, user=user, memo=_memo(doc), kind=kind)
    if v:
        vouchers.append(v)
    if costing and costing.changed_docs:
        vouchers += correct(costing.changed_docs - {doc.id}, doc, acc, user, method)
    return vouchers


def insert_lines(lines: list[DocumentLine]):
    """One executemany for a document's lines (plain SQL: the ORM's bulk_create costs more than costing)."""
    if not lines:
        return
    fields = [f for f in DocumentLine._meta.concrete_fields if not f.primary_key]
    sql = (f"INSERT INTO {DocumentLine._meta.db_table} ({', '.join(f.column for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cur:
        cur.executemany(sql, [[f.get_db_prep_save(getattr(ln, f.attname), connection) for f in fields] for ln in lines])


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

    lines = list(DocumentLine.objects.filter(document=count).order_by("line_no"))
    for ln in lines:
        r = ln.result or {}
        if r.get("diff", 0) < 0 and r.get("value") is None:
            raise DocError("pending_cost", f"盘点单 {count.ref} 第 {ln.line_no} 行的盘亏成本要到月末结账后才能确定", line=ln.line_no)
    return lines


def correct(doc_ids, cause, acc, user, method) -> list:
    """Adjustment vouchers for documents whose costing results changed (and the settlements of counts)."""
    out = []
    ids = sorted(doc_ids)
    docs = [d for i in range(0, len(ids), 500) for d in Document.objects.filter(pk__in=ids[i:i + 500]).order_by("id")]
    counts = [d.id for d in docs if d.type == "stock_count"]
    settlements = list(Document.objects.filter(type="count_settlement", ref_document_id__in=counts))
    lines_by_doc: dict[int, list] = {}
    for i in range(0, len(ids), 500):
        for ln in DocumentLine.objects.filter(document_id__in=ids[i:i + 500]).order_by("document_id", "line_no"):
            lines_by_doc.setdefault(ln.document_id, []).append(ln)
    items = _items((ln.item_id for ls in lines_by_doc.values() for ln in ls), method)
    have = posted([d.id for d in docs] + [s.id for s in settlements])
    memo = f"成本调整：{cause.ref} 引起的重新计价"
    for d in docs:
        entries = entries_for(d, lines_by_doc.get(d.id, []), _party(d), acc, items)
        v = resync(d, entries, when=d.date, user=user, memo=memo, have=have[d.id])
        if v:
            out.append(v)
    for s in settlements:
        count = s.ref_document
        v = resync(s, settlement_entries(count, _checked_count_lines(count), acc), when=s.date, user=user, memo=memo, have=have[s.id])
        if v:
            out.append(v)
    return out
