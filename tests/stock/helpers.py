"""Shared helpers for the costing tests: a company per costing method, and reports as Decimals."""
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from stockbook.core.errors import DocError
from tests.conftest import COMPANY

D = Decimal


def d(s: str) -> date:
    return date.fromisoformat(s)


def setup_company(post, method="moving_average", credit_limit="100000.00"):
    """ACME with WH1, WH2, A001 (kg, t = 1000 kg), B002 (pcs), S01, S02, C01 (credit limit), C02 (none)."""
    post(dict(COMPANY, costing_method=method))
    post({"type": "warehouse", "code": "WH1", "name": "主仓"})
    post({"type": "warehouse", "code": "WH2", "name": "二仓"})
    post({"type": "item", "code": "A001", "name": "铜线", "uom": "kg", "units": {"t": "1000"}, "tax_rate": "0.13",
          "account": "1405"})
    post({"type": "item", "code": "B002", "name": "插座", "uom": "pcs", "tax_rate": "0.13"})
    post({"type": "supplier", "code": "S01", "name": "供应商一"})
    post({"type": "supplier", "code": "S02", "name": "供应商二"})
    cust = {"type": "customer", "code": "C01", "name": "客户一"}
    if credit_limit is not None:
        cust["credit_limit"] = credit_limit
    post(cust)
    post({"type": "customer", "code": "C02", "name": "客户二"})


def err(post, doc) -> str:
    """Post a document that must be rejected; return its error code."""
    try:
        post(doc)
    except DocError as e:
        return e.code
    raise AssertionError(f"{doc.get('type')} {doc.get('ref')} was accepted")


# -- documents ---------------------------------------------------------------------------------
def receipt(ref, date_, wh, lines, supplier="S01", time=None):
    doc = {"type": "purchase_receipt", "ref": ref, "date": date_, "supplier": supplier, "warehouse": wh,
           "lines": [dict(item=i, qty=q, unit_price=p, **({"uom": u[0]} if u else {})) for i, q, p, *u in lines]}
    if time:
        doc["time"] = time
    return doc


def delivery(ref, date_, wh, lines, customer="C01", time=None):
    doc = {"type": "sales_delivery", "ref": ref, "date": date_, "customer": customer, "warehouse": wh,
           "lines": [dict(item=i, qty=q, unit_price=p) for i, q, p in lines]}
    if time:
        doc["time"] = time
    return doc


def transfer(ref, date_, src, dst, lines):
    return {"type": "transfer", "ref": ref, "date": date_, "from": src, "to": dst,
            "lines": [dict(item=i, qty=q) for i, q in lines]}


def scrap(ref, date_, wh, lines):
    return {"type": "scrap", "ref": ref, "date": date_, "warehouse": wh, "lines": [dict(item=i, qty=q) for i, q in lines]}


def count(ref, date_, wh, lines):
    out = []
    for ln in lines:
        row = {"item": ln[0], "counted_qty": ln[1]}
        if len(ln) > 2 and ln[2] is not None:
            row["unit_cost"] = ln[2]
        out.append(row)
    return {"type": "stock_count", "ref": ref, "date": date_, "warehouse": wh, "lines": out}


def pinv(ref, date_, lines, supplier="S01"):
    return {"type": "purchase_invoice", "ref": ref, "date": date_, "supplier": supplier,
            "lines": [dict(receipt=r, line=n, qty=q, unit_price=p) for r, n, q, p in lines]}


def sinv(ref, date_, lines, customer="C01"):
    return {"type": "sales_invoice", "ref": ref, "date": date_, "customer": customer,
            "lines": [dict(delivery=r, line=n, qty=q, unit_price=p) for r, n, q, p in lines]}


def pret(ref, date_, receipt_ref, lines):
    return {"type": "purchase_return", "ref": ref, "date": date_, "receipt": receipt_ref,
            "lines": [dict(line=n, qty=q) for n, q in lines]}


def sret(ref, date_, delivery_ref, lines):
    return {"type": "sales_return", "ref": ref, "date": date_, "delivery": delivery_ref,
            "lines": [dict(line=n, qty=q) for n, q in lines]}


def close(ref, period, date_=None):
    y, m = map(int, period.split("-"))
    import calendar

    return {"type": "period_close", "ref": ref, "period": period,
            "date": date_ or f"{period}-{calendar.monthrange(y, m)[1]:02d}"}


# -- reading the books -------------------------------------------------------------------------
def stock(as_of: str) -> dict:
    """{(item, warehouse): (qty, value, pending)} of stock-balance as of a date."""
    from stockbook.reports.registry import build_report

    rows = build_report("stock-balance", {"as_of": d(as_of)}).data["rows"]
    return {(r["item"], r["warehouse"]): (D(r["qty"]), D(r["value"]), r["pending"]) for r in rows}


def tb(start: str, end: str) -> dict:
    """{account: (opening, debit, credit, closing)} of the trial balance."""
    from stockbook.reports.registry import build_report

    rows = build_report("trial-balance", {"start": d(start), "end": d(end)}).data["rows"]
    return {r["account"]: tuple(D(r[k]) for k in ("opening", "debit", "credit", "closing")) for r in rows}


def recon(as_of: str) -> dict:
    from stockbook.reports.registry import build_report

    rows = build_report("reconcile", {"as_of": d(as_of)}).data["rows"]
    return {(r["ledger"], r["account"]): r for r in rows}


def vouchers_of(doc_type, ref):
    """[(kind, date iso, [(account, debit, credit)])] of a document's vouchers, in number order: its own, and
    the re-costing vouchers that correct it (only their lines of this document)."""
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.posting.sync import vouchers_of as of

    doc = Document.objects.get(type=doc_type, ref=ref)
    out = []
    for v in of(doc.pk):
        lines = v.lines.order_by("line_no")
        if v.kind == Voucher.RECOST:
            lines = lines.filter(document=doc)
        out.append((v.kind, v.date.isoformat(), [(ln.account.code, D(ln.debit) / 100, D(ln.credit) / 100) for ln in lines]))
    return out


def lines_linked(doc_type, ref):
    """{account: (debit, credit)} over every voucher line linking back to a document (its own and others')."""
    from stockbook.ledger.models import VoucherLine

    rows = (VoucherLine.objects.filter(document__type=doc_type, document__ref=ref)
            .values("account__code").annotate(dr=Sum("debit"), cr=Sum("credit")))
    return {r["account__code"]: (D(r["dr"]) / 100, D(r["cr"]) / 100) for r in rows}


def result(doc_type, ref, line=1) -> dict:
    from stockbook.posting.models import DocumentLine

    return DocumentLine.objects.get(document__type=doc_type, document__ref=ref, line_no=line).result


def footprint() -> tuple:
    """Row counts (and sequence state) that a rejected document must leave unchanged."""
    from stockbook.ledger.models import PeriodBalance, Voucher, VoucherLine, VoucherSequence
    from stockbook.posting.models import Document, DocumentLine
    from stockbook.stock.models import ItemState, MonthlyClose, Snapshot, StockMove

    return (Document.objects.count(), DocumentLine.objects.count(), StockMove.objects.count(),
            Voucher.objects.count(), VoucherLine.objects.count(),
            tuple(VoucherSequence.objects.order_by("word", "period").values_list("word", "period", "last")),
            tuple(PeriodBalance.objects.order_by("account_id", "period").values_list("account_id", "period", "debit", "credit")),
            tuple(StockMove.objects.order_by("id").values_list("id", "qty", "value")),
            tuple(ItemState.objects.order_by("item_id").values_list("item_id", "state")),
            Snapshot.objects.count(), MonthlyClose.objects.count())
