"""The posting core's extension points (stockbook/posting/extensions.py) and the gift line (赠品).

Company: moving average, opening 100 kg A001 = 1,000.00 at WH1 (10.00/kg)."""
from decimal import Decimal as D

import pytest

from stockbook.core.errors import DocError
from stockbook.posting import extensions
from tests.stock.helpers import delivery, err, footprint, setup_company, sinv, vouchers_of


@pytest.fixture
def acme(post_json):
    setup_company(post_json, credit_limit=None)
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}]})
    return post_json


def test_gift_line_books_cost_and_no_revenue(acme):
    """D1: 10 kg at 12.00 (net 120.00) and 2 kg gift at 0: cost 100.00 + 20.00 (10.00/kg), revenue 120.00 only."""
    doc = delivery("D1", "2026-01-05", "WH1", [("A001", "10", "12.00"), ("A001", "2", "0")])
    doc["lines"][1]["gift"] = True
    acme(doc)
    [(kind, day, lines)] = vouchers_of("sales_delivery", "D1")
    dr = {}
    for acc, debit, credit in lines:
        dr[acc] = dr.get(acc, D(0)) + debit - credit
    assert dr == {"5401": D("120.00"), "1405": D("-120.00"), "112202": D("120.00"), "5001": D("-120.00")}
    # the gift line is invoiced at 0 with the sale; a normal line cannot be
    acme(sinv("I1", "2026-01-06", [("D1", 1, "10", "12.00"), ("D1", 2, "2", "0")]))
    [(_, _, ilines)] = vouchers_of("sales_invoice", "I1")
    assert sum(ln[1] for ln in ilines) == D("135.60")


def test_zero_price_without_gift_flag_is_refused(acme):
    before = footprint()
    assert err(acme, delivery("D2", "2026-01-05", "WH1", [("A001", "1", "0")])) == "invalid_value"
    doc = delivery("D3", "2026-01-05", "WH1", [("A001", "1", "0")])
    doc["lines"][0]["gift"] = "yes"  # only the JSON true marks a gift
    assert err(acme, doc) == "invalid_value"
    rec = {"type": "purchase_receipt", "ref": "R0", "date": "2026-01-05", "supplier": "S01", "warehouse": "WH1",
           "lines": [{"item": "A001", "qty": "1", "unit_price": "0", "gift": True}]}
    assert err(acme, rec) == "invalid_value"  # gifts are a sales-delivery extension only
    acme(delivery("D4", "2026-01-05", "WH1", [("A001", "1", "12.00")]))
    after_d4 = footprint()
    assert err(acme, sinv("I4", "2026-01-06", [("D4", 1, "1", "0")])) == "invalid_value"
    assert footprint() == after_d4 and before != after_d4


def test_a_refusing_hook_rolls_the_whole_document_back(acme):
    def refuse(ctx, doc, vouchers):
        if any(isinstance(ln, dict) and ln.get("order") == "NOPE" for ln in ctx.obj.get("lines", [])):
            raise DocError("over_receipt", "test hook")

    extensions.on_post(refuse, types=["sales_delivery"])
    try:
        before = footprint()
        doc = delivery("D5", "2026-01-05", "WH1", [("A001", "1", "12.00")])
        doc["lines"][0]["order"] = "NOPE"
        assert err(acme, doc) == "over_receipt"
        assert footprint() == before  # no document, move, voucher or voucher number
        acme(delivery("D6", "2026-01-05", "WH1", [("A001", "1", "12.00")]))  # other documents pass
    finally:
        extensions._POST.remove((frozenset(["sales_delivery"]), refuse))


def test_void_hooks_run_in_the_void_transaction(acme):
    from stockbook.posting.models import Document
    from stockbook.posting.void import void_document

    seen = []

    def refuse_void(doc, user):
        seen.append(doc.ref)
        raise DocError("invalid_status", "test hook")

    acme(delivery("D7", "2026-01-05", "WH1", [("A001", "1", "12.00")]))
    extensions.on_void(refuse_void, types=["sales_delivery"])
    try:
        with pytest.raises(DocError) as e:
            void_document(Document.objects.get(type="sales_delivery", ref="D7").pk, reason="test")
        assert e.value.code == "invalid_status" and seen == ["D7"]
        assert Document.objects.get(type="sales_delivery", ref="D7").status == Document.POSTED
    finally:
        extensions._VOID.remove((frozenset(["sales_delivery"]), refuse_void))


def test_credit_override_provider_admits_a_delivery(post_json):
    setup_company(post_json, credit_limit="100.00")
    post_json({"type": "opening_stock", "date": "2025-12-31", "warehouse": "WH1",
               "lines": [{"item": "A001", "qty": "100", "amount": "1000.00"}]})
    over = delivery("D8", "2026-01-05", "WH1", [("A001", "10", "12.00")])  # 120.00 > 100.00
    assert err(post_json, over) == "credit_limit_exceeded"

    def allow(ctx, customer, total):
        return ctx.obj.get("memo") == "approved override" and total <= 12000

    extensions.credit_override_provider(allow)
    try:
        assert err(post_json, over) == "credit_limit_exceeded"
        post_json(dict(over, memo="approved override"))
    finally:
        extensions._CREDIT.remove(allow)


def test_order_approvals_have_readable_titles():
    from stockbook.approvals.models import ApprovalRequest

    assert ApprovalRequest(kind="credit", doc_type="credit_override", ref="XSDD-202611-0001").title == "超信用额度 销售订单 XSDD-202611-0001"
    assert ApprovalRequest(kind="order", doc_type="purchase_order", ref="CGDD-202611-0001").title == "采购订单 CGDD-202611-0001"
    assert ApprovalRequest(kind="document", doc_type="purchase_receipt", ref="R1").title == "采购入库单 R1"


def test_a_price_change_on_a_posted_invoice_is_refused_and_writes_nothing(acme):
    """I1 invoiced D1 at 12.00; the same invoice again at 11.00 is the contract's duplicate_ref, whose message
    says how a price is changed (red invoice, then a new blue one)."""
    acme(delivery("D1", "2026-01-05", "WH1", [("A001", "10", "12.00")]))
    acme(sinv("I1", "2026-01-06", [("D1", 1, "10", "12.00")]))
    before = footprint()
    with pytest.raises(DocError) as e:
        acme(sinv("I1", "2026-01-06", [("D1", 1, "10", "11.00")]))
    assert e.value.code == "duplicate_ref" and "红字发票" in e.value.message
    assert footprint() == before
    assert acme(sinv("I1", "2026-01-06", [("D1", 1, "10", "12.00")])).status == "duplicate"
