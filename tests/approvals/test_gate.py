"""The gate in post(): a person's document that a workflow covers is checked (dry run) and becomes a
pending request; nothing is written to the books until the final approval."""
import pytest

from stockbook.approvals.amount import document_amount
from stockbook.approvals.models import ApprovalRequest, Assignee
from stockbook.core.errors import DocError
from stockbook.ledger.models import Voucher, VoucherSequence
from stockbook.notify.models import Notification
from stockbook.posting.models import Document, DocumentLine
from stockbook.stock.models import StockMove

from .conftest import receipt


def _books():
    return (Document.objects.count(), DocumentLine.objects.count(), StockMove.objects.count(), Voucher.objects.count(),
            sorted(VoucherSequence.objects.values_list("word", "period", "last")))


def test_pending_writes_no_document_voucher_or_number(people, two_levels, post_json):
    before = _books()
    res = post_json(receipt(), user=people["buyer"], source="web")
    assert res.status == "pending" and not res.posted
    assert res.document is None and res.vouchers == []
    req = res.approval
    assert isinstance(req, ApprovalRequest) and req.status == "pending" and req.current_level == 1
    assert (req.doc_type, req.ref, req.amount, req.maker, req.source) == ("purchase_receipt", "R-1", 6_000_000, people["buyer"], "web")
    assert _books() == before
    assert not Document.objects.filter(type="purchase_receipt", ref="R-1").exists()
    # the first level's approvers (财务主管) got their votes and a message; the maker is not among them
    assert sorted(Assignee.objects.filter(request=req).values_list("user__username", flat=True)) == ["fin1", "fin2", "solo"]
    assert set(Notification.objects.filter(event="approval.requested").values_list("user__username", flat=True)) == {"fin1", "fin2", "solo"}
    # the next document posted still gets voucher number 1 of the month: the dry run used up nothing
    res2 = post_json(receipt("R-SMALL", qty="1", price="10"), user=people["buyer"])
    assert res2.posted and [v.display_number for v in res2.vouchers] == ["记-2026-01-0001"]


def test_below_the_range_posts_at_once(people, two_levels, post_json):
    res = post_json(receipt(qty="1", price="49999.99"), user=people["buyer"])
    assert res.posted and res.approval is None
    assert not ApprovalRequest.objects.exists()


def test_bad_input_gets_its_own_code_immediately(people, two_levels, post_json, make_workflow):
    before = _books()
    cases = [
        (receipt(lines=[{"item": "NOPE", "qty": "10", "unit_price": "6000"}]), "unknown_item"),
        (receipt(supplier="S99"), "unknown_party"),
        (receipt(date="2026-13-01"), "invalid_value"),
        (receipt(price="60.001.5"), "invalid_value"),
    ]
    for doc, code in cases:
        with pytest.raises(DocError) as e:
            post_json(doc, user=people["buyer"])
        assert e.value.code == code, doc
    # a delivery the stock cannot cover: negative_stock at once, not at the final approval
    make_workflow([{"roles": ["管理层"]}], doc_type="sales_delivery")
    with pytest.raises(DocError) as e:
        post_json({"type": "sales_delivery", "ref": "D-1", "date": "2026-01-06", "customer": "C01", "warehouse": "WH1",
                   "lines": [{"item": "A001", "qty": "5", "unit_price": "10"}]}, user=people["seller"])
    assert e.value.code == "negative_stock"
    # no right to the document type: not_allowed as before
    with pytest.raises(DocError) as e:
        post_json(receipt("R-K"), user=people["keeper"])
    assert e.value.code == "not_allowed"
    assert not ApprovalRequest.objects.exists() and _books() == before


def test_command_line_and_other_types_are_never_gated(people, two_levels, post_json):
    res = post_json(receipt())  # user=None: the CLI import
    assert res.posted and not ApprovalRequest.objects.exists()
    res = post_json({"type": "sales_delivery", "ref": "D-1", "date": "2026-01-06", "customer": "C01", "warehouse": "WH1",
                     "lines": [{"item": "A001", "qty": "1", "unit_price": "10"}]}, user=people["seller"])
    assert res.posted


def test_inactive_workflow_and_empty_range_rules(people, make_workflow, post_json):
    make_workflow([{"roles": ["管理层"]}], active=False)
    assert post_json(receipt("R-A"), user=people["buyer"]).posted
    make_workflow([{"roles": ["管理层"]}], min_amount=1_000_000, max_amount=5_000_000, name="1万-5万")
    assert post_json(receipt("R-B", qty="1", price="9999.99"), user=people["buyer"]).posted
    assert post_json(receipt("R-C", qty="1", price="10000"), user=people["buyer"]).status == "pending"  # min inclusive
    assert post_json(receipt("R-D", qty="1", price="50000"), user=people["buyer"]).posted  # max exclusive


def test_priority_picks_the_workflow(people, make_workflow, post_json):
    make_workflow([{"roles": ["财务主管"]}], name="普通")
    make_workflow([{"roles": ["管理层"]}], name="大额", min_amount=5_000_000, priority=10)
    big = post_json(receipt("R-BIG"), user=people["buyer"]).approval
    small = post_json(receipt("R-SM", qty="1", price="1"), user=people["buyer"]).approval
    assert (big.workflow_name, small.workflow_name) == ("大额", "普通")
    assert big.steps[0]["roles"] != small.steps[0]["roles"]


def test_same_content_again_is_the_same_request_other_content_is_refused(people, two_levels, post_json):
    first = post_json(receipt(), user=people["buyer"]).approval
    again = post_json(receipt(), user=people["buyer"]).approval
    assert again.pk == first.pk and ApprovalRequest.objects.count() == 1
    with pytest.raises(DocError) as e:
        post_json(receipt(qty="11"), user=people["buyer"])
    assert e.value.code == "duplicate_ref"
    assert ApprovalRequest.objects.count() == 1


def test_an_identical_document_already_posted_stays_a_duplicate(people, two_levels, post_json):
    post_json(receipt())  # the CLI posted it
    res = post_json(receipt(), user=people["buyer"])
    assert res.status == "duplicate" and res.document is not None
    assert not ApprovalRequest.objects.exists()


def test_payload_is_the_document_as_submitted(people, two_levels, post_json):
    doc = receipt(memo="加急", time="09:30:00")
    req = post_json(doc, user=people["buyer"]).approval
    assert req.document_obj == doc


# -- the amount ------------------------------------------------------------------------------------------------

def test_amount_of_documents(company, post_json):
    assert document_amount(receipt()) == 6_000_000
    assert document_amount(receipt(qty="3", price="0.335")) == 101  # 1.005 → 1.01 half-up
    assert document_amount({"type": "customer_receipt", "amount": "1234.50"}) == 123450
    assert document_amount({"type": "journal", "lines": [{"account": "1001", "debit": "800.00"}, {"account": "1002", "credit": "800.00"}]}) == 80000
    assert document_amount({"type": "transfer", "lines": [{"item": "A001", "qty": "1", "warehouse": "WH1"}]}) is None
    assert document_amount(receipt(lines=[{"item": "A001", "qty": "2", "unit_price": "100", "tax_rate": "0.13"}])) == 22600
    # an invoice line without a tax rate takes its item's (A001: 13 %), as posting does
    post_json(receipt("R-T", qty="2", price="100"))
    inv = {"type": "purchase_invoice", "ref": "I-1", "supplier": "S01", "lines": [{"receipt": "R-T", "line": 1, "qty": "2", "unit_price": "100"}]}
    assert document_amount(inv) == 22600
    assert document_amount({"type": "purchase_receipt", "lines": [{"qty": "abc", "unit_price": "1"}]}) is None


def test_demo_workflow(people, post_json):
    from stockbook.approvals.demo import ensure_demo_workflows

    wf = ensure_demo_workflows()[0]
    assert ensure_demo_workflows()[0].pk == wf.pk  # idempotent
    assert post_json(receipt("R-50K", qty="1", price="50000"), user=people["buyer"]).posted
    req = post_json(receipt("R-BIG"), user=people["buyer"]).approval
    assert [s["name"] for s in req.steps] == ["财务主管审批", "管理层审批"]
