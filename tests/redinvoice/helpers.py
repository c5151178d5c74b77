"""Helpers for the red invoice tests: documents, balances, and the books' consistency checks."""
from datetime import date

from django.db.models import Sum

from stockbook.core.errors import DocError


def rec(ref, day, qty, price, wh="WH1", supplier="S01", item="A001"):
    return {"type": "purchase_receipt", "ref": ref, "date": day, "supplier": supplier, "warehouse": wh,
            "lines": [{"item": item, "qty": qty, "unit_price": price}]}


def dlv(ref, day, qty, price, wh="WH1", customer="C01", item="A001"):
    return {"type": "sales_delivery", "ref": ref, "date": day, "customer": customer, "warehouse": wh,
            "lines": [{"item": item, "qty": qty, "unit_price": price}]}


def pinv(ref, day, receipt, qty, price, supplier="S01", line=1):
    return {"type": "purchase_invoice", "ref": ref, "date": day, "supplier": supplier,
            "lines": [{"receipt": receipt, "line": line, "qty": qty, "unit_price": price}]}


def sinv(ref, day, delivery, qty, price, customer="C01", line=1):
    return {"type": "sales_invoice", "ref": ref, "date": day, "customer": customer,
            "lines": [{"delivery": delivery, "line": line, "qty": qty, "unit_price": price}]}


def pred(ref, day, invoice, qty, supplier="S01", line=1, **kw):
    return {"type": "purchase_red_invoice", "ref": ref, "date": day, "supplier": supplier,
            "lines": [{"invoice": invoice, "line": line, "qty": qty, **kw}]}


def sred(ref, day, invoice, qty, customer="C01", line=1, **kw):
    return {"type": "sales_red_invoice", "ref": ref, "date": day, "customer": customer,
            "lines": [{"invoice": invoice, "line": line, "qty": qty, **kw}]}


def pret(ref, day, receipt, qty, line=1):
    return {"type": "purchase_return", "ref": ref, "date": day, "receipt": receipt, "lines": [{"line": line, "qty": qty}]}


def sret(ref, day, delivery, qty, line=1):
    return {"type": "sales_return", "ref": ref, "date": day, "delivery": delivery, "lines": [{"line": line, "qty": qty}]}


def bal(code, as_of=None) -> int:
    """Balance (debit − credit, 分) of an account and its sub-accounts."""
    from stockbook.ledger.models import VoucherLine

    qs = VoucherLine.objects.filter(account__code__startswith=code)
    if as_of:
        qs = qs.filter(date__lte=as_of)
    s = qs.aggregate(d=Sum("debit"), c=Sum("credit"))
    return (s["d"] or 0) - (s["c"] or 0)


def turnover(code) -> tuple[int, int]:
    from stockbook.ledger.models import VoucherLine

    s = VoucherLine.objects.filter(account__code=code).aggregate(d=Sum("debit"), c=Sum("credit"))
    return s["d"] or 0, s["c"] or 0


def result(ref, line=1) -> dict:
    from stockbook.posting.models import DocumentLine

    return DocumentLine.objects.get(document__ref=ref, line_no=line).result


def stock(as_of="2026-12-31") -> list:
    from stockbook.reports.stock_balance import stock_balance

    return [(r["warehouse"], r["qty"], r["value"]) for r in stock_balance(date.fromisoformat(as_of)).data["rows"]]


def consistent(as_of="2026-12-31"):
    """recompute() == [], every reconcile row 0.00 unexplained, stockbook check clean."""
    from stockbook.reports.reconcile import reconcile
    from stockbook.stock.revalue import recompute

    assert recompute() == []
    rows = reconcile(date.fromisoformat(as_of)).data["rows"]
    assert all(r["unexplained"] == "0.00" for r in rows), rows
    return {r["ledger"] if r["ledger"] != "stock" else r["account"]: r for r in rows}


def rejected(post, doc) -> str:
    """Post a document that must be rejected: its code, and nothing written."""
    from stockbook.ledger.models import Voucher
    from stockbook.posting.models import Document
    from stockbook.stock.models import StockMove

    before = (Document.objects.count(), Voucher.objects.count(), StockMove.objects.count())
    try:
        post(doc)
    except DocError as e:
        assert (Document.objects.count(), Voucher.objects.count(), StockMove.objects.count()) == before
        return e.code
    raise AssertionError(f"{doc['type']} {doc['ref']} was accepted")
