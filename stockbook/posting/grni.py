"""暂估 methods (docs/contract-extensions.md §4): 单到补差 ("difference", the contract) and 月初回冲 ("reversal").

Under "reversal" the stock subledger and costing are exactly the contract's; only vouchers differ:
- closing month N posts, in the close's transaction, two generated documents owned by the close:
  ``grni_estimate`` 月末暂估 dated the last day of N (Dr inventory / Cr 220202 the open 220202 amount at the
  end of N of every receipt line of a month before N — its estimate was reversed on the 1st of N) and
  ``grni_reversal`` 暂估冲回 dated the 1st of N+1 (red ink, Dr inventory −A / Cr 220202 −A, for every receipt
  line with an open amount A at the end of N); every voucher line links to the receipt line it estimates;
- an invoice, purchase return or purchase red invoice dated in a later month than its receipt line books
  its P part on the item's inventory account instead of 220202 (``reroute``);
- reopening N voids both generated documents (their vouchers reversed, dated like them).
"""
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Q, Sum

from stockbook.core.errors import DocError
from stockbook.stock.events import month_end

from .models import Document, DocumentLine

METHODS = {"difference": "单到补差", "reversal": "月初回冲"}
GENERATED = ("grni_estimate", "grni_reversal")
P_TYPES = ("purchase_invoice", "purchase_return", "purchase_red_invoice")


def is_reversal(company) -> bool:
    return getattr(company, "grni_method", "difference") == "reversal"


# -- the setting ------------------------------------------------------------------------------------
def change_blocker() -> str | None:
    """Why the method may not change now (None: it may). It may change only before the books hold a
    receipt or a closed period: the estimates of receipts already booked, and the close vouchers already
    posted, were made under the other method, and mixing both on one receipt line would leave 220202 wrong."""
    from stockbook.ledger.models import Period

    if Period.objects.filter(status=Period.CLOSED).exists():
        return "已有期间结账"
    if Document.objects.filter(type="purchase_receipt", status=Document.POSTED).exists():
        return "已有采购入库单"
    return None


def set_method(value, user=None):
    """Set the company's 暂估处理方式; ``invalid_value`` (nothing written) for an unknown value or when
    ``change_blocker`` says it may not change."""
    from stockbook.masterdata.models import Company

    if not isinstance(value, str) or value not in METHODS:
        raise DocError("invalid_value", f"暂估处理方式必须是 {' 或 '.join(f'{k}（{v}）' for k, v in METHODS.items())}", field="grni_method")
    with transaction.atomic():
        company = Company.objects.select_for_update().order_by("id").first()
        if company is None:
            raise DocError("invalid_value", "尚未建立公司", field="grni_method")
        if company.grni_method == value:
            return company
        why = change_blocker()
        if why:
            raise DocError("invalid_value", f"{why}，不能再更改暂估处理方式（只能在录入第一张采购入库单之前设置）", field="grni_method")
        company.grni_method = value
        company.save(update_fields=["grni_method"])  # the audit trail records it (audit/signals.py: master data saves)
    return company


# -- the posting rule ---------------------------------------------------------------------------------
def _month(d: date) -> int:
    return d.year * 100 + d.month


def reroute(doc_type: str, doc_date: date, refs: dict[int, tuple]) -> frozenset:
    """The line numbers of a document whose P goes to the inventory account instead of 220202: those whose
    receipt is dated in an earlier month than the document. ``refs``: line no → (ref document id, ref line)
    (a purchase red invoice refers to a blue invoice line: its receipt is looked up)."""
    if doc_type not in P_TYPES or not refs:
        return frozenset()
    dt, lt = Document._meta.db_table, DocumentLine._meta.db_table
    ref_ids = sorted({d for d, _ in refs.values() if d})
    if doc_type == "purchase_red_invoice":
        months = {}
        with connection.cursor() as cur:
            cur.execute(f"SELECT b.document_id, b.line_no, r.date FROM {lt} b JOIN {dt} r ON r.id = b.ref_document_id "
                        f"WHERE b.document_id IN ({', '.join(['%s'] * len(ref_ids))})", ref_ids)
            for d, n, rdate in cur.fetchall():
                months[(d, n)] = _month(rdate)
        rmonth = {ln: months.get(ref) for ln, ref in refs.items()}
    else:
        dates = dict(Document.objects.filter(pk__in=ref_ids).values_list("id", "date"))
        rmonth = {ln: _month(dates[d]) if dates.get(d) else None for ln, (d, _) in refs.items()}
    m = _month(doc_date)
    return frozenset(ln for ln, rm in rmonth.items() if rm is not None and rm < m)


def reroute_of_docs(docs: dict) -> dict[int, frozenset]:
    """``reroute`` for stored documents (re-costing corrections): {document id: line numbers}."""
    ids = [i for i, d in docs.items() if d.type in P_TYPES]
    if not ids:
        return {}
    refs: dict[int, dict] = {}
    for doc_id, n, rd, rl in DocumentLine.objects.filter(document_id__in=ids).values_list("document_id", "line_no", "ref_document_id", "ref_line"):
        refs.setdefault(doc_id, {})[n] = (rd, rl)
    return {i: reroute(docs[i].type, docs[i].date, refs.get(i, {})) for i in ids}


# -- the close ----------------------------------------------------------------------------------------
def open_amounts(as_of: date) -> list[tuple]:
    """(receipt doc id, line no, item id, warehouse id, supplier id, receipt date, open 220202 amount) of every
    posted receipt line dated ≤ as_of whose amount − P(invoices, returns) + Pr(red invoices), over documents
    dated ≤ as_of, is not zero. Read at a close only (under "reversal")."""
    posted = Document.POSTED
    taken: dict[tuple, int] = {}
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    p = Cast(KT("result__P"), output_field=BigIntegerField())
    for rd, rl, s in (DocumentLine.objects.filter(document__type__in=("purchase_invoice", "purchase_return"), document__status=posted,
                                                  document__date__lte=as_of)
                      .values_list("ref_document_id", "ref_line").annotate(s=Sum(p)).values_list("ref_document_id", "ref_line", "s")):
        taken[(rd, rl)] = taken.get((rd, rl), 0) + (s or 0)
    reds = list(DocumentLine.objects.filter(document__type="purchase_red_invoice", document__status=posted, document__date__lte=as_of)
                .values_list("ref_document_id", "ref_line").annotate(s=Sum(p)).values_list("ref_document_id", "ref_line", "s"))
    if reds:
        blue = {(d, n): (rd, rl) for d, n, rd, rl in DocumentLine.objects.filter(document_id__in={d for d, _, _ in reds})
                .values_list("document_id", "line_no", "ref_document_id", "ref_line")}
        for d, n, s in reds:
            key = blue[(d, n)]
            taken[key] = taken.get(key, 0) - (s or 0)
    out = []
    for d, n, item, wh, sup, rdate, amount in (DocumentLine.objects.filter(document__type="purchase_receipt", document__status=posted,
                                                                          document__date__lte=as_of)
                                              .values_list("document_id", "line_no", "item_id", "warehouse_id", "document__supplier_id",
                                                           "document__date", "amount").order_by("document__date", "document_id", "line_no")):
        a = (amount or 0) - taken.get((d, n), 0)
        if a:
            out.append((d, n, item, wh, sup, rdate, a))
    return out


def open_at_close(period: int) -> list[tuple]:
    """``open_amounts(month end of period)`` read incrementally, in the shape of ``open_amounts``: the open
    amounts at the end of the previous month are the lines of its close's posted 暂估冲回 (dated the 1st of
    ``period``; none: nothing was open, or ``period`` is the first), plus the month's receipts, − the P of the
    month's invoices and returns, + the Pr of its red invoices. The close's cost is bounded by the month, not
    by history (tests compare it with the full scan)."""
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    from stockbook.ledger.models import VoucherLine

    end = month_end(period)
    first = end.replace(day=1)
    posted = Document.POSTED
    amt: dict[tuple, int] = {}
    info: dict[tuple, tuple] = {}
    for d, n, credit in (VoucherLine.objects.filter(voucher__document__type="grni_reversal", voucher__document__status=posted,
                                                                   voucher__document__date=first, credit__lt=0)
                         .values_list("document_id", "doc_line", "credit")):
        amt[(d, n)] = amt.get((d, n), 0) - credit
    for d, n, item, wh, sup, rdate, amount in (DocumentLine.objects.filter(document__type="purchase_receipt", document__status=posted,
                                                                          document__date__gte=first, document__date__lte=end)
                                              .values_list("document_id", "line_no", "item_id", "warehouse_id", "document__supplier_id",
                                                           "document__date", "amount")):
        amt[(d, n)] = amt.get((d, n), 0) + (amount or 0)
        info[(d, n)] = (item, wh, sup, rdate)
    p = Cast(KT("result__P"), output_field=BigIntegerField())
    month = dict(document__status=posted, document__date__gte=first, document__date__lte=end)
    for rd, rl, s in (DocumentLine.objects.filter(document__type__in=("purchase_invoice", "purchase_return"), **month)
                      .values_list("ref_document_id", "ref_line").annotate(s=Sum(p)).values_list("ref_document_id", "ref_line", "s")):
        amt[(rd, rl)] = amt.get((rd, rl), 0) - (s or 0)
    reds = list(DocumentLine.objects.filter(document__type="purchase_red_invoice", **month)
                .values_list("ref_document_id", "ref_line").annotate(s=Sum(p)).values_list("ref_document_id", "ref_line", "s"))
    if reds:
        blue = {(d, n): (rd, rl) for d, n, rd, rl in DocumentLine.objects.filter(document_id__in={d for d, _, _ in reds})
                .values_list("document_id", "line_no", "ref_document_id", "ref_line")}
        for d, n, s in reds:
            amt[blue[(d, n)]] = amt.get(blue[(d, n)], 0) + (s or 0)
    keys = [k for k, a in amt.items() if a and k not in info]
    for i in range(0, len(keys), 400):
        q = None
        for d, n in keys[i:i + 400]:
            c = Q(document_id=d, line_no=n)
            q = c if q is None else q | c
        for d, n, item, wh, sup, rdate in DocumentLine.objects.filter(q).values_list(
                "document_id", "line_no", "item_id", "warehouse_id", "document__supplier_id", "document__date"):
            info[(d, n)] = (item, wh, sup, rdate)
    out = [(d, n, *info[(d, n)], a) for (d, n), a in amt.items() if a]
    return sorted(out, key=lambda r: (r[5], r[0], r[1]))


def _new_doc(typ: str, day: date, close, memo: str) -> Document:
    prefix = "ZG" if typ == "grni_estimate" else "ZGCH"
    base = f"{prefix}-{day:%Y-%m}"
    n = Document.objects.filter(type=typ, ref__startswith=base).count()
    ref = base if n == 0 else f"{base}-{n + 1}"
    import json

    canonical = json.dumps({"type": typ, "ref": ref, "date": day.isoformat(), "period_close": close.ref, "generated": True},
                           ensure_ascii=False)
    return Document.objects.create(type=typ, ref=ref, identity=f"{typ}:{ref}:{close.pk}", canonical=canonical, date=day, source="close",
                                   ref_document=close, memo=memo, created_by=close.created_by)


def close(close_doc, period: int, books, user=None) -> list:
    """Under "reversal": the month-end re-estimate and the next month's reversal of closing ``period``."""
    from stockbook.ledger.models import Voucher
    from stockbook.masterdata.models import Item

    from .rules import Entry
    from .sync import post_entries

    end = month_end(period)
    first = end + timedelta(days=1)
    rows = open_at_close(period)
    if not rows:
        return []
    acc = books.accounts
    inv = dict(Item.objects.filter(pk__in={r[2] for r in rows}).values_list("id", "account_id"))
    grni = acc.role("grni")
    pstr = f"{period // 100:04d}-{period % 100:02d}"

    def entries(sel, sign):
        out = []
        for d, n, item, wh, sup, _rdate, a in sel:
            dims = {"item_id": item, "warehouse_id": wh, "supplier_id": sup}
            out.append(Entry(inv[item], sign * a, n, d, dims))
            out.append(Entry(grni, -sign * a, n, d, dims))
        return out

    vouchers = []
    earlier = [r for r in rows if _month(r[5]) < period]
    if earlier:
        doc = _new_doc("grni_estimate", end, close_doc, f"{pstr} 月末暂估（上月暂估已于月初回冲，未开票部分重新暂估）")
        v = post_entries(doc, entries(earlier, 1), when=end, user=user, memo=f"月末暂估 {doc.ref}", kind=Voucher.CLOSE)
        vouchers.append(v)
    doc = _new_doc("grni_reversal", first, close_doc, f"{pstr} 暂估于 {first.isoformat()} 月初红字回冲")
    vouchers.append(post_entries(doc, entries(rows, -1), when=first, user=user, memo=f"暂估冲回 {doc.ref}", kind=Voucher.CLOSE, red=True))
    return [v for v in vouchers if v]


def undo_close(close_doc, user=None) -> list:
    """Reopen: void the generated documents of ``close_doc``; their vouchers are reversed, dated like them."""
    from .sync import resync

    out = []
    for doc in Document.objects.filter(ref_document=close_doc, type__in=GENERATED, status=Document.POSTED).order_by("id"):
        Document.objects.filter(pk=doc.pk).update(status=Document.VOID)
        v = resync(doc, [], when=doc.date, user=user, memo=f"反结账：冲销{'月末暂估' if doc.type == 'grni_estimate' else '暂估冲回'} {doc.ref}")
        if v:
            out.append(v)
    return out
