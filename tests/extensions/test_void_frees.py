"""A voided document no longer takes anything: the quantity of a receipt/delivery line its invoice took, the
open amount of an invoice its receipt/payment allocated, the count its settlement settled — each can be
invoiced, allocated, settled again (found while checking the issue 7 flows: the limits counted voided lines).

Company: moving average; R1 10 kg A001 @ 10.00; P1 invoices it; D1 1 kg @ 100.00, I1 invoices it (113.00 gross)."""
from stockbook.posting.models import Document
from stockbook.posting.void import void_document
from tests.stock.helpers import count, delivery, err, pinv, receipt, setup_company, sinv


def _void(ref):
    void_document(Document.objects.get(ref=ref).pk, reason="错录")


def test_a_voided_invoice_frees_its_quantity(post_json):
    setup_company(post_json, credit_limit=None)
    post_json(receipt("R1", "2026-01-05", "WH1", [("A001", "10", "10.00")]))
    post_json(pinv("P1", "2026-01-06", [("R1", 1, "10", "10.00")]))
    assert err(post_json, pinv("P0", "2026-01-06", [("R1", 1, "1", "10.00")])) == "invoice_exceeds_receipt"
    _void("P1")
    post_json(pinv("P2", "2026-01-07", [("R1", 1, "10", "10.00")]))
    assert err(post_json, pinv("P3", "2026-01-07", [("R1", 1, "1", "10.00")])) == "invoice_exceeds_receipt"
    post_json(delivery("D1", "2026-01-08", "WH1", [("A001", "1", "100.00")]))
    post_json(sinv("I1", "2026-01-08", [("D1", 1, "1", "100.00")]))
    _void("I1")
    post_json(sinv("I2", "2026-01-09", [("D1", 1, "1", "100.00")]))


def test_a_voided_receipt_frees_its_allocation(post_json):
    setup_company(post_json, credit_limit=None)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}]})
    post_json(delivery("D1", "2026-01-05", "WH1", [("A001", "1", "100.00")]))
    post_json(sinv("I1", "2026-01-05", [("D1", 1, "1", "100.00")]))
    money = {"type": "customer_receipt", "customer": "C01", "account": "1002", "amount": "113.00",
             "allocations": [{"invoice": "I1", "amount": "113.00"}]}
    post_json(dict(money, ref="SK1", date="2026-01-06"))
    assert err(post_json, dict(money, ref="SK0", date="2026-01-06")) == "invalid_value"
    _void("SK1")
    post_json(dict(money, ref="SK2", date="2026-01-07"))


def test_a_voided_settlement_lets_the_count_be_settled_again(post_json):
    setup_company(post_json, credit_limit=None)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1", "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}]})
    post_json(count("PD1", "2026-01-10", "WH1", [("A001", "98")]))
    post_json({"type": "count_settlement", "ref": "PDCL1", "date": "2026-01-11", "count": "PD1"})
    assert err(post_json, {"type": "count_settlement", "ref": "PDCL0", "date": "2026-01-11", "count": "PD1"}) == "invalid_value"
    _void("PDCL1")
    post_json({"type": "count_settlement", "ref": "PDCL2", "date": "2026-01-12", "count": "PD1"})
