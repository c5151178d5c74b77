"""预收/预付 (prepayments) and their application (预收冲应收 / 预付冲应付), docs/contract-extensions.md.

A customer_receipt (supplier_payment) with "prepayment": true posts to 2203 预收账款 (1123 预付账款) instead of
112201 (220201) and may not allocate; an advance_application moves the money onto the invoices:
Dr 2203 / Cr 112201 (customer), Dr 220201 / Cr 1123 (supplier). Sales of net N have gross N × 1.13."""
from datetime import date

import pytest

from tests.redinvoice.helpers import bal, consistent, rejected

from .conftest import report

pytestmark = pytest.mark.django_db


def pre(ref, day, amount, party="C01", **kw):
    kind = "customer" if party.startswith("C") else "supplier"
    typ = "customer_receipt" if kind == "customer" else "supplier_payment"
    return {"type": typ, "ref": ref, "date": day, kind: party, "account": "1002", "amount": amount, "prepayment": True, **kw}


def apply(ref, day, amount, party="C01", alloc=()):
    kind = "customer" if party.startswith("C") else "supplier"
    doc = {"type": "advance_application", "ref": ref, "date": day, kind: party, "amount": amount}
    if alloc:
        doc["allocations"] = [{"invoice": i, "amount": a} for i, a in alloc]
    return doc


def test_customer_prepayment_and_application(arap, post_json):
    """PRE1 01-05 预收 500.00 → Dr 1002 / Cr 2203 500.00 (112201 untouched). SI1 01-10 net 300.00 = 339.00 gross.
    As of 01-31: aging C01 0-30 339.00 and a prepayment of −500.00 beside it (not settled: it is not applied).
    AP1 01-20 applies 339.00 to SI1: Dr 2203 339.00 / Cr 112201 339.00 → SI1 settled, 2203 = 161.00 credit;
    the aging row keeps only the prepayment −161.00. The statement: PRE1 a 0.00 line, SI1 +339.00, AP1 −339.00,
    closing 0.00, prepayment 500.00 → 161.00. reconcile ar 0.00 unexplained."""
    post_json(pre("PRE1", "2026-01-05", "500.00"))
    assert bal("2203") == -50000 and bal("112201") == 0 and bal("1002") == 50000
    arap.sale("SI1", "2026-01-10", "300.00")
    row = report("ar-aging", as_of=date(2026, 1, 31))["rows"][0]
    assert (row["total"], row["0-30"], row["prepayment"]) == ("339.00", "339.00", "-500.00")
    post_json(apply("AP1", "2026-01-20", "339.00", alloc=[("SI1", "339.00")]))
    assert bal("2203") == -16100 and bal("112201") == 0
    row = report("ar-aging", as_of=date(2026, 1, 31))["rows"][0]
    assert (row["total"], row["prepayment"]) == ("0.00", "-161.00")
    st = report("statement", customer="C01", start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert [(r["ref"], r["debit"], r["credit"], r["balance"]) for r in st["rows"]] == [
        ("PRE1", "0.00", "0.00", "0.00"), ("SI1", "339.00", "0.00", "339.00"), ("AP1", "0.00", "339.00", "0.00")]
    assert st["prepayment"] == {"opening": "0.00", "closing": "161.00"} and st["closing"] == "0.00"
    assert "预收冲应收" in st["rows"][2]["summary"]
    consistent("2026-01-31")


def test_supplier_prepayment_unallocated_application(arap, post_json):
    """PP1 预付 1000.00 → Dr 1123 / Cr 1002. PI1 net 500.00 = 565.00. AP1 applies 600.00 without allocations:
    Dr 220201 600.00 / Cr 1123 600.00 — the unallocated 35.00 is an open credit on 220201 (oldest-first settles
    PI1): ap aging −35.00, prepayment −400.00; reconcile ap 0.00 unexplained."""
    post_json(pre("PP1", "2026-01-05", "1000.00", party="S01"))
    assert bal("1123") == 100000
    arap.purchase("PI1", "2026-01-10", "500.00")
    post_json(apply("AP1", "2026-01-20", "600.00", party="S01"))
    assert bal("1123") == 40000 and bal("220201") == 3500
    row = report("ap-aging", as_of=date(2026, 1, 31))["rows"][0]
    assert (row["supplier"], row["total"], row["prepayment"]) == ("S01", "-35.00", "-400.00")
    rows = consistent("2026-01-31")
    assert rows["ap"]["subledger"] == "-35.00"


def test_bad_input_and_balance_never_negative(arap, post_json):
    """预收 500.00 on 01-10. Applications: on 01-05 (before the prepayment: balance −100.00 then) invalid_value;
    600.00 invalid_value; 300.00 on 01-15 accepted, then 300.00 more invalid_value (−100.00). A prepayment
    with allocations, a non-boolean flag, both parties, an allocation above the open amount: invalid_value.
    Voiding the prepayment while its application stands: refused; after voiding the application: allowed."""
    from stockbook.core.errors import DocError
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    arap.sale("SI1", "2026-01-02", "100.00")  # 113.00
    post_json(pre("PRE1", "2026-01-10", "500.00"))
    assert rejected(post_json, apply("X1", "2026-01-05", "100.00")) == "invalid_value"
    assert rejected(post_json, apply("X2", "2026-01-15", "600.00")) == "invalid_value"
    assert rejected(post_json, apply("X3", "2026-01-15", "200.00", alloc=[("SI1", "113.01")])) == "invalid_value"
    assert rejected(post_json, apply("X4", "2026-01-15", "100.00", alloc=[("SI1", "100.00"), ("SI1", "0.01")])) == "invalid_value"
    assert rejected(post_json, pre("X5", "2026-01-15", "10.00", allocations=[{"invoice": "SI1", "amount": "1.00"}])) == "invalid_value"
    assert rejected(post_json, pre("X6", "2026-01-15", "10.00", prepayment="yes")) == "invalid_value"
    both = apply("X7", "2026-01-15", "1.00")
    both["supplier"] = "S01"
    assert rejected(post_json, both) == "invalid_value"
    assert rejected(post_json, apply("X8", "2026-01-15", "1.00", party="C99")) == "unknown_party"
    post_json(apply("AP1", "2026-01-15", "300.00", alloc=[("SI1", "113.00")]))
    assert rejected(post_json, apply("X9", "2026-01-16", "300.00")) == "invalid_value"
    assert rejected(post_json, {"type": "customer_receipt", "ref": "X10", "date": "2026-01-20", "customer": "C01",
                                "account": "1002", "amount": "1.00", "allocations": [{"invoice": "SI1", "amount": "0.01"}]}) == "invalid_value"
    with pytest.raises(DocError) as e:
        void_document(Document.objects.get(ref="PRE1").pk, reason="x")
    assert e.value.code == "invalid_value"
    void_document(Document.objects.get(ref="AP1").pk, reason="x")
    void_document(Document.objects.get(ref="PRE1").pk, reason="x")
    assert bal("2203") == 0 and bal("112201") == 11300
    consistent("2026-01-31")
