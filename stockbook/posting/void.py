"""作废 (void) a posted document by reversal (红字): nothing is edited or deleted.

- its vouchers are reversed by a red-ink adjustment voucher dated like it (``resync`` to no entries);
- its stock moves stay and get red-ink counter-moves (same date, negated quantity and value), so the move
  log shows both and every balance nets them out;
- the items it moved are re-costed as if it had never been posted (later issues change cost: their
  vouchers are corrected like after a backdated document), and a negative stock anywhere refuses it;
- the document stays visible with status 已作废, linked to its reversal voucher.

Refused: a document in a closed month (``period_closed``), one that other posted documents refer to
(invoices, returns, settlements, allocations: void those first), master data (disable it instead) and
period closes (reopen the month instead). Voiding needs an approval (stockbook.approvals calls this on
the final approval); called directly it is the approved action.
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from stockbook.core.errors import DocError
from stockbook.stock import engine as E
from stockbook.stock.events import KINDS
from stockbook.stock.models import OpenLine, StockMove
from stockbook.stock.service import CLOSED, Costing, insert_moves

from . import grni
from .books import Books
from .extensions import after_void
from .models import Document
from .sync import resync
from .signals import announce

VOIDABLE = set(KINDS) | {"customer_receipt", "supplier_payment", "count_settlement", "journal", "opening_balance",
                         "advance_application"}
COUNTER_SUB = 10000  # red-ink counter-move of move (doc, line, sub) is (doc, line, sub + 10000)


@dataclass
class VoidResult:
    document: Document
    vouchers: list = field(default_factory=list)


def void_document(doc_id: int, user=None, reason: str = "") -> VoidResult:
    from .effects import correct
    from .service import TYPE_NAMES

    if not (reason or "").strip():
        raise DocError("invalid_value", "作废必须填写原因", field="reason")
    books = Books()
    with transaction.atomic():
        doc = Document.objects.select_for_update().filter(pk=doc_id).first()
        if doc is None:
            raise DocError("unknown_reference", f"单据 {doc_id} 不存在")
        name = f"{TYPE_NAMES.get(doc.type, doc.type)} {doc.ref}"
        if doc.status != Document.POSTED:
            raise DocError("invalid_value", f"{name} 不是已过账状态，不能作废")
        if doc.type not in VOIDABLE:
            raise DocError("invalid_value", f"{name} 不能作废（基础资料请停用，期末结账请反结账）")
        if doc.date and doc.date.year * 100 + doc.date.month in books.closed_periods:
            raise DocError("period_closed", f"{name} 所在期间已结账，请先反结账或在本期录入红字单据")
        users_of = (Document.objects.filter(status=Document.POSTED).filter(Q(ref_document=doc) | Q(lines__ref_document=doc))
                    .exclude(pk=doc.pk).distinct().order_by("id"))
        refs = [f"{TYPE_NAMES.get(d.type, d.type)} {d.ref}" for d in users_of[:5]]
        if refs:
            raise DocError("invalid_value", f"{name} 已被 {'、'.join(refs)} 引用，请先作废这些单据")
        if doc.prepayment:
            _check_prepayment_left(doc, name)
        Document.objects.filter(pk=doc.pk).update(status=Document.VOID, memo=(f"作废：{reason}" if not doc.memo else f"{doc.memo}；作废：{reason}")[:500])
        doc.status = Document.VOID
        memo = f"红字冲销 {name}：{reason}"[:500]
        vouchers = []
        if doc.type in KINDS:
            _counter_moves(doc, user)
            items = set(doc.lines.exclude(item_id=None).values_list("item_id", flat=True))
            costing = Costing(doc, user)
            try:
                costing.replay_all(items)
            except E.CostError as e:  # later documents would go negative without this one
                raise DocError(e.code, f"作废后库存不足：{e.message}") from e
            OpenLine.objects.filter(item_id__in=items, line_key__startswith=f"{doc.pk}:").delete()
            _drop_reopened(doc, costing)
            v = resync(doc, [], when=doc.date, user=user, memo=memo)
            if v:
                vouchers.append(v)
            vouchers += correct(costing, doc, books.accounts, user, books.company.costing_method, grni.is_reversal(books.company))
        else:
            v = resync(doc, [], when=doc.date, user=user, memo=memo)
            if v:
                vouchers.append(v)
        after_void(doc, user)  # the business apps undo their rows (batch moves, order links) or refuse
        _record(doc, user, reason, vouchers)
    announce(doc, doc.date)
    return VoidResult(doc, vouchers)


def _check_prepayment_left(doc, name):
    """A prepayment (预收/预付) may be voided only if its applications stay covered at every point."""
    from .handlers.business import prepayment_events

    kind = "customer" if doc.customer_id else "supplier"
    bal = 0
    for d, t, i, a in sorted((d, t or _midnight(), i, a) for d, t, i, a in prepayment_events(kind, getattr(doc, f"{kind}_id"))
                             if i != doc.pk):
        bal += a
        if bal < 0:
            raise DocError("invalid_value", f"{name} 已被预收预付冲销单使用（{d.isoformat()} 余额将为 {bal / 100:.2f}），请先作废冲销单")


def _midnight():
    from datetime import time

    return time(0)


def _drop_reopened(doc, costing):
    """A voided red invoice: the receipt (delivery) lines it opened again are fully taken again — mark their
    stored open line closed unless the replay kept them open. The replay (a complete book from the last
    snapshot) writes only the lines it saw: a line fully taken before that snapshot, opened again by the red
    invoice, is not among them (tests/redinvoice: a line taken before a close)."""
    if doc.type not in ("purchase_red_invoice", "sales_red_invoice"):
        return
    from .models import DocumentLine

    kind = "r" if doc.type == "purchase_red_invoice" else "d"
    for ln in DocumentLine.objects.filter(document=doc):
        blue = DocumentLine.objects.filter(document_id=ln.ref_document_id, line_no=ln.ref_line).first()
        key = f"{blue.ref_document_id}:{blue.ref_line}"
        book = costing.books.get(ln.item_id)
        store = None if book is None else (book.rl if kind == "r" else book.dl)
        if store is not None and key not in store.data:
            OpenLine.objects.update_or_create(item_id=ln.item_id, kind=kind, line_key=key, defaults={"data": CLOSED})


def _counter_moves(doc, user):
    """A red-ink counter-move for each of the document's moves (same date and time, negated)."""
    moves = StockMove.objects.filter(document=doc, sub__lt=COUNTER_SUB).values_list(
        "line", "sub", "item_id", "warehouse_id", "date", "time", "code", "qty", "value")
    insert_moves([(doc.pk, line, sub + COUNTER_SUB, item, wh, day, clock, code, -qty, None if value is None else -value)
                  for line, sub, item, wh, day, clock, code, qty, value in moves], user)


def _record(doc, user, reason, vouchers):
    from stockbook.audit import record

    record("void", doc, user=user, before={"status": Document.POSTED}, after={"status": Document.VOID,
           "vouchers": [v.display_number for v in vouchers]}, remark=reason)
